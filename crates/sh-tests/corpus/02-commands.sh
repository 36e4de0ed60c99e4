#### not-found
nosuchcmd; echo "status $?"
#### not-found-path
./nosuch; echo "status $?"
#### true-false
true && echo t; false || echo f
#### and-or-chain
false && echo no || echo yes; true || echo no && echo yes2
#### semicolon
echo a; echo b; echo c
#### negate
! false; echo $?; ! true; echo $?
#### pipeline-simple
echo hello | cat
#### pipeline-three
printf '3\n1\n2\n' | sort | head -n 2
#### pipeline-builtin-end
echo data | read x; echo "[$x]"
#### pipeline-status
true | false; echo $?; false | true; echo $?
#### pipefail
set -o pipefail; false | true; echo $?
#### pipestatus
true | false | true; echo ${PIPESTATUS[@]}
#### pipeline-while
printf 'a\nb\nc\n' | while read l; do echo "line $l"; done
#### pipeline-function
f() { while read x; do echo "f:$x"; done; }; printf '1\n2\n' | f
#### pipeline-brace
{ echo one; echo two; } | tr a-z A-Z
#### pipeline-seq-sort
seq 1 100000 | sort -rn | head -3 | tr "\n" " "
#### pipeline-grep-wc
seq 1 200 | grep 7 | wc -l
#### pipeline-concurrent-head
seq 1 1000000 | head -n 2
#### pipeline-stderr
{ echo out; echo err >&2; } 2>&1 | sort
#### subshell-isolation
x=1; (x=2; echo in $x); echo out $x
#### subshell-cd
mkdir sub; (cd sub && pwd | grep -c sub); pwd | grep -c sub
#### subshell-exit
(exit 3); echo $?
#### subshell-functions
f() { echo ff; }; (f)
#### subshell-nested
( ( echo deep ) )
#### background-wait
(echo bg) & wait; echo after
#### background-pid
sleep 0 & p=$!; wait $p; echo "waited $?"
#### background-status
(exit 7) & wait $!; echo $?
#### brace-group
{ echo a; echo b; }; echo c
#### brace-group-vars
{ x=inner; }; echo $x
#### if-else
if true; then echo yes; else echo no; fi
#### if-elif
x=2; if [ $x = 1 ]; then echo one; elif [ $x = 2 ]; then echo two; else echo other; fi
#### if-status
if false; then :; fi; echo $?
#### while-loop
i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done
#### until-loop
i=0; until [ $i -ge 3 ]; do echo $i; i=$((i+1)); done
#### for-list
for x in a b c; do echo $x; done
#### for-positional
set -- p q; for x; do echo $x; done
#### for-arith
for ((i=0; i<3; i++)); do echo $i; done
#### for-break
for i in 1 2 3 4; do [ $i = 3 ] && break; echo $i; done
#### for-continue
for i in 1 2 3 4; do [ $i = 2 ] && continue; echo $i; done
#### break-nested
for i in 1 2; do for j in a b; do [ $j = b ] && break 2; echo $i$j; done; done; echo end
#### continue-nested
for i in 1 2; do for j in a b; do [ $j = a ] && continue 2; echo $i$j; done; done; echo end
#### case-basic
x=banana; case $x in apple) echo A;; ban*) echo B;; *) echo C;; esac
#### case-alternatives
for x in a b z; do case $x in a|b) echo ab;; *) echo other;; esac; done
#### case-fallthrough
case a in a) echo one;& b) echo two;; c) echo three;; esac
#### case-continue
case ab in a*) echo first;;& *b) echo second;; esac
#### case-quoted-pattern
x='*'; case hello in "$x") echo literal;; *) echo glob;; esac
#### case-class
case 5 in [0-9]) echo digit;; esac
#### case-nomatch-status
false; case x in y) echo no;; esac; echo $?
#### arith-command
(( 3 > 2 )) && echo yes; (( 0 )) || echo zero
#### arith-command-assign
(( x = 5 * 5 )); echo $x
#### function-basic
greet() { echo "hi $1"; }; greet bob
#### function-keyword
function hello { echo hello; }; hello
#### function-return
f() { return 4; }; f; echo $?
#### function-positional
f() { echo $# "$@"; }; f a "b c"; echo $#
#### function-local
x=global; f() { local x=local; echo $x; }; f; echo $x
#### function-dynamic-scope
f() { local v=fromf; g; }; g() { echo $v; }; f
#### function-recursion
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }; fact 6
#### function-redirect
f() { echo inside; } > out.txt; f; cat out.txt
#### function-global-assign
f() { g=set; }; f; echo $g
#### function-funcname
f() { echo $FUNCNAME; }; f
#### function-return-default
f() { false; return; }; f; echo $?
#### function-overrides
echo() { builtin echo "wrapped $@"; }; echo hi
#### command-bypass
echo() { builtin echo wrapped; }; command echo real
#### nested-functions-define
outer() { inner() { echo inner; }; }; outer; inner
#### exit-status
(exit 42); echo $?
#### exit-in-function
f() { exit 5; echo no; }; f; echo no
#### eval-basic
eval 'x=1; echo $x'
#### eval-concat
cmd=echo; arg=hi; eval "$cmd $arg"
#### eval-var-name
n=foo; eval "$n=bar"; echo $foo
#### source-file
echo 'sourced=yes; echo in-file' > lib.sh; . ./lib.sh; echo $sourced
#### source-args
echo 'echo "args: $@"' > a.sh; source ./a.sh x y
#### source-return
printf 'echo one\nreturn 3\necho two\n' > r.sh; . ./r.sh; echo $?
#### type-builtin
type cd; type -t echo
#### type-function
f() { :; }; type -t f
#### command-v
command -v echo; command -v nosuch || echo missing
#### hash-noop
hash -r; echo $?
#### colon
: ignored args; echo $?
