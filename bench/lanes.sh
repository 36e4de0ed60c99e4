#!/usr/bin/env bash
# The C lane's figures, each beside references measured in the same run:
# the stock wasmtime CLI running the same llvm.core.wasm with the same
# arguments (one stage after the other), and a native clang (PyPI ziglang's
# `zig cc`) targeting wasm32-wasi. Printed as markdown rows for
# docs/benchmarks.md.
#
# Needs: hyperfine, python3 with pip (the stock wasmtime CLI: bench/wasmtime.sh),
# and the C lane installed in the cache (`capsa lanes install c`; this script
# does it). Usage: bench/lanes.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }
. bench/wasmtime.sh   # $wasmtime
cargo build --release -q -p capsa-cli
cargo build -q -p capsa-test-programs   # provisions ziglang under guest/target
capsa=$PWD/target/release/capsa
zig_path=$(ls -d "$PWD"/guest/target/ziglang-* | head -1)

"$capsa" lanes install c
toolchain=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/capsa/toolchains/npm/@yowasp/clang/*/ | head -1)
sysroot=$toolchain/sysroot
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$wasmtime" compile -W max-wasm-stack=16777216 "$toolchain/gen/llvm.core.wasm" -o "$work/llvm.cwasm"
export WT="$wasmtime run --allow-precompiled -W max-wasm-stack=16777216 --dir $sysroot::/usr --dir $work::/work $work/llvm.cwasm"

cat > "$work/hello.c" <<'EOF'
#include <stdio.h>
static long factorial(int n) { return n <= 1 ? 1 : n * factorial(n - 1); }
int main(void) { printf("10!=%ld\n", factorial(10)); return 0; }
EOF
cp -r "$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/lua-src-551.1.0/lua-5.4.9 | head -1)" "$work/lua"
cat > "$work/lua/lua_main.c" <<'EOF'
#include <stdio.h>
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: lua SCRIPT\n"); return 2; }
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    int status = luaL_dofile(L, argv[1]);
    lua_close(L);
    return status;
}
EOF

flags="--target=wasm32-wasip1 -O2 -mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_MMAN"
link="-m wasm32 -L/usr/lib/wasm32-unknown-wasip1 -L/usr/lib/wasm32-wasip1 /usr/lib/wasm32-wasip1/crt1-command.o"
libs="-lsetjmp -lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid -lwasi-emulated-mman -lc /usr/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a -z stack-size=8388608"
# zig's wasi-libc wants the exception-handling feature named for setjmp.
native_flags="-mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_MMAN"
native_libs="-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid -lwasi-emulated-mman"
# The stock CLI, stage by stage, exactly what the lane asks its guests to do.
cat > "$work/wasmtime-build.sh" <<EOF
set -e
cd $work
objs=
for c in "\$@"; do
  \$WT clang -c /work/\$c -o /work/\$c.o $flags -I/work/lua
  objs="\$objs /work/\$c.o"
done
\$WT wasm-ld $link \$objs $libs -o /work/out.wasm
EOF
cat > "$work/native-build.sh" <<EOF
set -e
cd $work
objs=
for c in "\$@"; do
  PYTHONPATH=$zig_path python3 -m ziglang cc -target wasm32-wasi -O2 -mexception-handling $native_flags -c \$c -o \$c.native.o -Ilua
  objs="\$objs \$c.native.o"
done
PYTHONPATH=$zig_path python3 -m ziglang cc -target wasm32-wasi -mexception-handling \$objs $native_libs -o native.wasm
EOF
lua_units=$(cd "$work" && ls lua/*.c | tr '\n' ' ')

# Compile every module once so no row measures a first compile.
"$capsa" run "$work/hello.c" >/dev/null
(cd "$work" && bash wasmtime-build.sh hello.c && bash native-build.sh hello.c)
"$capsa" build -q -o "$work/hello.wasm" "$work/hello.c" >/dev/null

json=$work/r.json
. bench/table.sh   # mean, row
# capsa's artifact store emptied before each of its runs, so it builds
# everything again (the compiled toolchain stays in the module cache).
forget="rm -rf ${XDG_CACHE_HOME:-$HOME/.cache}/capsa/artifacts"
echo "| figure | capsa | reference | capsa / reference | reproduce |"
echo "|---|---|---|---|---|"
hyperfine -N -w 2 -r $((runs * 5)) --export-json "$json" \
  "$capsa run $work/hello.c" "$wasmtime run $work/hello.wasm" >/dev/null
row "warm \`capsa run hello.c\` (built before: found in the artifact store)" "$(mean "$json" 0)" "$(mean "$json" 1)" "wasmtime run hello.wasm" "capsa run hello.c"
hyperfine -w 1 -r $((runs * 3)) --export-json "$json" \
  --prepare "$forget" "$capsa run $work/hello.c" \
  --prepare true "bash $work/wasmtime-build.sh hello.c && $wasmtime run $work/out.wasm" \
  --prepare true "bash $work/native-build.sh hello.c && $wasmtime run $work/native.wasm" >/dev/null
row "\`capsa run hello.c\` built from scratch: compile, link, run" "$(mean "$json" 0)" "$(mean "$json" 1)" "wasmtime CLI: same clang and wasm-ld guests, then run" "capsa run hello.c"
row "\`capsa run hello.c\` built from scratch: compile, link, run" "$(mean "$json" 0)" "$(mean "$json" 2)" "native clang (zig cc), then wasmtime run" "capsa run hello.c"
hyperfine -r "$runs" --export-json "$json" \
  --prepare "$forget" "$capsa build -q $work/lua" \
  --prepare true "bash $work/wasmtime-build.sh $lua_units" \
  --prepare true "bash $work/native-build.sh $lua_units" >/dev/null
cores=$(nproc)
row "Lua 5.4 from its 33 C files (wall; $(( cores > 1 ? (cores - 1 < 6 ? cores - 1 : 6) : 1 )) compiler guest(s) at once on $cores cores)" "$(mean "$json" 0)" "$(mean "$json" 1)" "wasmtime CLI, one stage after the other" "capsa build lua/"
row "Lua 5.4 from its 33 C files (wall)" "$(mean "$json" 0)" "$(mean "$json" 2)" "native clang (zig cc), one file after the other" "capsa build lua/"
