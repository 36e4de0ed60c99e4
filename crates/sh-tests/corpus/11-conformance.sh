#### read-without-names-keeps-the-line
echo '  a b  ' | { read; echo "[$REPLY]"; }
#### read-without-names-backslashes
printf 'x\\ty \\\n z\n' | { read; echo "[$REPLY]"; }; printf 'x\\ty\n' | { read -r; echo "[$REPLY]"; }
#### empty-quoted-part-is-a-field
s=' '; printf '<%s>' 1 $s"" 2; echo; printf '<%s>' 1 ""$s 2; echo
#### printf-u-negative
printf '%u %u %x\n' -1 5 -1
#### shopt-print-and-status
shopt -p nullglob; echo $?; shopt -s nullglob; shopt -p nullglob; shopt nullglob sourcepath; shopt -u sourcepath; shopt -p sourcepath; shopt -q extglob; echo $?
#### shopt-unknown-name
shopt nope 2>/dev/null; echo $?
#### dollar-dash-has-c
case $- in *c*) echo has-c;; *) echo no-c;; esac; set -e; echo $-
#### quotes-inside-default-in-double-quotes
v=x; echo "${u:-'$v'}" "${u:-'a b'}" ${u:-'$v'}
#### break-in-a-while-condition
i=0; while break; do i=$((i+1)); done; echo i=$i
#### tilde-after-colon-in-assignment
HOME=/home/u; x=a:~:~/bin:b~; echo $x; y='a:~'; echo $y
#### ansi-c-unicode-and-control
echo $'\u03bc' $'\U0001F600' $'\u0041\cA\c?' | od -An -tx1; LC_ALL=C.UTF-8 bash -c "echo \$'\\u03bc'" | od -An -tx1
#### echo-e-octal-needs-its-zero
echo -e '\1|\0101|\x41' | od -An -c
#### printf-b-octal
printf '%b|' '\1' '\0101' '\101'; echo
#### printf-format-unicode-and-literal-c
printf '\u03bc a\cb|\n'
#### printf-v-array-element
printf -v 'a[1]' %s x; declare -A m; printf -v 'm[k]' %d 5; echo ${a[1]} ${m[k]}
#### printf-time-format
printf '%(%Y-%m-%d %H:%M:%S %j %a %b %e %u)T|\n' 0 86399 1700000000 -86401; printf '[%20(%F)T] [%-12(%R)T]\n' 951782400 951782400
#### lastpipe-runs-the-last-element-here
shopt -s lastpipe; echo x | read v; echo $v; printf 'a\nb\n' | while read l; do last=$l; done; echo $last
#### lastpipe-exit-in-the-last-element
shopt -s lastpipe; echo 3 | { read n; exit $((n+1)); }; echo never
#### a-text-file-without-hashbang-runs-as-a-script
printf 'echo from-script ${0##*/} $1\n' > nohash; chmod +x nohash; ./nohash arg; echo rc=$?; PATH=$PWD:$PATH nohash x; printf '\0\1' > bin; chmod +x bin; ./bin 2>/dev/null; echo rc=$?
#### wait-n-takes-the-next-job
sleep 0.3 & sleep 0.05 & (exit 3) & wait -n; wait -n; echo $?; wait; wait -n; echo $?
#### arrays-are-not-exported
x=(a b); y=s; export x y; env | grep -c '^[xy]='
#### local-dash-keeps-set-options-local
f() { local -; set -e; echo in $-; }; f; echo out $-; g() { local - v=1; set -u; echo $v; }; g; echo $-
#### brace-sequences-keep-zero-padding
echo {01..03} {1..10..3} {05..1..2} {-01..2} {001..3} a{08..10}b {1..3}{01..02}; echo {0..2} {-5..-3} {00..1}
#### transform-a-and-A-and-K
x=1; export y=2; declare -i n=3; a=(x "y z"); declare -A A=([k]=v); echo ${x@A} ${y@A} ${n@A}; echo ${a@A}; echo ${a[@]@A}; echo ${A[@]@A}
x=1; export y=2; a=(x "y z"); declare -A A=([k]=v); echo ${x@a} ${y@a} ${a@a} ${a[@]@a} ${A@a} ${nope@a}X; echo ${a[@]@K}; printf '<%s>' ${a[@]@k}; echo; echo ${A[@]@K} ${x@K}
declare -a e; echo ${e@A}; declare s; echo ${s@A}X; declare -i k; echo ${k@A}
#### extglob-in-conditional
shopt -s extglob; [[ ab == @(ab|cd) ]] && echo yes; [[ x == @(ab|cd) ]] || echo no; [[ foo.c == !(*.txt) ]] && echo notxt; [[ a.txt == !(*.txt) ]] || echo istxt
#### extglob-repeats-and-options
[[ aaa == +(a) ]] && echo plus; [[ "" == *(a) ]] && echo starempty; [[ ab == ?(a)b ]] && echo opt; [[ abab == +(ab) ]] && echo abab; [[ aba == +(ab) ]] || echo notaba
#### extglob-in-case-and-parameter-operations
shopt -s extglob
case abc in @(x|abc)) echo case-hit;; *) echo miss;; esac
v=foo.tar.gz; echo ${v%%+(.tar|.gz)} ${v//@(o|a)/_}
#### extglob-in-pathname-expansion
shopt -s extglob
d=$(mktemp -d) && cd "$d" && touch a.c b.h c.txt && echo !(*.txt) && echo @(a|b).* && echo *.!(c); cd / && rm -r "$d"
#### extglob-quoted-and-from-a-variable
shopt -s extglob; [[ 'a(b' == a\(b ]] && echo escaped; x='@(a|b)'; [[ a == $x ]] && echo fromvar; [[ a == "$x" ]] || echo quoted-literal
#### malformed-parameter-expansion-is-an-error
echo ${a&}; echo not-reached
#### malformed-parameter-expansion-in-double-quotes
echo "${a b}"; echo not-reached
#### dollar-brace-that-is-not-an-expansion
x=5; echo \${x} "$"{x} $ {x} a$ "a$"
#### process-substitution-as-arguments
cat <(echo hi); diff <(printf 'a\nb\n') <(printf 'a\nc\n'); echo st=$?; paste <(seq 3) <(seq 4 6); comm -12 <(printf 'a\nb\n') <(printf 'b\nc\n')
#### process-substitution-redirected
wc -l < <(seq 5); while read l; do echo "got $l"; done < <(printf '1\n2\n'); n=0; while read l; do n=$((n+l)); done < <(seq 4); echo sum=$n
#### process-substitution-written-to
echo hello | tee >(tr a-z A-Z > out.txt) > /dev/null; sleep 0.3; cat out.txt; rm -f out.txt
#### process-substitution-in-command-substitution
echo "$(cat <(echo nested))" $(wc -c < <(printf abc))
#### cat-options
printf 'a\tb\n\n\n\nc\n' | cat -A -s -n; printf 'x\ny' | cat -E; echo; printf '\001\177' | cat -v; echo
#### bytes-above-0x7f-stay-bytes
printf '\377' | od -An -tx1; echo -e '\xff\x80' | od -An -tx1; x=$'\377\xfe'; printf %s "$x" | od -An -tx1; echo ${#x}
#### binary-output-through-command-substitution-and-read
y=$(printf '\xff\xfeab'); printf %s "$y" | od -An -tx1; printf '\xff\n' | { read v; printf %s "$v" | od -An -tx1; }; printf '%s' $'\xff' | wc -c
#### raw-bytes-in-a-here-document-and-a-test
x=$'\xff'
cat <<END | od -An -tx1
a$x
END
printf '\xff' > rawbyte.tmp; v=$(cat rawbyte.tmp); [ "$v" = $'\xff' ] && echo eq; rm -f rawbyte.tmp
#### valid-utf8-from-escapes
printf 'caf\xc3\xa9\n'; echo $'\xce\xbc' | od -An -tx1
