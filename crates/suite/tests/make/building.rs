//! Building against GNU make: what is out of date, pattern, static,
//! built-in, suffix and chained rules, errors, included and remade
//! makefiles, recursive make, `-q`/`-t`, special targets.

use super::Step::{Make, Touch};
use super::same;

#[test]
fn make_builds_what_is_out_of_date() {
    let makefile = r#"
all: prog
prog: main.o util.o
    cat main.o util.o > prog
    @echo newer than prog: $?
main.o: main.c defs.h
    cp main.c main.o
util.o: util.c defs.h
    @cp util.c $@
    @echo built $@ from $< with $^
clean:
    rm -f prog *.o
.PHONY: all clean
"#;
    let files = [("Makefile", makefile), ("main.c", "main\n"), ("util.c", "util\n"), ("defs.h", "defs\n")];
    same(
        &files,
        &[
            Make(&[]),
            Make(&[]),
            Make(&["prog"]),
            Touch("util.c"),
            Make(&[]),
            Touch("defs.h"),
            Make(&["-n"]),
            Make(&["-s"]),
            Make(&["clean"]),
            Make(&["main.o", "util.o"]),
            Make(&["-B", "-s", "main.o"]),
        ],
    );
}

#[test]
fn make_uses_pattern_and_static_pattern_rules() {
    let makefile = r#"
OBJS = obj/a.o obj/b.o
all: $(OBJS) lib/c.x
obj/%.o: src/%.c | obj
    @echo "$@ from $< stem $* dir $(@D) file $(@F) order $|"
    cp $< $@
obj:
    mkdir -p obj
lib/c.x: lib/%.x: %.in
    @echo static $@ from $< stem $*
    mkdir -p lib && cp $< $@
"#;
    let files = [("Makefile", makefile), ("src/a.c", "a\n"), ("src/b.c", "b\n"), ("c.in", "c\n")];
    same(&files, &[Make(&[]), Make(&[]), Touch("src/b.c"), Make(&[]), Make(&["obj/nope.o"])]);
}

#[test]
fn make_has_the_builtin_c_rules() {
    let makefile = r#"
CFLAGS = -O2
prog: prog.o helper.o
"#;
    let cc = "#!/bin/sh\nout=\nwhile [ $# -gt 0 ]; do case $1 in -o) out=$2; shift;; esac; shift; done\necho compiled > \"$out\"\n";
    let files = [("Makefile", makefile), ("prog.c", "int main;\n"), ("helper.c", ""), ("cc.sh", cc), ("tool.c", "")];
    same(
        &files,
        &[
            Make(&["-n"]),
            Make(&["-n", "tool"]),
            Make(&["-n", "tool.o"]),
            Make(&["-r", "tool.o"]),
            Make(&["CC=sh cc.sh"]),
            Make(&["CC=sh cc.sh"]),
            Make(&["-n", "nothing.o"]),
        ],
    );
}

#[test]
fn make_reports_errors_as_gnu_make_does() {
    let makefile = r#"
all: ok bad ignored after
ok:
    @echo ok
bad:
    @echo failing
    exit 3
    @echo never
ignored:
    -false
    @echo still here
after: missing.c
    @echo after
"#;
    let files =
        [("Makefile", makefile), ("sep.mk", "all:\n        echo spaces\n"), ("err.mk", "X = 1\n$(error X is $(X))\n")];
    same(
        &files,
        &[
            Make(&[]),
            Make(&["-k"]),
            Make(&["-i"]),
            Make(&["ignored"]),
            Make(&["nothere"]),
            Make(&["-k", "nothere", "ok"]),
            Make(&["after"]),
            Make(&["-f", "sep.mk"]),
            Make(&["-f", "err.mk"]),
            Make(&["-f", "absent.mk"]),
        ],
    );
    let more = [
        ("rec.mk", "X = $(Y)\nY = $(X)\nall: ; @echo $(X)\n"),
        ("cond.mk", "ifeq (a,a)\nall: ; @echo x\n"),
        ("endif.mk", "endif\n"),
        ("cycle.mk", "a: b\n\t@echo a\nb: a\n\t@echo b\n"),
        ("twice.mk", "a: ; @echo one\na: ; @echo two\n"),
        ("tab.mk", "\techo before any target\n"),
    ];
    same(
        &more,
        &[
            Make(&["-f", "rec.mk"]),
            Make(&["-f", "cond.mk"]),
            Make(&["-f", "endif.mk"]),
            Make(&["-f", "cycle.mk"]),
            Make(&["-f", "twice.mk"]),
            Make(&["-f", "tab.mk"]),
        ],
    );
}

