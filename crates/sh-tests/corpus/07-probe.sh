#### at-in-assign
set -- a b c; x="$@"; echo "$x"; y=$*; echo "$y"
#### append-positional
set -- a b; set -- "$@" c; echo $# $3
#### unset-ifs
unset IFS; x="a b	c"; set -- $x; echo $#
#### ansi-newline-printf
printf '%s\n' $'a\nb'
#### arith-big
echo $(( 2 ** 62 )) $(( 9223372036854775807 + 1 ))
#### let-quoted
let "x = 1 + 2"; echo $x
#### dbl-bracket-mixed
x=; [[ -z $x && -n "y" ]] && echo ok
#### dbl-bracket-escaped-space
[[ "a b" == a\ * ]] && echo match
#### array-slice-from
x=(a b c); echo ${x[@]:1}
#### brace-product
echo {a..c}{1..2}
#### brace-empty-alt
echo a{,b} x{y}
#### unicode-escape
echo $'\u00e9' | wc -c
#### slash-in-pattern
p=/a/b/c; echo ${p//\//-}
#### prefix-insert
v=abc; echo ${v/#/x} ${v/%/y}
#### function-newline-brace
f()
{
  echo newline-brace
}
f
#### function-keyword-parens
function g() { echo kw-parens; }; g
#### heredoc-to-file
cat <<EOF > hd.txt
stored
EOF
cat hd.txt
#### heredoc-two
cat <<A; cat <<B
first
A
second
B
#### heredoc-backslash
cat <<EOF
a\$b \\ c\
d
EOF
#### stdin-dup
echo in | { exec 3<&0; read x <&3; echo $x; }
#### stderr-to-null-stdout
{ echo out; echo err >&2; } 2>&1 >/dev/null | wc -l
#### test-precedence
[ a = b -o a = a -a b = c ]; echo $?
#### and-or-status
true && false || true; echo $?
#### if-not
if ! false; then echo negated; fi
#### until-break
until false; do echo once; break; done
#### while-arith-break
i=0; while true; do ((i++ > 3)) && break; done; echo $i
#### printf-zero-float
printf '%06.2f\n' 3.14159
#### printf-empty
printf '%s'; echo "[$?]"
#### star-custom-ifs
a=(x y z); IFS=:; echo "${a[*]}"
#### eval-at
set -- 'a b' c; eval 'for i in "$@"; do echo "<$i>"; done'
#### set-cmdsub-count
set -- $(seq 3); echo "$#"
#### default-concat
unset x y; z=${x:-a}${y:-b}; echo $z
#### test-unset-empty
[ "$unsetvar" = "" ] && echo empty
#### test-one-arg
test -n; echo $?; [ ]; echo $?
#### shift-in-function
f() { shift; }; set -- a b; f; echo $1
#### star-ifs-empty
set -- a b; IFS=; echo $*; echo "$*"
#### nested-cmdsub-quotes
echo "$(echo "$(echo "a  b")")"
#### backtick-escaped
echo `echo \`echo inner\``
#### comment-after-case
case x in x) echo hit;; # comment
esac
#### for-empty-list
for x in; do echo never; done; echo done
#### local-integer
f() { local -i n=3+4; echo $n; }; f
#### arith-array-elem
(( a[1] = 5 )); echo ${a[1]} $(( a[1] + 1 ))
#### index-side-effect
i=0; arr[i++]=x; arr[i++]=y; echo $i ${arr[1]}
#### assoc-append
declare -A m=([a]=1); m+=([b]=2); echo ${#m[@]} ${m[b]}
#### regex-var
re='^([0-9]+)-([a-z]+)$'; [[ 12-ab =~ $re ]] && echo ${BASH_REMATCH[2]} ${BASH_REMATCH[0]}
#### regex-nomatch
[[ abc =~ ^x ]]; echo $?
#### read-leading-nonws
IFS=: read a b <<< ":x"; echo "[$a][$b]"
#### pipestatus-single
false; echo ${PIPESTATUS[0]}
#### kill-zero
kill -0 $$ && echo alive
#### type-keyword
type -t if; type -t nosuch; echo $?
#### cd-to-file
touch f; cd f 2>/dev/null; echo $?
#### subshell-exit-trap-order
(trap 'echo t1' EXIT; exit 2); echo "s=$?"
#### errexit-cmd-in-and
set -e; f() { return 1; }; f && echo no; echo yes
#### var-with-digits
a1=x; echo $a1 ${a1}b
#### special-chars-echo
echo 'a|b;c&d<e>f(g)h'
#### double-dash-args
f() { echo "$@"; }; f -- -n x
#### quoted-empty-array
a=(); set -- "${a[@]}"; echo $#
#### array-quoted-star-empty
a=(); set -- "${a[*]}"; echo $#
#### nounset-array-elem
set -u; a=(1); echo ${a[0]}; (echo ${a[5]}) 2>/dev/null; echo $?
#### modifying-ifs-in-function
f() { local IFS=,; echo "$*"; }; f a b c; echo "$*" x
#### readarray-lines
printf 'x\ny\n' > f; readarray -t L < f; echo ${L[1]}
#### printf-reuse-format-numbers
printf '%d-%d\n' 1 2 3
#### exit-no-arg-status
(false; exit); echo $?
#### return-in-loop-in-function
f() { for i in 1 2 3; do [ $i = 2 ] && return 7; done; }; f; echo $?
#### break-in-while-read
printf '1\n2\n3\n' | while read n; do [ $n = 2 ] && break; echo $n; done
#### continue-in-until
i=0; until [ $i -ge 3 ]; do i=$((i+1)); [ $i = 2 ] && continue; echo $i; done
#### case-multiple-lines
x=b
case $x in
  a)
    echo A
    ;;
  b)
    echo B
    ;;
esac
