#### declare-p-assoc
declare -A m=([a]=1); declare -p m
#### positional-slice
set -- a b c d; echo ${@:2} ${@:2:2} ${#@}
#### printf-array
a=(x "y z"); printf '<%s>\n' "${a[@]}"
#### ifs-empty-read-r
printf '  lead\\x  \n' | { IFS= read -r line; echo "[$line]"; }
#### while-read-file
printf 'one\ntwo\n' > f; n=0; while IFS= read -r line; do n=$((n+1)); echo "$n:$line"; done < f
#### set-u-empty-array
set -u; a=(); echo "${a[@]}" done
#### dbl-bracket-bare
x=1; [[ $x ]] && echo nonempty; [[ $nope ]] || echo empty
#### arith-cmd-zero-status
i=0; ((i++)); echo $? $i; ((i++)); echo $?
#### case-posix-class
case 7 in [[:digit:]]) echo digit;; esac; case a in [[:upper:]]) echo up;; *) echo notup;; esac
#### quote-transform
x="a'b"; echo ${x@Q}
#### default-cmdsub
echo "${x:-$(echo sub)}"
#### colon-assign-default
: ${cfg:=dflt}; echo $cfg
#### heredoc-dq-delim
cat <<"EOF"
$HOME stays
EOF
#### heredoc-cmdsub
cat <<EOF
sum=$(( 2 + 3 )) cmd=$(echo inner)
EOF
#### for-brace-range
for i in {1..3}; do printf '%s,' $i; done; echo
#### test-x
[ -x /bin/sh ] && echo exec; [ -x /etc/passwd ] || echo noexec
#### command-v-external
command -v seq >/dev/null && echo found
#### return-source
printf 'return 5\n' > r.sh; . ./r.sh; echo $?
#### wait-bang
(exit 9) & p=$!; wait $p; echo $?
#### printf-width-float
printf '[%-8s][%5.1f][%+d]\n' ab 3.14159 5
#### string-lt
[[ apple < banana ]] && echo lt; [ "b" \> "a" ] && echo gt
#### substring-neg-paren
s=abcdef; echo ${s:(-3):2} ${s: -3:2}
#### nested-quotes-default
unset x; y=val; echo "${x:-"a b"}" ${x:+"$y"} "${y:+"[$y]"}"
#### literal-default
unset x; y=Y; echo ${x:-'lit $y'}
#### ifs-comma-read
IFS=, read a b c <<< "1,2,3"; echo "$c$b$a"
#### local-nested
f() { local x=f; g; echo "f:$x"; }; g() { local x=g; echo "g:$x"; }; x=top; f; echo "top:$x"
#### local-modifies-caller
f() { x=changed; }; g() { local x=g; f; echo "g:$x"; }; x=top; g; echo "top:$x"
#### unset-local-reveals
x=global; f() { local x=local; unset x; echo "[${x-unset}]"; }; f
#### func-args-preserved
f() { shift; echo $1; }; set -- a b c; f x y; echo $1
#### exit-in-subshell-pipeline
echo a | (exit 3); echo $?
#### subshell-errexit-inherit
set -e; (false; echo no); echo no2
#### or-errexit
set -e; false || echo recovered; echo end
#### cmdsub-in-arith
echo $(( $(echo 4) * 2 ))
#### array-sparse-len
a=([5]=x [10]=y); echo ${#a[@]} ${!a[@]}
#### array-plus-assign-elem
a=(1 2); a[1]+=0; echo ${a[@]}
#### string-plus-assign
s=ab; s+=cd; echo $s
#### integer-plus
declare -i n=1; n+=2*3; echo $n
#### echo-dash
echo -; echo -- x; echo -x
#### printf-no-newline-reuse
printf '%s=%s;' a 1 b 2; echo
#### glob-sorted
touch b a c; for f in *; do echo $f; done
#### glob-bracket-range
touch f1 f5 f9; echo f[1-5]
#### tilde-in-assign-list
HOME=/h; a=(~ ~/x); echo ${a[@]}
#### trap-exit-in-function
f() { trap 'echo trapped' EXIT; }; f; echo body
#### exit-trap-exit-code
trap 'exit 7' EXIT; exit 1
#### errexit-in-if-function
set -e; f() { false; echo cont; }; if f; then echo yes; fi
#### pipeline-var-scope
x=0; echo 1 | while read v; do x=$v; done; echo $x
#### case-empty-word
case "" in "") echo empty;; *) echo other;; esac
#### long-options-set
set -o errexit -o nounset; echo $- | grep -c u
#### eval-quoting
eval "echo \"a  b\""
#### backslash-newline-dq
echo "a\
b"
#### dollar-single-quote-in-dq
echo "$'x'"
#### param-length-array-elem-count
a=(aa bbb); echo ${#a} ${#a[1]} ${#a[@]}
#### readonly-declare-p
readonly ro=1; declare -p ro
#### getopts-silent
set -- -x -z; while getopts :x opt; do echo "$opt ${OPTARG:-}"; done
#### mapfile-no-trim
printf 'a\nb\n' | { mapfile arr; printf '%s' "${arr[@]}"; }
#### seq-in-for
for i in $(seq 3); do echo -n $i; done; echo
#### head-early-exit-status
seq 1 100000 | head -n 1; echo ${PIPESTATUS[1]}