#[test]
fn make_includes_makefiles_and_remakes_them() {
    let makefile = r#"
include config.mk
-include optional.mk
-include gen.mk
$(info list=$(MAKEFILE_LIST) name=$(NAME) gen=$(GEN))
all:
    @echo building $(NAME)
gen.mk: config.mk
    echo 'GEN = generated' > $@
"#;
    let files = [("Makefile", makefile), ("config.mk", "NAME = demo\n")];
    same(&files, &[Make(&[]), Make(&[]), Touch("config.mk"), Make(&[])]);
    let missing = [("Makefile", "include nothere.mk\nall: ; @echo never\n")];
    same(&missing, &[Make(&[])]);
}

#[test]
fn make_recurses_into_sub_makes() {
    let makefile = r#"
export GREETING = hello
all:
    @echo top level $(MAKELEVEL)
    $(MAKE) -C sub NAME=$(NAME)
    @$(MAKE) -s -C sub quiet
fail:
    $(MAKE) -C sub broken
"#;
    let sub = r#"
all:
    @echo "in sub: $(GREETING) $(NAME) level $(MAKELEVEL)"
quiet:
    @echo quiet sub
broken:
    false
"#;
    let files = [("Makefile", makefile), ("sub/Makefile", sub)];
    same(
        &files,
        &[
            Make(&["NAME=x"]),
            Make(&["-s"]),
            Make(&["--no-print-directory"]),
            Make(&["fail"]),
            Make(&["-k", "fail"]),
            Make(&["-n"]),
            Make(&["-C", "sub"]),
            Make(&["-C", "sub", "-w", "quiet"]),
            Make(&["-C", "nowhere"]),
        ],
    );
}

#[test]
fn make_finds_its_makefile_and_goals() {
    let files = [
        ("makefile", "first: ; @echo lower-case makefile\nsecond: ; @echo second\n"),
        ("Makefile", "all: ; @echo capital Makefile\n"),
        ("other.mk", ".DEFAULT_GOAL := b\na: ; @echo a $(MAKECMDGOALS)\nb: ; @echo b [$(MAKECMDGOALS)]\n"),
    ];
    same(
        &files,
        &[
            Make(&[]),
            Make(&["second", "first"]),
            Make(&["-f", "Makefile"]),
            Make(&["-f", "other.mk"]),
            Make(&["-f", "other.mk", "a", "b"]),
            Make(&["-f", "other.mk", "-f", "Makefile", "all"]),
        ],
    );
    let gnu = [("GNUmakefile", "all: ; @echo GNUmakefile first\n"), ("makefile", "all: ; @echo makefile\n")];
    same(&gnu, &[Make(&[])]);
    same(&[("empty.txt", ""), ("hello.c", "")], &[Make(&[]), Make(&["empty.txt"]), Make(&["-n", "hello"])]);
    same(&[("Makefile", "X = 1\n")], &[Make(&[])]);
}

#[test]
fn make_runs_double_colon_rules_and_special_targets() {
    let makefile = r#"
.DELETE_ON_ERROR:
.SILENT: quiet
.IGNORE: careless
log:: a.txt
    echo from a >> log
log:: b.txt
    echo from b >> log
quiet:
    echo not echoed
careless:
    false
    echo carried on
broken:
    echo partial > broken; false
precious.out:
    echo partial > $@; false
.PRECIOUS: precious.out
"#;
    let files = [("Makefile", makefile), ("a.txt", ""), ("b.txt", "")];
    same(
        &files,
        &[
            Make(&[]),
            Make(&[]),
            Touch("b.txt"),
            Make(&[]),
            Make(&["quiet", "careless"]),
            Make(&["broken"]),
            Make(&["precious.out"]),
        ],
    );
}

