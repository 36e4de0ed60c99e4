#### errexit-local-cmdsub
set -e; f() { local x=$(false); echo "local hides $x"; }; f
#### errexit-trap-status
set -e; trap 'echo "exit=$?"' EXIT; (exit 4)
#### array-star-count
a=(1 2 3); echo ${#a[*]} ${!a[*]}
#### array-strip-prefix
a=(pre1 pre2); echo ${a[@]#pre}
#### array-prefix-all
a=(x y); printf '%s\n' "${a[@]/#/pre-}"
#### args-passthrough
f() { g "$@"; }; g() { echo $#; }; f "a b" c
#### eval-printf-q
eval "set -- $(printf '%q ' a 'b c')"; echo $#
#### printf-q-quote
printf '%q\n' "it's"
#### read-ra
IFS=, read -ra parts <<< "a,b,c"; echo ${#parts[@]} ${parts[2]}
#### read-d-empty
printf 'a b' | { read -r -d '' v; echo "$? [$v]"; }
#### declare-a-append
declare -a arr; arr+=(x); arr+=(y); echo ${arr[@]}
#### cmdsub-multiline-printf
printf "%s|" "$(seq 3)"; echo
#### ansi-escaped-quote
echo $'a\'b'
#### dq-with-sq
x='a"b'; echo "$x"
#### dq-backtick-escape
echo "\`" '\'
#### nested-default
unset x y; echo ${x:-${y:-z}}
#### strip-quoted-var
x=abcabc; y=abc; echo ${x#"${y}"}
#### arith-length
s=hello; echo $(( ${#s} + 1 ))
#### for-infinite-break
for ((;;)); do echo once; break; done
#### read-backslash-continuation
printf 'a \\\nb\n' | { read x; echo "[$x]"; }
#### printf-percent-b-octal
printf '%b\n' '\0101'
#### echo-combined-flags
echo -ne 'a\tb\n'
#### integer-attr-string
declare -i n; n="2 + 3"; echo $n
#### declare-i-append-array
declare -a a=(1); a+=(2); echo ${a[*]}
#### case-star-dot
for f in a.txt b.sh c; do case $f in *.txt|*.sh) echo "src $f";; *) echo "other $f";; esac; done
#### var-in-pattern-unquoted
p='*.c'; case x.c in $p) echo glob-from-var;; esac
#### while-read-last-line-no-newline
printf 'a\nb' | while read -r l || [ -n "$l" ]; do echo "[$l]"; done
#### param-special-chars
x='$HOME'; echo "$x" '$x'
#### word-split-tabs
x=$'a\tb'; set -- $x; echo $#
#### empty-unquoted-var-removed
e=; set -- a $e b; echo $#
#### cmd-prefix-multiple
A=1 B=2 sh -c 'echo $A$B'
#### exit-status-of-assignment-cmdsub
x=$(exit 5); echo $?; y=1 z=$(exit 6); echo $?
#### redirect-before-command
> pre.txt echo prefixed; cat pre.txt
#### redirect-in-middle
echo a > mid.txt b; cat mid.txt
#### append-stderr
{ echo e1 >&2; } 2>> err.log; { echo e2 >&2; } 2>> err.log; cat err.log
#### dup-input
echo line > in.txt; exec 6< in.txt; cat <&6; exec 6<&-
#### true-pipe-false-pipefail-status
set -o pipefail; true | false | true; echo $?
#### string-compare-eq-double
[ abc == abc ] && echo eqeq
#### test-numeric-negative
[ -5 -lt 3 ] && echo neg
#### test-string-empty-var-quoted
x=""; [ -z "$x" ] && [ ! -n "$x" ] && echo empty
