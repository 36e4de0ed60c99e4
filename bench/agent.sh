#!/usr/bin/env bash
# An agent's everyday task end to end (issue 20): unpack a tarball of a small
# C project, build it with make, run its tests — under `capsa exec` (the
# VM's tar, make, and cc over the C lane's LLVM) and natively (GNU tar,
# make and the host's cc), with hyperfine, in the same run. `git commit` is
# not part of it yet: the suite has no git.
#
#   bench/agent.sh [RUNS]      (needs hyperfine, make, cc; the C lane installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
capsa=${CAPSA:-target/release/capsa}
[ -x "$capsa" ] || cargo build --release -q -p capsa-cli
"$capsa" lanes install c >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
proj="$work/src/calc"
mkdir -p "$proj/src" "$proj/include" "$proj/tests"

# A small library (five units), a command, and a test program.
cat > "$proj/include/calc.h" <<'EOF'
#ifndef CALC_H
#define CALC_H
#include <stddef.h>
long add(long a, long b);
long mul(long a, long b);
long power(long base, unsigned exp);
size_t split(const char *text, char sep, char out[][32], size_t max);
long eval_rpn(const char *expr, int *ok);
#endif
EOF
cat > "$proj/src/arith.c" <<'EOF'
#include "calc.h"
long add(long a, long b) { return a + b; }
long mul(long a, long b) { return a * b; }
EOF
cat > "$proj/src/power.c" <<'EOF'
#include "calc.h"
long power(long base, unsigned exp) {
    long r = 1;
    while (exp) { if (exp & 1) r *= base; base *= base; exp >>= 1; }
    return r;
}
EOF
cat > "$proj/src/split.c" <<'EOF'
#include <string.h>
#include "calc.h"
size_t split(const char *text, char sep, char out[][32], size_t max) {
    size_t n = 0, len = 0;
    for (const char *p = text; ; p++) {
        if (*p == sep || *p == '\0') {
            if (len && n < max) { out[n][len] = '\0'; n++; }
            len = 0;
            if (*p == '\0') break;
        } else if (n < max && len < 31) {
            out[n][len++] = *p;
        }
    }
    return n;
}
EOF
cat > "$proj/src/rpn.c" <<'EOF'
#include <stdlib.h>
#include "calc.h"
long eval_rpn(const char *expr, int *ok) {
    char tok[64][32];
    long stack[64];
    size_t n = split(expr, ' ', tok, 64), sp = 0;
    *ok = 0;
    for (size_t i = 0; i < n; i++) {
        char c = tok[i][0];
        if ((c == '+' || c == '*' || c == '^') && tok[i][1] == '\0') {
            if (sp < 2) return 0;
            long b = stack[--sp], a = stack[--sp];
            stack[sp++] = c == '+' ? add(a, b) : c == '*' ? mul(a, b) : power(a, (unsigned)b);
        } else {
            stack[sp++] = strtol(tok[i], NULL, 10);
        }
    }
    *ok = sp == 1;
    return sp ? stack[0] : 0;
}
EOF
cat > "$proj/src/main.c" <<'EOF'
#include <stdio.h>
#include "calc.h"
int main(int argc, char **argv) {
    int ok;
    long v = eval_rpn(argc > 1 ? argv[1] : "", &ok);
    if (!ok) { fprintf(stderr, "calc: bad expression\n"); return 2; }
    printf("%ld\n", v);
    return 0;
}
EOF
cat > "$proj/tests/test_calc.c" <<'EOF'
#include <stdio.h>
#include "calc.h"
static int failures;
#define CHECK(e) do { if (!(e)) { printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #e); failures++; } } while (0)
int main(void) {
    int ok;
    CHECK(add(2, 3) == 5);
    CHECK(mul(6, 7) == 42);
    CHECK(power(2, 10) == 1024);
    CHECK(eval_rpn("2 3 + 4 *", &ok) == 20 && ok);
    CHECK(eval_rpn("2 10 ^", &ok) == 1024 && ok);
    eval_rpn("1 +", &ok); CHECK(!ok);
    char parts[4][32];
    CHECK(split("a,b,,c", ',', parts, 4) == 3);
    printf("%s\n", failures ? "tests FAILED" : "all tests passed");
    return failures != 0;
}
EOF
cat > "$proj/Makefile" <<'EOF'
CFLAGS ?= -O2 -Wall
CPPFLAGS = -Iinclude
LIB_OBJS = $(patsubst %.c,build/%.o,$(filter-out src/main.c,$(wildcard src/*.c)))

.PHONY: all test clean
all: calc

build/%.o: %.c include/calc.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

libcalc.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

calc: build/src/main.o libcalc.a
	$(CC) -o $@ $< -L. -lcalc

test_calc: build/tests/test_calc.o libcalc.a
	$(CC) -o $@ $< -L. -lcalc

test: calc test_calc
	./test_calc
	./calc "3 4 + 5 ^" | grep -qx 16807

clean:
	rm -rf build calc test_calc libcalc.a
EOF
tar -C "$work/src" -czf "$work/calc.tgz" calc

task='rm -rf run && mkdir run && cd run && tar -xzf ../calc.tgz && cd calc && make -s && make -s test'
# Once each first (and the VM's answer checked), then timed.
(cd "$work" && bash -c "$task") | grep -qx "all tests passed"
"$capsa" exec --mount "$work:/work" -- "cd /work && $task" | grep -qx "all tests passed"

hyperfine --runs "$runs" --warmup 1 -N --export-markdown "$work/agent.md" \
    -n native "bash -c 'cd $work && $task'" \
    -n capsa "$capsa exec --mount $work:/work -- 'cd /work && $task'"
cat "$work/agent.md"