#[test]
fn make_chains_implicit_rules_through_intermediate_files() {
    let makefile = r#"
all: a.z
%.z: %.y
    cp $< $@
%.y: %.x
    cp $< $@
"#;
    let files = [("Makefile", makefile), ("a.x", "x\n")];
    same(&files, &[Make(&["-n"]), Make(&[]), Make(&[]), Touch("a.x"), Make(&[]), Make(&["-s"])]);
    let kept = format!("{makefile}.SECONDARY:\n");
    let files = [("Makefile", kept.as_str()), ("a.x", "x\n"), ("b.y", "y\n")];
    same(&files, &[Make(&[]), Make(&[]), Make(&["b.z"]), Touch("a.x"), Make(&["-t"]), Make(&["-q"])]);
    let declared = format!("{makefile}.INTERMEDIATE: b.y\n");
    let files = [("Makefile", declared.as_str()), ("a.x", "x\n"), ("b.x", "y\n")];
    same(&files, &[Make(&["b.z"]), Make(&["b.z"])]);
}

#[test]
fn make_answers_questions_and_touches() {
    let makefile = r#"
out: in
    cp in out
"#;
    let files = [("Makefile", makefile), ("in", "data\n")];
    same(&files, &[Make(&["-q"]), Make(&["-t"]), Make(&["-q"]), Touch("in"), Make(&["-q"]), Make(&[]), Make(&["-q"])]);
}

#[test]
fn make_converts_suffix_rules() {
    let makefile = r#"
.SUFFIXES: .txt .up
.txt.up:
    tr a-z A-Z < $< > $@
all: note.up
"#;
    let files = [("Makefile", makefile), ("note.txt", "quiet words\n")];
    same(&files, &[Make(&[]), Make(&[])]);
    let plain = [("Makefile", ".SUFFIXES:\nall: x.o\n"), ("x.c", "")];
    same(&plain, &[Make(&[])]);
}

#[test]
fn make_builds_an_everyday_project() {
    let makefile = r#"
SHELL := /bin/sh
.SHELLFLAGS := -e -c
CC := sh ./fakecc
SRC_DIR := src
BUILD := build
SRCS := $(sort $(wildcard $(SRC_DIR)/*.c))
OBJS := $(SRCS:$(SRC_DIR)/%.c=$(BUILD)/%.o)
DEPS := $(OBJS:.o=.d)
DIRS := $(sort $(wildcard */))
.DEFAULT_GOAL := app

app: $(OBJS)
    $(CC) -o $@ $^
$(BUILD)/%.o: $(SRC_DIR)/%.c | $(BUILD)
    $(CC) -c -o $@ $<
    @echo '$@: $< $(SRC_DIR)/common.h' > $(@:.o=.d)
$(BUILD):
    mkdir -p $@
-include $(DEPS)
help: ## Show this help
    @grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## / - /'
list: ; @echo dirs: $(DIRS)
clean: ## Remove what was built
    $(RM) -r $(BUILD) app
.PHONY: help list clean
"#;
    let fakecc =
        "out=\nfor a; do case $prev in -o) out=$a;; esac; prev=$a; done\necho \"built by fakecc: $*\" > \"$out\"\n";
    let files = [
        ("Makefile", makefile),
        ("fakecc", fakecc),
        ("src/main.c", "main\n"),
        ("src/util.c", "util\n"),
        ("src/common.h", "common\n"),
    ];
    same(
        &files,
        &[
            Make(&[]),
            Make(&[]),
            Touch("src/common.h"),
            Make(&[]),
            Touch("src/util.c"),
            Make(&["-n"]),
            Make(&["help"]),
            Make(&["list"]),
            Make(&["clean"]),
            Make(&["-s"]),
        ],
    );
}

#[test]
fn make_treats_dot_slash_names_as_the_same_file() {
    let makefile = r#"
all: ./foo .//bar
foo:
    @echo foo $@
bar:
    @echo bar $@
./baz:
    @echo baz $@ $(wildcard ./M*)
include *.none
"#;
    let files = [("Makefile", makefile), ("ok.mk", "all:\n\t@echo ok\n-include *.none\n")];
    same(&files, &[Make(&["-f", "ok.mk"]), Make(&["-f", "ok.mk", "./all"]), Make(&[])]);
    let plain = makefile.replace("include *.none", "");
    same(&[("Makefile", plain.as_str())], &[Make(&[]), Make(&["./foo"]), Make(&["baz"]), Make(&["./baz"])]);
}
