#### last-arg-underscore
mkdir -p made && cd $_ && basename "$PWD"
#### getopts-in-function-twice
p() { local OPTIND o; while getopts ab o; do printf '%s' $o; done; echo; }; p -ab; p -ba
#### indirect-last-positional
set -- a b c; echo ${!#}
#### arith-comma-assign
echo $((x=2, x*3))
#### dev-null-tests
[ -e /dev/null ] && [ -c /dev/null ] && echo dev
#### set-output-quoting
x='a b'; set | grep '^x='
#### declare-p-escape
x='a"b$c'; declare -p x
#### exec-stderr-permanent
exec 2>/dev/null; nosuchcommand; echo "st $?"
#### trap-listing
trap 'echo x' EXIT; trap; trap - EXIT
#### brace-printf
printf '%s\n' {a..c}
#### pwd-basename
mkdir -p deep/er; cd deep/er; echo ${PWD##*/}
#### ifs-save-restore
OLDIFS=$IFS; IFS=,; set -- $(echo "a,b"); IFS=$OLDIFS; echo $# "$IFS" | wc -c
#### array-append-by-length
x=(); x[${#x[@]}]=a; x[${#x[@]}]=b; echo ${x[@]}
#### for-arith-empty-parts
for ((i=0;;i++)); do [ $i -ge 2 ] && break; echo $i; done
#### for-arith-all-empty
n=0; for ((;;)); do n=$((n+1)); [ $n = 3 ] && break; done; echo $n
