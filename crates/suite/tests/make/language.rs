//! The make language against GNU make: variables and their flavors,
//! conditionals, functions, `define` and `$(eval)`, target-specific and
//! exported variables, recipe-line details.

use super::Step::Make;
use super::same;

#[test]
fn make_assigns_variables_as_gnu_make_does() {
    let makefile = r#"
A = $(B) late
B = early
C := $(A) now
D ::= simple
E ?= set
E ?= not-again
F = one
F += two
G := x
G += $(A)
override H = from-file
I = file
X = a.c b.c c.h
$(info A=[$(A)] C=[$(C)] D=[$(D)] E=[$(E)] F=[$(F)] G=[$(G)] H=[$(H)] I=[$(I)])
$(info subst=[$(X:.c=.o)] pat=[$(X:%.c=obj/%.o)] dollar=[$$HOME] single=[$(words $X)])
$(info origin: $(origin A) $(origin I) $(origin CC) $(origin PATH) $(origin NOPE) $(origin H))
$(info flavor: $(flavor A) $(flavor C) $(flavor NOPE) value: $(value A))
define TWO_LINES
first $(B)
second
endef
$(info [$(TWO_LINES)])
all: T = target-specific
all: F += more
all:
    @echo "$(T) $(F) $(I)"
    @echo '$@ $$@'
"#;
    let files = [("Makefile", makefile)];
    same(&files, &[Make(&[]), Make(&["I=cmdline", "H=cmd", "E=cmd"]), Make(&["-e"]), Make(&["B:=from-cmd", "all"])]);
}

#[test]
fn make_evaluates_conditionals() {
    let makefile = r#"
MODE ?= debug
ifeq ($(MODE),debug)
  FLAGS = -g
else ifeq ($(MODE),release)
  FLAGS = -O2
else
  FLAGS = -O0
endif
ifneq "$(MODE)" 'debug'
  NOTE = not debug
endif
ifdef FLAGS
  HAVE = yes
endif
ifndef UNSET
  MISSING = yes
endif
EMPTY =
ifdef EMPTY
  WRONG = yes
endif
ifeq ($(strip $(EMPTY)),)
  ifeq (a , a)
    NESTED = ok
  endif
endif
all:
    @echo "$(MODE) $(FLAGS) [$(NOTE)] $(HAVE) $(MISSING) [$(WRONG)] $(NESTED)"
"#;
    same(&[("Makefile", makefile)], &[Make(&[]), Make(&["MODE=release"]), Make(&["MODE=other"])]);
}

#[test]
fn make_has_gnu_makes_text_functions() {
    let makefile = r#"
pair = ($(1)+$(2)) $(0)
twice = $(call pair,$(1),$(1))
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
L = b.c a.c  d.h c.c a.c
$(info subst=$(subst .c,.o,$(L)) patsubst=$(patsubst %.c,%.o,$(L)))
$(info strip=[$(strip   a   b  )] find=[$(findstring b,abc)][$(findstring x,abc)])
$(info filter=$(filter %.c %.h,$(L) x.y) out=$(filter-out %.c,$(L)) sort=$(sort $(L)))
$(info word=$(word 2,$(L)) words=$(words $(L)) list=$(wordlist 2,3,$(L)) first=$(firstword $(L)) last=$(lastword $(L)))
$(info dir=$(dir src/a.c b.c /x/y/) notdir=$(notdir src/a.c b.c) suffix=$(suffix a.c b src/c.d/e x.tar.gz))
$(info basename=$(basename a.c src/b x.tar.gz) addsuffix=$(addsuffix .o,a b) addprefix=$(addprefix src/,a b))
$(info join=$(join a b c,1 2) if=$(if $(L),yes,no)$(if ,yes,no)$(if ,yes) or=$(or ,,x,y) and=$(and a,b)[$(and a,,b)])
$(info foreach=$(foreach f,a b c,<$(f)>) call=$(call pair,1,2) nested=$(call twice,x))
$(info abspath=$(abspath a/../b ./c/) curdir=$(CURDIR) realpath=$(realpath Makefile nope))
$(info reverse=$(call reverse,a b c d) wordlist=[$(wordlist 3,9,$(L))][$(wordlist 4,2,$(L))])
all: ; @:
"#;
    same(&[("Makefile", makefile)], &[Make(&[])]);
}

