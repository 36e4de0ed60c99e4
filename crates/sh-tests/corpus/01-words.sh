#### echo-simple
echo hello world
#### echo-quotes
echo "a  b" 'c  d' e\ f
#### echo-n
echo -n abc; echo def
#### echo-e
echo -e 'a\tb\nc'
#### echo-E-default
echo 'a\nb'
#### single-in-double
echo "it's" 'say "hi"'
#### backslash-dq
echo "a\$b \"q\" back\\slash \x"
#### ansi-c
echo $'tab\there' $'nl\\n' $'\x41\101'
#### empty-args
set -- "" a ""; echo $#
#### var-simple
x=5; echo $x ${x} "$x"
#### var-unset-empty
echo "[$nope]" [${nope}]
#### var-concat
a=foo; b=bar; echo $a$b ${a}_$b "$a-$b"
#### default-value
unset x; echo ${x:-def} ${x-def2}; x=; echo "[${x:-d}]" "[${x-d}]"
#### assign-default
unset y; echo ${y:=set}; echo $y
#### alt-value
x=1; echo ${x:+alt} "[${nope:+alt}]"
#### error-if-unset
(echo ${nope:?custom message}) 2>/dev/null; echo "status $?"
#### length
x=hello; echo ${#x}; y=; echo ${#y}
#### remove-suffix
f=archive.tar.gz; echo ${f%.*} ${f%%.*}
#### remove-prefix
p=/usr/local/bin; echo ${p#*/} ${p##*/}
#### replace-first-all
s=banana; echo ${s/a/A} ${s//a/A} ${s/#b/B} ${s/%a/Z}
#### replace-delete
s=banana; echo ${s//an/}
#### case-mod
s=hello; echo ${s^} ${s^^}; t=WORLD; echo ${t,} ${t,,}
#### substring
s=abcdef; echo ${s:2} ${s:1:3} ${s: -2} ${s:0:-1}
#### indirect
name=target; target=value; echo ${!name}
#### prefix-names
abc1=1; abc2=2; echo ${!abc*}
#### pattern-quoted
x='a*b'; y=aXXb; echo ${y#"a*"} ${y#a*}
#### special-count
set -- a b c; echo $# $1 $3
#### special-at-quoted
set -- "a b" c; for x in "$@"; do echo "[$x]"; done
#### special-star-quoted
set -- "a b" c; for x in "$*"; do echo "[$x]"; done
#### star-ifs
set -- a b c; IFS=,; echo "$*"
#### at-empty
set --; for x in "$@"; do echo "got $x"; done; echo done
#### at-in-word
set -- 1 2 3; for x in "pre$@post"; do echo "[$x]"; done
#### dollar-zero-c
echo $0 | grep -c . 
#### status-var
false; echo $?; true; echo $?
#### positional-10
set -- 1 2 3 4 5 6 7 8 9 ten; echo ${10} $10
#### arith-basic
echo $((1 + 2 * 3)) $(( (1+2)*3 )) $((7/2)) $((7%3)) $((2**10))
#### arith-vars
a=3; b=4; echo $((a*b)) $(($a+$b)) $((a+=1)) $a
#### arith-incr
i=5; echo $((i++)) $i $((++i)) $((i--)) $i
#### arith-compare
echo $((3>2)) $((3<2)) $((3==3)) $((3!=3)) $((1&&0)) $((1||0))
#### arith-ternary
x=7; echo $((x>5 ? 1 : 0))
#### arith-bits
echo $((5&3)) $((5|3)) $((5^3)) $((~0)) $((1<<4)) $((256>>2))
#### arith-bases
echo $((0x1f)) $((010)) $((2#1010)) $((16#ff))
#### arith-negative
echo $((-5 / 2)) $((-5 % 2)) $((- -3))
#### arith-nested-var
a=b; b=10; echo $((a + 1))
#### arith-comma
echo $((a=1, b=2, a+b))
#### arith-div-zero
echo $((1/0)); echo after
#### arith-unset-zero
unset z; echo $((z + 1))
#### cmdsub-basic
x=$(echo hi); echo "[$x]"
#### cmdsub-trailing-newlines
x=$(printf 'a\n\n\n'); echo "[$x]"
#### cmdsub-backticks
x=`echo back`; echo $x
#### cmdsub-nested
echo $(echo $(echo nested))
#### cmdsub-status
x=$(false); echo $?
#### cmdsub-split
set -- $(echo a b c); echo $#
#### cmdsub-quoted-nosplit
set -- "$(echo a b c)"; echo $#
#### cmdsub-sees-vars
v=inner; echo $(echo $v)
#### cmdsub-no-leak
v=1; x=$(v=2; echo $v); echo $x $v
#### cmdsub-function
f() { echo "from f $1"; }; echo "$(f arg)"
#### brace-list
echo a{b,c,d}e
#### brace-range
echo {1..5} {a..e} {5..1}
#### brace-step
echo {0..10..3} {a..z..5}
#### brace-nested
echo {a,b{1,2}}x
#### brace-quoted
echo "{a,b}" '{1..3}'
#### brace-cartesian
echo {a,b}{1,2}
#### tilde
HOME=/tmp/h; echo ~ ~/x "~"
#### split-ifs-default
x="  a   b  c "; set -- $x; echo $#
#### split-ifs-custom
IFS=:; x="a:b::c"; set -- $x; echo $#; for i in "$@"; do echo "[$i]"; done
#### split-ifs-empty
IFS=; x="a b c"; set -- $x; echo $#
#### split-quoted-var
x="a b"; set -- "$x"; echo $#
#### split-mixed-ws
IFS=' :'; x=' a : b '; set -- $x; echo $#; echo "$1|$2"
#### glob-star
touch b.txt a.txt c.log; echo *.txt
#### glob-question
touch a1 a2 b1; echo a?
#### glob-class
touch x1 x2 x3 y1; echo x[12] x[!1]
#### glob-nomatch
echo *.nothing
#### glob-quoted
touch a.txt; echo "*.txt" '*'.txt
#### glob-hidden
touch .hidden visible; echo *
#### glob-dir
mkdir -p d1/sub d2; touch d1/f; echo */ d1/*
#### glob-in-var
touch q1.c q2.c; p='*.c'; echo $p "$p"
#### noglob
touch a.md; set -f; echo *.md; set +f; echo *.md
#### nullglob
shopt -s nullglob; echo start *.none end
