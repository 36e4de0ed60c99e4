#### getopts-attached-arg
set -- -bval -a; while getopts ab: o; do echo "$o ${OPTARG:-}"; unset OPTARG; done
#### exit-in-exit-trap
trap 'echo in-trap; exit 5' EXIT; echo body
#### heredoc-pipeline-middle
cat <<EOF | sort
b
a
EOF
#### function-call-redirect
f() { echo from-f; }; f > o.txt; cat o.txt
#### arith-precedence
echo $(( 10 / 3 * 3 )) $(( -7 % 3 )) $(( 2 + 3 * 4 ** 2 ))
#### arith-pow-var
x=5; echo $(( x ** 2 ))
#### case-leading-paren
case b in (a) echo A;; (b) echo B;; esac
#### nounset-empty-default
set -u; echo "[${x:-}][${y-}]"
#### function-subshell-body
f() ( x=inner; echo $x ); x=outer; f; echo $x
#### time-keyword
time echo timed 2>/dev/null
#### herestring-multi-vars
read a b c <<< "1 2 3 4"; echo "$c"
#### while-read-herestring
data=$'k1 v1\nk2 v2'; while read -r k v; do echo "$v<$k"; done <<< "$data"
#### ifs-newline-loop
IFS=$'\n'; for l in $(printf 'a b\nc d'); do echo "[$l]"; done
#### positional-shift-slice
set -- a b c; set -- "${@:2}"; echo "$# $1"
#### last-arg
set -- a b c; echo "${@: -1}" ${#@}
#### array-shift
arr=(a b c); arr=("${arr[@]:1}"); echo ${#arr[@]} ${arr[0]}
#### array-last
arr=(a b c); echo "${arr[@]: -1}" ${arr[-1]}
#### printf-pairs
arr=(k1 v1 k2 v2); printf '%s=%s\n' "${arr[@]}"
#### local-then-cmdsub
f() { local v; v=$(false) || echo "failed $?"; }; f
#### declare-g
f() { declare -g G=global; }; f; echo $G
#### command-v-builtin
command -v cd; command -v type
#### let-postincr-status
i=0; let i++; echo $? $i
#### arith-chain-assign
(( x = y = 3 )); echo $x $y
#### arith-ternary-literal
echo $(( 1 ? 2 : 3 )) $(( 0 ? 2 : 3 ))
#### printf-repeat-char
printf -- '-%.0s' {1..5}; echo
#### printf-star-width
printf '[%*d]\n' 5 42
#### substr-first-char
s=hello; echo "${s:0:1}"
#### dbl-bracket-contains
s=foobar; [[ $s == *"oba"* ]] && echo contains
#### dbl-bracket-not-file
[[ ! -f nope ]] && echo nofile
#### glob-continue-missing
for f in *.txt; do [ -e "$f" ] || { echo none; continue; }; echo $f; done
#### glob-nested
mkdir -p a/b && touch a/b/c && echo a/*/c */*
#### cmdsub-exit
x=$(exit 3); echo $?
#### cmdsub-nested-subshell
echo $( (echo nested-sub) )
#### cmdsub-heredoc
x=$(cat <<EOF
hd
EOF
); echo $x
#### arith-space-in-var
a="1 "; b=" 2"; echo $(( $a+$b ))
#### array-indices-after-unset
a=(0 1 2 3); unset 'a[1]' 'a[2]'; echo ${!a[@]}; a+=(4); echo ${!a[@]}
#### unset-then-index
unset arr; arr[0]=x; echo ${arr[@]}
#### export-readonly-p
export V=1; export -p | grep -c 'V="1"'
#### echo-escape-e-octal
echo -e 'A\0102C'
#### printf-octal-escape
printf 'A\102C\n'
#### nested-arith-cmdsub
echo $(( $(echo 2) ** $(echo 3) ))
#### case-bracket-dash
case - in [a-]) echo dash;; esac
#### quoted-glob-chars-case
case 'a*' in 'a*') echo quoted;; esac
#### brace-with-var
x=1; echo {a,$x}
#### assignment-before-special
x=1; x=2 :; echo $x
#### unset-positional-count
set -- a b; unset 1 2>/dev/null; echo $#
#### dollar-question-after-pipeline
false | false; echo $?
#### negate-pipeline
! false | true; echo $?
#### subshell-status-to-and
(true) && (false) || echo fallback
#### loop-status
for i in 1; do false; done; echo $?
#### while-false-status
while false; do :; done; echo $?
#### if-cond-status-in-then
if false; then :; else echo $?; fi
#### function-status-last
f() { true; false; }; f; echo $?
#### readonly-function-call
f() { readonly RO=1; }; f; RO=2 2>/dev/null; echo reached
