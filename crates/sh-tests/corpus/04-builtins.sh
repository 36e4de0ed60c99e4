#### printf-basic
printf '%s-%s\n' a b
#### printf-repeat
printf '%s\n' x y z
#### printf-numbers
printf '%d %5d %-5d| %05d %x %X %o\n' 42 42 42 42 255 255 8
#### printf-strings
printf '[%5s][%-5s][%.2s]\n' ab ab abcdef
#### printf-escapes
printf 'a\tb\\n\n'
#### printf-b
printf '%b\n' 'x\ty'
#### printf-q
printf '%q\n' 'a b'
#### printf-char
printf '%c\n' hello
#### printf-percent
printf '100%%\n'
#### printf-missing
printf '%s|%s|\n' only
#### printf-float
printf '%.2f %f\n' 3.14159 2.5
#### printf-v
printf -v out '%03d' 7; echo $out
#### printf-char-code
printf '%d\n' "'A"
#### test-strings
[ a = a ] && echo eq; [ a != b ] && echo ne; [ -z "" ] && echo z; [ -n x ] && echo n
#### test-numbers
[ 3 -gt 2 ] && echo gt; [ 2 -le 2 ] && echo le; [ 1 -eq 2 ] || echo neq
#### test-files
touch f; mkdir d; [ -f f ] && echo file; [ -d d ] && echo dir; [ -e none ] || echo none
#### test-s
: > empty; echo x > full; [ -s empty ] || echo empty; [ -s full ] && echo full
#### test-not-and-or
[ ! -e nope ] && echo notexist; [ a = a -a b = b ] && echo and; [ a = b -o b = b ] && echo or
#### test-parens
[ \( a = a \) ] && echo paren
#### test-word
test x && echo nonempty; test "" || echo empty
#### test-error
[ 1 -eq x ] 2>/dev/null; echo $?
#### test-missing-bracket
[ a = a 2>/dev/null; echo $?
#### dbl-bracket-pattern
x=hello; [[ $x == h* ]] && echo match; [[ $x == "h*" ]] || echo literal
#### dbl-bracket-regex
[[ abc123 =~ ^[a-z]+([0-9]+)$ ]] && echo ${BASH_REMATCH[1]}
#### dbl-bracket-and-or
[[ -n a && ( -z "" || 1 -eq 2 ) ]] && echo ok
#### dbl-bracket-nosplit
x="a b"; [[ $x = "a b" ]] && echo same
#### dbl-bracket-compare
[[ b > a ]] && echo gt; [[ 10 -gt 9 ]] && echo num
#### dbl-bracket-v
x=1; [[ -v x ]] && echo set; [[ -v nope ]] || echo unset
#### dbl-bracket-arith
x=3; [[ x+1 -eq 4 ]] && echo arith
#### cd-pwd
mkdir -p a/b; cd a/b; basename $(pwd); cd ..; basename "$PWD"
#### cd-dash
mkdir x y; cd x; cd ../y; cd - >/dev/null; basename $PWD
#### cd-oldpwd
mkdir z; cd z; basename $OLDPWD | grep -c .
#### cd-missing
cd /nonexistent 2>/dev/null; echo $?
#### export-child
export FOO=bar; sh -c 'echo $FOO'
#### unexported-child
BAR=baz; sh -c 'echo "[$BAR]"'
#### prefix-assign-child
X=1 sh -c 'echo $X'; echo "[$X]"
#### prefix-assign-builtin
x=outer; x=temp eval 'echo $x'; echo $x
#### prefix-assign-function
f() { echo "f sees $v"; }; v=tmp f; echo "[$v]"
#### unset-var
x=1; unset x; echo "[${x-unset}]"
#### unset-function
f() { echo f; }; unset -f f; f 2>/dev/null || echo gone
#### readonly
readonly r=1; r=2 2>/dev/null; echo $r
#### readonly-status
readonly q=1; (q=2) 2>/dev/null; echo $?
#### shift
set -- a b c d; shift; echo $1; shift 2; echo $1 $#
#### shift-too-many
set -- a; shift 3; echo $?
#### set-positional
set -- x y z; echo $2; set --; echo $#
#### local-unset-outside
f() { local y; y=2; }; f; echo "[${y-none}]"
#### declare-integer
declare -i n=5; n=n*2; echo $n; n+=1; echo $n
#### declare-p
x=1; declare -p x; declare -a arr=(a b); declare -p arr
#### declare-export
declare -x E=1; sh -c 'echo $E'
#### let
let a=5+5 b=a*2; echo $a $b; let 0; echo $?
#### getopts
set -- -a -b val file; while getopts ab: o; do echo "$o ${OPTARG-}"; done; shift $((OPTIND-1)); echo "rest $1"
#### getopts-combined
set -- -xy -z; while getopts xyz o; do echo $o; done
#### getopts-unknown
set -- -q; getopts a o 2>/dev/null; echo "$o"
#### alias-define-print
alias ll='ls -l'; alias ll
#### umask
umask 027; umask
#### trap-exit
trap 'echo bye' EXIT; echo hi
#### trap-exit-status
trap 'echo trap $?' EXIT; (exit 3); exit 4
#### trap-exit-subshell
(trap 'echo sub-exit' EXIT; echo in-sub); echo after
#### trap-reset
trap 'echo no' EXIT; trap - EXIT; echo done
#### trap-exit-on-error
set -e; trap 'echo cleanup' EXIT; false; echo unreachable
#### kill-bg
sleep 5 & kill $!; wait $!; echo $?
#### wait-all
(exit 1) & (exit 2) & wait; echo $?
#### true-false-status
true; echo $?; false; echo $?
#### exec-cmd
exec echo replaced; echo never
