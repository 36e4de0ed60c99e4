#### redirect-out
echo hello > f.txt; cat f.txt
#### redirect-append
echo a > f; echo b >> f; cat f
#### redirect-in
echo content > f; cat < f
#### redirect-stderr
{ echo err >&2; } 2> e.txt; cat e.txt
#### redirect-2to1
{ echo out; echo err >&2; } > all.txt 2>&1; sort all.txt
#### redirect-both
{ echo o; echo e >&2; } &> both.txt; sort both.txt
#### redirect-devnull
echo gone > /dev/null; echo kept
#### redirect-order
{ echo err >&2; } 2>&1 >/dev/null | cat
#### heredoc
cat <<EOF
line one
line two
EOF
#### heredoc-expand
x=world; cat <<EOF
hello $x $((1+1))
EOF
#### heredoc-quoted
x=world; cat <<'EOF'
hello $x
EOF
#### heredoc-tabs
cat <<-EOF
	indented
		more
	EOF
#### heredoc-in-function
f() {
  cat <<END
in function $1
END
}
f arg
#### heredoc-read
read a b <<EOF
first second third
EOF
echo "$a|$b"
#### herestring
cat <<< "here string"; read x <<< word; echo $x
#### herestring-var
v="a b"; tr a-z A-Z <<< "$v"
#### fd-exec-write
exec 3> fd3.txt; echo via3 >&3; exec 3>&-; cat fd3.txt
#### fd-exec-read
printf 'l1\nl2\n' > in.txt; exec 4< in.txt; read a <&4; read b <&4; echo "$a $b"
#### fd-dup-close
{ echo visible; echo hidden >&2; } 2>&-; echo after
#### fd-per-command
echo x 3>/dev/null; echo y
#### redirect-builtin-restore
echo first > r.txt; echo second; cat r.txt
#### redirect-loop
for i in 1 2 3; do echo $i; done > loop.txt; cat loop.txt
#### redirect-while-input
printf 'x\ny\n' > w.txt; while read l; do echo "got $l"; done < w.txt
#### redirect-noclobber
echo a > nc; set -C; (echo b > nc) 2>/dev/null; echo $?; cat nc; echo c >| nc; cat nc
#### redirect-missing-file
cat < nonexist 2>/dev/null; echo $?
#### redirect-bad-dir
echo x > /nonexistent/dir/f 2>/dev/null; echo $?
#### exec-redirect-stdout
exec 5>&1; exec > ex.txt; echo inside; exec 1>&5; cat ex.txt
#### read-loop-ifs
printf 'a:b:c\n' > p; IFS=: read x y z < p; echo "$z $y $x"
#### read-r
printf 'a\\b\n' | { read -r x; echo "$x"; }
#### read-no-r
printf 'a\\b\n' | { read x; echo "$x"; }
#### read-rest
echo "1 2 3 4" | { read a b; echo "[$a][$b]"; }
#### read-eof-status
printf 'noeol' | { read x; echo "$? $x"; }
#### read-array
echo "x y z" | { read -a arr; echo ${arr[1]} ${#arr[@]}; }
#### read-delim
printf 'a,b' | { read -d , x; echo $x; }
#### read-n
echo abcdef | { read -n 3 x; echo $x; }
#### mapfile
printf 'l1\nl2\nl3\n' | { mapfile -t lines; echo ${#lines[@]} ${lines[2]}; }
#### cat-multiple
echo 1 > a; echo 2 > b; cat a b
