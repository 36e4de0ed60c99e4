#### array-basic
a=(one two three); echo ${a[0]} ${a[2]} ${#a[@]}
#### array-all
a=(x "y z" w); for e in "${a[@]}"; do echo "[$e]"; done
#### array-star
a=(1 2 3); echo "${a[*]}"
#### array-assign-index
a[3]=d; a[0]=a; echo ${#a[@]} ${!a[@]}
#### array-append
a=(1 2); a+=(3 4); echo ${a[@]}
#### array-negative
a=(1 2 3); echo ${a[-1]} ${a[@]: -2}
#### array-slice
a=(a b c d e); echo ${a[@]:1:3}
#### array-unset-elem
a=(a b c); unset 'a[1]'; echo ${a[@]} ${#a[@]} ${!a[@]}
#### array-length-elem
a=(hello); echo ${#a[0]}
#### array-arith-index
a=(10 20 30); i=1; echo ${a[i+1]} ${a[$i]}
#### array-scalar-ref
a=(first second); echo $a
#### array-from-glob
touch g1 g2; a=(g*); echo ${#a[@]}
#### array-from-cmdsub
a=($(echo x y z)); echo ${#a[@]}
#### array-ops
a=(apple banana); echo ${a[@]/a/A} ${a[@]^^}
#### array-iterate-indices
a=(p q r); for i in "${!a[@]}"; do echo "$i=${a[$i]}"; done
#### array-in-function
f() { local -a arr=(1 2 3); echo ${#arr[@]}; }; f
#### array-copy
a=(1 "2 3"); b=("${a[@]}"); echo ${#b[@]} "${b[1]}"
#### assoc-basic
declare -A m; m[one]=1; m[two]=2; echo ${m[one]} ${m[two]} ${#m[@]}
#### assoc-literal
declare -A m=([a]=x [b]=y); echo ${m[a]}${m[b]}
#### assoc-keys-sorted
declare -A m=([z]=1 [a]=2 [m]=3); for k in "${!m[@]}"; do echo $k; done | sort
#### assoc-missing
declare -A m; echo "[${m[nope]}]"
#### assoc-unset
declare -A m=([a]=1 [b]=2); unset 'm[a]'; echo ${#m[@]} ${m[b]}
#### assoc-var-key
declare -A m; k="a key"; m[$k]=v; echo ${m["a key"]}
#### assoc-count
declare -A c; for w in a b a c a; do c[$w]=$(( ${c[$w]:-0} + 1 )); done; echo ${c[a]} ${c[b]}
#### set-e-exit
set -e; echo before; false; echo after
#### set-e-condition
set -e; if false; then :; fi; false || true; echo survived
#### set-e-and
set -e; false && true; echo survived
#### set-e-function
set -e; f() { false; echo notreached; }; f; echo notreached2
#### set-e-subshell
set -e; (false); echo no
#### set-e-negation
set -e; ! true; echo survived
#### set-e-pipeline
set -e; false | true; echo survived
#### set-e-pipefail
set -eo pipefail; false | true; echo unreachable
#### set-e-cmdsub
set -e; x=$(false); echo unreachable
#### set-u
set -u; echo ${unset_var:-ok}; echo $unset_var; echo unreachable
#### set-u-at
set -u; set --; echo "$@" ok
#### set-x
set -x; echo traced 2>/dev/null; x=1
#### set-flags
set -eu; echo $- | grep -c e
#### set-o-pipefail-off
set -o pipefail; set +o pipefail; false | true; echo $?
#### set-euo-script
set -euo pipefail
f() { local n=$1; echo $((n * 2)); }
arr=(1 2 3)
for i in "${arr[@]}"; do f $i; done
trap 'echo "exit $?"' EXIT
cat <<EOF | tr a-z A-Z
done with ${#arr[@]}
EOF
#### errexit-status
set -e; (exit 3); echo no
#### script-functions-arrays
#!/bin/bash
set -euo pipefail
trap 'echo cleanup' EXIT
declare -a items=()
add() { items+=("$1"); }
add alpha; add "beta gamma"; add delta
count() { echo "${#items[@]}"; }
echo "count: $(count)"
for it in "${items[@]}"; do
  case "$it" in
    *\ *) echo "spaced: $it" ;;
    *) echo "plain: $it" ;;
  esac
done
declare -A seen=()
for w in a b a; do seen[$w]=1; done
echo "unique: ${#seen[@]}"
sum=0
for n in $(seq 1 10); do (( sum += n )); done
echo "sum: $sum"
cat <<EOF
total=$sum
EOF
#### script-error-handling
set -e
check() { [ "$1" -gt 0 ] || return 1; echo "ok $1"; }
check 1
if ! check 0; then echo "handled"; fi
check 2 && echo fine
#### script-while-read-pipe
printf 'k1 v1\nk2 v2\n' | while read k v; do echo "$v=$k"; done | sort -r
#### script-counter
n=0; while (( n < 5 )); do n=$((n+1)); done; echo $n
#### script-string-build
s=""; for w in a b c; do s="$s$w,"; done; echo ${s%,}
#### script-nested-cmdsub-quotes
echo "$(echo "inner "quoted" $(echo deep)")"
#### script-heredoc-loop
while read a; do echo "[$a]"; done <<EOF
one
two
EOF
#### syntax-error
echo before; if then fi
#### syntax-error-status
eval 'if then'; echo $?
#### sh-c-args
sh -c 'echo $0 $1 $2' zero one two
#### bash-c
bash -c 'echo $#' a b c
#### dollar-dollar
[ "$$" = "$(echo $$)" ] && echo same-pid
#### dollar-dollar-subshell
a=$$; (b=$$; [ $a = $b ] && echo same)
#### script-file
printf '#!/bin/sh\necho "script $1"\nexit 3\n' > s.sh; sh s.sh arg; echo $?
#### script-file-args
printf 'echo $# $1\n' > t.sh; bash t.sh a b
#### exit-code-range
(exit 256); echo $?; (exit 300); echo $?
#### random-range
x=$RANDOM; [ $x -ge 0 ] && [ $x -lt 32768 ] && echo ok
#### line-continuation
echo one \
  two
#### comments
echo a # comment
# full line
echo b
#### semicolon-newlines
if true
then
  echo multi
fi
#### long-pipeline
echo x | cat | cat | cat | cat | cat | tr x y
#### many-cmdsubs
for i in 1 2 3 4 5; do v=$(echo $i); printf '%s' $v; done; echo
#### deep-recursion
r() { [ $1 -eq 0 ] && return 0; r $(( $1 - 1 )); }; r 50; echo ok
#### word-split-for
list="a b  c"; for w in $list; do echo $w; done
#### quote-preserve-newlines
x="$(printf 'a\nb')"; echo "$x"
#### unquoted-newlines
x="$(printf 'a\nb')"; echo $x
#### ifs-read-default
echo "  lead trail  " | { read x; echo "[$x]"; }
#### escape-in-unquoted
echo a\*b \$x \\
#### empty-string-arg
f() { echo $#; }; f "" ""; f $empty
#### assignment-no-split
x="a   b"; y=$x; echo "$y"
#### assignment-tilde
HOME=/hh; x=~/f; echo $x
#### cmd-not-found-127
nosuch 2>/dev/null; echo $?
#### permission-126
echo 'data' > notexec; ./notexec 2>/dev/null; echo $?