#[test]
fn make_globs_and_runs_the_shell() {
    let makefile = r#"
SRCS := $(wildcard src/*.c *.c)
NONE := $(wildcard *.none)
OUT := $(shell printf 'one\ntwo\n')
STATUS := $(shell exit 3)$(.SHELLSTATUS)
COUNT != ls src | wc -l
all: src/*.c
    @echo "srcs=$(SRCS) none=[$(NONE)] out=[$(OUT)] status=$(STATUS) count=$(strip $(COUNT))"
    @echo "prereqs: $^"
"#;
    let files = [("Makefile", makefile), ("src/b.c", ""), ("src/a.c", ""), ("top.c", ""), ("src/x.h", "")];
    same(&files, &[Make(&[])]);
}

#[test]
fn make_expands_canned_recipes_and_eval() {
    let makefile = r#"
define run-twice
@echo first $(1)
@echo second $(1)
endef
define RULE
$(1).out: ; @echo rule for $$@ made by eval
ALL += $(1).out
endef
$(foreach n,x y,$(eval $(call RULE,$(n))))
all: $(ALL)
    $(call run-twice,$@)
    @echo "continued \
      line" ; \
    echo second command
LONG = one \
       two
show: ; @echo [$(LONG)] \# not a comment # a comment
"#;
    same(&[("Makefile", makefile)], &[Make(&[]), Make(&["show"]), Make(&["-n", "all"])]);
}

#[test]
fn make_reads_directives_in_all_their_forms() {
    let makefile = r#"
define SIMPLE :=
value $(WORD)
endef
define APPENDED +=
more
endef
define RECURSIVE =
value $(WORD)
endef
WORD = late
APPENDED = start
undefine GONE
GONE2 = here
undefine GONE2
sinclude nothing.mk
.SILENT:
all:
    echo "[$(SIMPLE)] [$(APPENDED)] [$(RECURSIVE)] [$(GONE2)] $(origin GONE2)"
    echo ".RECIPEPREFIX default"
.RECIPEPREFIX = >
other:
> echo "prefix changed"
"#;
    let missing = "ifdef X\nall: ; @echo x\n";
    same(
        &[("Makefile", makefile), ("missing.mk", missing)],
        &[Make(&[]), Make(&["other"]), Make(&["-f", "missing.mk"])],
    );
}

#[test]
fn make_agrees_on_small_makefiles() {
    let cases: &[(&str, &[&str])] = &[
        ("X = a   # trailing blanks stay\nall: ; @echo '[$(X)]'\n", &[]),
        ("X := $(X) foo\nall: ; @echo '[$(X)]'\n", &[]),
        (
            "empty :=\nspace := $(empty) $(empty)\ncomma := ,\nall: ; @echo $(subst $(space),-,a b c) $(subst $(comma), ,x,y)\n",
            &[],
        ),
        ("ifeq ($(origin CC),default)\nCC = fallback\nendif\nall: ; @echo $(CC)\n", &["CC=given"]),
        ("override CFLAGS += -Wall\nall: ; @echo $(CFLAGS)\n", &["CFLAGS=-O2"]),
        ("PATH ?= nope\nNEW ?= yes\nall: ; @echo $(NEW) $(if $(PATH),has-path)\n", &[]),
        ("%.txt: ; @echo pattern without prerequisites makes $@\n", &["notes.txt"]),
        ("SUBDIRS = a b\n.PHONY: $(SUBDIRS)\nall: $(SUBDIRS)\n$(SUBDIRS): ; @echo visit $@\n", &[]),
        (
            "all: clean\n\t@echo $(if $(filter clean,$(MAKECMDGOALS)),cleaning,building)\nclean: ; @:\n",
            &["clean", "all"],
        ),
        ("first: ; @echo first\n.DEFAULT_GOAL :=\nsecond: ; @echo second\n", &[]),
        ("X = $(foo\nall: ; @echo $(X)\n", &[]),
        ("ifeq (a,b\nendif\n", &[]),
        ("ifdef X\nelse\nelse\nendif\n", &[]),
        ("all: ; @echo $(word 0,a b)\n", &[]),
        ("all: ; @echo [$(words )] [$(foo bar)] [$(strip  a	b  )]\n", &[]),
        ("all: ; @echo $(wordlist 0,1,a)\n", &[]),
        ("define X\nline\nendef # done\nall: ; @echo $(X)\n", &[]),
        ("all: a\na: ; @echo a\n\techo second recipe line\n", &[]),
        ("export\nX = exported by export\nall: ; @echo $$X\n", &[]),
        ("all: x\nx: export Y = target export\nx: ; @echo [$$Y]\n", &[]),
        ("all:\n\t@echo $$$$ | grep -c .\n\t@echo '$$(not make)'\n", &[]),
        ("a b c: ; @echo $@\n", &["c", "a"]),
        ("all: dep dep dep\n\t@echo $^ / $+\ndep: ; @:\n", &[]),
        ("$(info before)\nall: ; $(info during)@echo run\n$(warning warned)\n", &[]),
        ("all: ; @exit 2\n", &["-k"]),
        ("all:\n\t@echo one; exit 0\n\t+@echo two\n", &["-n"]),
        ("all: ; @printf '%s\\n' \"$(MAKE)\" | grep -c make\n", &[]),
        ("all:\n\t@echo silent but printed\n", &["-s", "-n"]),
        ("all: foo.o\nfoo.c: ; echo 'int x;' > $@\n%.o: %.c ; cp $< $@\n", &[]),
        ("%.out: %.in common.txt ; @echo $@ from $^\ncommon.txt: ; @echo made $@\na.in: ; @touch $@\n", &["a.out"]),
        ("all: a b\na: ; @echo a\nb: ; @echo b\n.NOTPARALLEL:\n.POSIX:\n", &["-j4"]),
    ];
    for (makefile, args) in cases {
        let mut steps = vec![Make(args)];
        if args.is_empty() {
            steps.push(Make(&["-s"]));
        }
        same(&[("Makefile", makefile)], &steps);
    }
}

#[test]
fn make_scopes_target_variables_to_prerequisites() {
    let makefile = r#"
LEVEL = global
all: one two
one: LEVEL = one
one: shared
    @echo one sees $(LEVEL)
two: shared2
    @echo two sees $(LEVEL)
shared shared2:
    @echo $@ sees $(LEVEL)
x.out y.out: %.out: %.in
    @echo $@ stem $* all $^
%.a %.b: %.src
    @echo one run makes $@ and its sibling
    touch $*.a $*.b
pair: p.a p.b
"#;
    let files = [("Makefile", makefile), ("x.in", ""), ("y.in", ""), ("p.src", "")];
    same(&files, &[Make(&[]), Make(&["x.out", "y.out"]), Make(&["pair"]), Make(&["pair"])]);
}

#[test]
fn make_takes_order_only_and_target_specific_variables_with_patterns() {
    let makefile = r#"
CFLAGS = -base
%.dbg: CFLAGS += -g
fast.opt: CFLAGS := -O3
all: x.dbg fast.opt plain
x.dbg fast.opt plain: | stamp
    @echo $@: $(CFLAGS)
stamp:
    @echo making stamp
    touch stamp
"#;
    same(&[("Makefile", makefile)], &[Make(&[]), Make(&[])]);
}

#[test]
fn make_exports_variables_to_recipes() {
    let makefile = r#"
export SHOWN = visible
HIDDEN = invisible
PLAIN = plain
export PLAIN
LATER = later
unexport LATER
all:
    @echo "[$$SHOWN] [$$HIDDEN] [$$PLAIN] [$$LATER] [$$FROM_CMD]"
    @echo "[$$MAKEFLAGS]"
"#;
    same(&[("Makefile", makefile)], &[Make(&[]), Make(&["FROM_CMD=yes"]), Make(&["-k", "-s"])]);
}

#[test]
fn make_handles_recipe_details() {
    let makefile = r#"
MAKEFLAGS += --no-print-directory
VAR = x
all: empty blank multi comments cond
empty: ;
blank:

    @echo after a blank line
multi: a.h b.h
%.h:
    @echo making $@ $(info info from $@)
comments:
    # a shell comment, echoed
    @  echo spaced prefix
    @-false ; echo also ignored
cond:
    @echo one
ifeq ($(VAR),x)
    @echo var is x
else
    @echo var is not x
endif
    @echo two
.DEFAULT:
    @echo default rule for $@
"#;
    same(
        &[("Makefile", makefile)],
        &[
            Make(&[]),
            Make(&["VAR=y", "cond"]),
            Make(&["empty"]),
            Make(&["unknown-file"]),
            Make(&["multi"]),
            Make(&["-j2", "blank"]),
            Make(&["-j", "3", "blank"]),
        ],
    );
}

#[test]
fn make_runs_a_oneshell_recipe() {
    let makefile = r#"
.ONESHELL:
all:
    @x=1
    echo "x is $$x"
    cd /
    pwd
"#;
    same(&[("Makefile", makefile)], &[Make(&[])]);
}
