//! capsa's own commands (`guest/commands`): users, processes and signals
//! through `wasi-ext`, the file commands limited by preview1, and the
//! replacements for uutils commands that cannot work on wasip1.

mod common;

use common::{Fixture, code, describe, expect, expect_stdin, ok, run, run_in, run_stdin};

#[test]
fn id_whoami_and_groups() {
    expect(&["id"], "uid=1000(user) gid=1000(user) groups=1000(user)\n");
    expect(&["id", "-u"], "1000\n");
    expect(&["id", "-gn"], "user\n");
    expect(&["id", "root"], "uid=0(root) gid=0(root) groups=0(root)\n");
    expect(&["whoami"], "user\n");
    expect(&["groups"], "user\n");
    expect(&["groups", "root", "nobody"], "root : root\nnobody : nogroup\n");
    let mut config = common::config();
    config.root = true;
    assert_eq!(ok(&run_in(config.clone(), &["whoami"])), "root\n");
    assert_eq!(ok(&run_in(config, &["id"])), "uid=0(root) gid=0(root) groups=0(root)\n");
    let outcome = run(&["id", "nosuchuser"]);
    assert_eq!(code(&outcome), 1);
    assert_eq!(outcome.stderr_str(), "id: 'nosuchuser': no such user\n");
}

#[test]
fn env_prints_and_runs_with_a_changed_environment() {
    expect(&["env"], "LC_ALL=C\nPATH=/usr/bin:/bin\n");
    expect(&["env", "-u", "LC_ALL"], "PATH=/usr/bin:/bin\n");
    expect(&["env", "GREETING=hi", "printenv", "GREETING"], "hi\n");
    // -i empties the environment; the child still gets PWD (its working
    // directory, as capsa passes it) and needs no PATH for a full path.
    expect(&["env", "-i", "A=1", "/bin/printenv"], "A=1\nPWD=/\n");
    expect(&["env", "-C", "/etc", "pwd"], "/etc\n");
    let outcome = run(&["env", "no-such-command"]);
    assert_eq!(code(&outcome), 127, "{}", describe(&outcome));
    assert_eq!(outcome.stderr_str(), "env: 'no-such-command': No such file or directory\n");
    let outcome = run(&["env", "false"]);
    assert_eq!(code(&outcome), 1);
}

#[test]
fn nice_runs_the_command() {
    expect(&["nice"], "0\n");
    expect(&["nice", "-n", "5", "echo", "niced"], "niced\n");
    let outcome = run(&["nice", "-n", "x", "true"]);
    assert_eq!(code(&outcome), 125);
}

#[test]
fn which_searches_path() {
    expect(&["which", "ls", "grep"], "/usr/bin/ls\n/usr/bin/grep\n");
    expect(&["which", "-a", "sed"], "/usr/bin/sed\n/bin/sed\n");
    assert_eq!(code(&run(&["which", "nope"])), 1);
}

#[test]
fn timeout_stops_a_slow_command() {
    let start = std::time::Instant::now();
    let outcome = run(&["timeout", "0.3", "sleep", "10"]);
    assert_eq!(code(&outcome), 124, "{}", describe(&outcome));
    assert!(start.elapsed() < std::time::Duration::from_secs(8));
    let outcome = run(&["timeout", "-s", "KILL", "--preserve-status", "0.2", "sleep", "10"]);
    assert_eq!(code(&outcome), 137, "{}", describe(&outcome));
    expect(&["timeout", "5", "echo", "in time"], "in time\n");
    let outcome = run(&["timeout", "5", "false"]);
    assert_eq!(code(&outcome), 1);
    let outcome = run(&["timeout", "5", "no-such-command"]);
    assert_eq!(code(&outcome), 127);
    let outcome = run(&["timeout", "-v", "0.1", "sleep", "5"]);
    assert_eq!(outcome.stderr_str(), "timeout: sending signal TERM to command 'sleep'\n");
}

#[test]
fn kill_signals_processes() {
    expect(&["kill", "-l", "9", "TERM", "143"], "KILL\n15\nTERM\n");
    let list = ok(&run(&["kill", "-l"]));
    assert_eq!(list.lines().count(), 31);
    // pid 1 is kill itself: signal 0 only checks.
    expect(&["kill", "-0", "1"], "");
    let outcome = run(&["kill", "-s", "TERM", "1"]);
    assert_eq!(code(&outcome), 143, "{}", describe(&outcome));
    let outcome = run(&["kill", "4242"]);
    assert_eq!(code(&outcome), 1);
    assert_eq!(outcome.stderr_str(), "kill: 4242: No such process\n");
    let outcome = run(&["kill", "-BOGUS", "1"]);
    assert_eq!(code(&outcome), 1);
}

#[test]
fn ps_lists_the_vms_processes() {
    expect(&["ps"], "  PID  PPID  PGID CMD\n    1     0     1 ps\n");
    // ps as a child of timeout (pid 1), in the group timeout made for it.
    // (Its group is 2 once timeout has moved it, which may be after ps ran:
    // spawn has no setpgid attribute.)
    let out = ok(&run(&["timeout", "5", "ps"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[1], "    1     ?     1 ?");
    assert!(lines[2].starts_with("    2     1     ") && lines[2].ends_with(" ps"), "{out}");
}

#[test]
fn xargs_builds_command_lines() {
    let f = Fixture::new(&[]);
    let cases: &[(&[&str], &str)] = &[
        (&["xargs"], "a b\nc\n"),
        (&["xargs", "-n", "2", "echo", "+"], "1 2 3 4 5\n"),
        (&["xargs", "-I", "{}", "echo", "[{}]"], "x y\n z\n"),
        (&["xargs", "-0", "echo"], "a b\0c\0"),
        (&["xargs", "-d", ",", "echo"], "1,2,3"),
        (&["xargs", "-L", "1", "echo", "line:"], "a b\nc d\n"),
        (&["xargs", "echo"], "'quoted arg' \"another one\" back\\ slash\n"),
        (&["xargs", "-r", "echo", "never"], ""),
        (&["xargs", "echo", "always"], ""),
        (&["xargs", "false"], "x\n"),
        (&["xargs", "-E", "STOP", "echo"], "a STOP b\n"),
    ];
    for (argv, stdin) in cases {
        f.differential(argv, stdin);
    }
    let outcome = f.run(&["xargs", "no-such-command"], "x\n");
    assert_eq!(code(&outcome), 127, "{}", describe(&outcome));
    let outcome = f.run(&["xargs", "-P", "3", "-n", "1", "echo"], "1 2 3 4 5 6\n");
    let mut lines: Vec<String> = ok(&outcome).lines().map(str::to_string).collect();
    lines.sort();
    assert_eq!(lines, ["1", "2", "3", "4", "5", "6"]);
}

#[test]
fn tac_reverses_stdin_and_files() {
    // uutils tac panics on stdin on wasip1 (temp_dir()); ours does not.
    let f = Fixture::new(&[("t.txt", "one\ntwo\nthree\n"), ("u.txt", "a,b,c")]);
    for (argv, stdin) in [
        (&["tac"][..], "1\n2\n3\n"),
        (&["tac"], "no final newline\nlast"),
        (&["tac", "t.txt", "u.txt"], ""),
        (&["tac", "-s", ",", "u.txt"], ""),
        (&["tac", "-b", "t.txt"], ""),
        (&["tac", "-r", "-s", "[,]", "u.txt"], ""),
    ] {
        f.differential(argv, stdin);
    }
}

#[test]
fn dd_copies_blocks() {
    // uutils dd starts a thread, which wasip1 cannot; ours does not.
    let f = Fixture::new(&[("in.bin", "0123456789abcdef")]);
    for (argv, stdin) in [
        (&["dd", "if=in.bin", "bs=4", "count=2", "status=none"][..], ""),
        (&["dd", "if=in.bin", "bs=4", "skip=1", "count=1", "status=none"], ""),
        (&["dd", "conv=ucase", "status=none"], "hello\n"),
        (&["dd", "ibs=3", "obs=5", "status=none"], "abcdefghij"),
        (&["dd", "if=in.bin", "iflag=skip_bytes,count_bytes", "skip=3", "count=5", "status=none"], ""),
    ] {
        f.differential(argv, stdin);
    }
    let outcome = f.run(&["dd", "if=in.bin", "of=out.bin", "bs=8", "seek=1"], "");
    assert_eq!(code(&outcome), 0, "{}", describe(&outcome));
    assert_eq!(std::fs::read(f.path().join("out.bin")).expect("out.bin"), b"\0\0\0\0\0\0\0\x000123456789abcdef");
    let err = outcome.stderr_str();
    assert!(err.starts_with("2+0 records in\n2+0 records out\n16 bytes copied, "), "{err}");
    let outcome = f.run(&["dd", "conv=ascii"], "");
    assert_eq!(code(&outcome), 1);
    assert_eq!(outcome.stderr_str(), "capsa: dd: not supported: conv=ascii\n");
}

#[test]
fn du_sums_sizes() {
    let f = Fixture::new(&[("d/a.txt", "12345"), ("d/sub/b.txt", &"x".repeat(3000))]);
    f.differential(&["du", "-b", "d/a.txt"], "");
    expect(&["du", "-b", "/etc/passwd"], "123\t/etc/passwd\n");
    let out = ok(&f.run(&["du", "-a", "-b", "d"], ""));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"5\td/a.txt") && lines.contains(&"3000\td/sub/b.txt"), "{out}");
    assert!(lines.last().is_some_and(|l| l.ends_with("\td")), "{out}");
    expect(&["du", "-sh", "/etc/hostname"], "6\t/etc/hostname\n");
    let out = ok(&f.run(&["du", "-d", "0", "-k", "d/sub"], ""));
    assert!(out.ends_with("\td/sub\n"), "{out}");
}

#[test]
fn df_lists_the_mounts() {
    expect(
        &["df"],
        "Filesystem     1K-blocks  Used Available Use% Mounted on\ncapsa                  -     -         -    - /\n",
    );
    let f = Fixture::new(&[("x", "")]);
    let out = ok(&f.run(&["df", "x"], ""));
    assert!(out.ends_with("host                   -     -         -    - /work\n"), "{out}");
}

#[test]
fn mktemp_creates_unique_files() {
    let f = Fixture::new(&[]);
    let out = ok(&f.run(&["mktemp", "-p", "/work"], ""));
    let name = out.trim().strip_prefix("/work/tmp.").expect("a /work/tmp.* name").to_string();
    assert_eq!(name.len(), 10);
    assert!(f.path().join(format!("tmp.{name}")).is_file());
    let out = ok(&f.run(&["mktemp", "-d", "fooXXXX.d"], ""));
    assert!(out.starts_with("foo") && out.ends_with(".d\n"));
    assert!(f.path().join(out.trim()).is_dir());
    let out = ok(&run(&["mktemp"]));
    assert!(out.starts_with("/tmp/tmp."), "{out}");
    let outcome = run(&["mktemp", "fooXX"]);
    assert_eq!(code(&outcome), 1);
}

#[test]
fn hostname_and_uname_describe_the_vm() {
    expect(&["hostname"], "capsa\n");
    expect(&["uname"], "capsa\n");
    expect(&["uname", "-a"], "capsa capsa 0.3 capsa-abi 0.3 wasm32 WASI\n");
    expect(&["uname", "-nm"], "capsa wasm32\n");
    let outcome = run(&["hostname", "other"]);
    assert_eq!(code(&outcome), 1);
    assert_eq!(outcome.stderr_str(), "hostname: you must be root to change the host name\n");
    let mut config = common::config();
    config.root = true;
    assert_eq!(code(&run_in(config, &["hostname", "renamed"])), 0);
}

#[test]
fn awk_matches_the_native_awk() {
    // The host's awk is mawk here. Cases where POSIX leaves room and mawk
    // differs from gawk (and from us) are avoided: substr with a start
    // below 1, integers above 2^53, the order of `for (k in a)`.
    let f = Fixture::new(&[
        ("data.txt", "alice 30 paris\nbob 25 rome\ncarol 35 paris\n"),
        ("prog.awk", "{ n[$3]++ } END { print n[\"paris\"], n[\"rome\"] }\n"),
        ("para.txt", "a b\nc\n\n\nd e\nf\n"),
        ("csv.txt", "x,1;y,2\nz,3\n"),
    ]);
    let cases: &[(&[&str], &str)] = &[
        (&["awk", "{ print $1 }", "data.txt"], ""),
        (&["awk", "$2 > 26 { print $1, $2 * 2 }", "data.txt"], ""),
        (&["awk", "{ s += $2 } END { print s / NR, NR }", "data.txt"], ""),
        (&["awk", "-F:", "{ print $2 }"], "a:b:c\nd:e:f\n"),
        (&["awk", "-F", "[,;]", "{ print $3, NF }", "csv.txt"], ""),
        (&["awk", "-v", "x=5", "-v", "s=a\\tb", "BEGIN { print x + 1, s }"], ""),
        (&["awk", "-f", "prog.awk", "data.txt"], ""),
        (&["awk", "/rome/ { print NR \": \" $0 }", "data.txt"], ""),
        (&["awk", "{ gsub(/a/, \"A\"); print }", "data.txt"], ""),
        (&["awk", "{ sub(/[0-9]+/, \"<&>\"); print }", "data.txt"], ""),
        (&["awk", "BEGIN { printf \"%5.2f|%-4s|%d|%x|%e|%c\\n\", 3.14159, \"ab\", 42.9, 255, 12345, 65 }"], ""),
        (&["awk", "{ print length($1), substr($1, 2, 3), toupper($3), index($1, \"o\") }", "data.txt"], ""),
        (&["awk", "BEGIN { n = split(\"a1b22c\", p, /[0-9]+/); print n, p[1] p[2] p[3] }"], ""),
        (&["awk", "NR == 2 { next } { print $1 }", "data.txt"], ""),
        (&["awk", "NR == 1, NR == 2 { print \"in\", $1 }", "data.txt"], ""),
        (&["awk", "{ $2 = $2 + 1; print; print NF }", "data.txt"], ""),
        (&["awk", "BEGIN { OFS = \"-\" } { $1 = $1; print } END { print NR }", "data.txt"], ""),
        (&["awk", "{ NF = 2; print }", "data.txt"], ""),
        (&["awk", "{ $5 = \"x\"; print; print NF }", "data.txt"], ""),
        (&["awk", "{ print $NF, $(NF-1) }", "data.txt"], ""),
        (&["awk", "BEGIN { RS = \"\" } { print NR \": \" $1 \"/\" $NF, NF }", "para.txt"], ""),
        (&["awk", "function fact(n) { return n <= 1 ? 1 : n * fact(n - 1) } BEGIN { print fact(10) }"], ""),
        (&["awk", "function fill(a, n) { a[\"k\"] = n } BEGIN { fill(arr, 7); print length(arr), arr[\"k\"] }"], ""),
        (
            &[
                "awk",
                "BEGIN { x[\"a\", \"b\"] = 1; for (k in x) { split(k, p, SUBSEP); print p[1], p[2] }; if ((\"a\", \"b\") in x) print \"yes\" }",
            ],
            "",
        ),
        (
            &[
                "awk",
                "BEGIN { print 1 == 1.0, \"a\" < \"b\", 2 < 10, \"2\" < \"10\", \"abc\" ~ /b/, \"abc\" !~ \"^b\" }",
            ],
            "",
        ),
        (&["awk", "{ print ($2 > 26) ? \"old\" : \"young\" }", "data.txt"], ""),
        (
            &[
                "awk",
                "BEGIN { print match(\"foobar\", /o+/), RSTART, RLENGTH; print int(-3.7), 7 % 3, -7 % 3, 2 ^ 10 }",
            ],
            "",
        ),
        (
            &[
                "awk",
                "BEGIN { CONVFMT = \"%.2f\"; x = 3.14159; y = x \"\"; print y; OFMT = \"%.1f\"; print x; print 17 }",
            ],
            "",
        ),
        (
            &[
                "awk",
                "BEGIN { while (i < 5) { i++; if (i == 2) continue; if (i == 4) break; print i }; do { j++ } while (j < 5); print j }",
            ],
            "",
        ),
        (
            &["awk", "BEGIN { getline; print \"first:\", $0; getline line; print \"then:\", line, NR }"],
            "one\ntwo\nthree\n",
        ),
        (
            &[
                "awk",
                "BEGIN { while ((getline l < \"data.txt\") > 0) n++; print n; close(\"data.txt\"); getline l < \"data.txt\"; print l }",
            ],
            "",
        ),
        (
            &[
                "awk",
                "{ print > \"out.txt\" } END { close(\"out.txt\"); while ((getline l < \"out.txt\") > 0) print \"got\", l }",
                "data.txt",
            ],
            "",
        ),
        (&["awk", "{ print FILENAME, FNR, NR }", "data.txt", "prog.awk"], ""),
        (&["awk", "{ print v, $1 }", "v=1", "data.txt", "v=2", "prog.awk"], ""),
        (&["awk", "BEGIN { ARGV[1] = \"\" } { print }", "missing.txt", "prog.awk"], ""),
        (&["awk", "BEGIN { printf \"%s %s %s\\n\", ARGC, ARGV[1], ENVIRON[\"LC_ALL\"] }", "z"], ""),
        (&["awk", "!/paris/", "data.txt"], ""),
        (&["awk", "length > 14", "data.txt"], ""),
        (&["awk", "END { print $0, NF }", "data.txt"], ""),
        (
            &[
                "awk",
                "{ a[NR] = $1 } END { delete a[2]; print length(a), (2 in a), (3 in a); delete a; print length(a) }",
                "data.txt",
            ],
            "",
        ),
        (&["awk", "BEGIN { s = sprintf(\"%03d-%.3s-%5.1f%%\", 7, \"abcdef\", 99.44); print s, length(s) }"], ""),
        (
            &[
                "awk",
                "BEGIN { x = \"A\"; x = x x x; print x, tolower(x); print substr(\"hello\", 2), substr(\"hello\", 2, 100) }",
            ],
            "",
        ),
        (&["awk", "BEGIN { exit 3 } END { print \"end runs\" }"], ""),
        (&["awk", "{ exit } END { print NR }", "data.txt"], ""),
        (&["awk", "BEGIN { print -0, 1e6, 0.1 + 0.2, 100 / 3, 1e300 * 10 > 1 }"], ""),
        (&["awk", "BEGIN { printf \"%d %i %5.1e %G\\n\", \"12abc\", -3, 0.000123, 1e-10 }"], ""),
    ];
    for (argv, stdin) in cases {
        f.differential(argv, stdin);
    }
    let outcome = f.run(&["awk", "BEGIN { x = 1 / 0 }"], "");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    assert_eq!(outcome.stderr_str(), "awk: division by zero\n");
    let outcome = f.run(&["awk", "BEGIN { print ( }"], "");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    let outcome = f.run(&["awk", "{ print }", "missing.txt"], "");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
}

/// Our commands need neither the clock nor the entropy grant (uutils ones
/// that read the time or build a std `HashMap` do: see the suite's notes).
#[test]
fn our_commands_run_in_a_vm_without_clock_or_entropy() {
    let mut config = common::config();
    config.grants.clock = false;
    config.grants.random = false;
    config.grants.stdin = capsa_runtime::Input::Bytes(b"b 2\na 1\n".to_vec());
    let run = |argv: &[&str]| run_in(config.clone(), argv);
    assert_eq!(ok(&run(&["grep", "-c", "[ab] [0-9]"])), "2\n");
    assert_eq!(ok(&run(&["awk", "{ s += $2 } END { srand(); print s, rand() < 1 }"])), "3 1\n");
    assert_eq!(ok(&run(&["tac"])), "a 1\nb 2\n");
    assert_eq!(ok(&run(&["mktemp", "-u"])).len(), "/tmp/tmp.XXXXXXXXXX\n".len());
    assert_eq!(ok(&run(&["stat", "-c", "%Y", "/etc/passwd"])), "0\n");
    assert_eq!(code(&run(&["dd", "of=/dev/null"])), 0);
    assert_eq!(code(&run(&["timeout", "1", "true"])), 0);
}

#[test]
fn egrep_and_fgrep_are_grep_e_and_f() {
    expect_stdin(&["egrep", "a|c"], "a\nb\nc\n", "a\nc\n");
    expect_stdin(&["fgrep", "a|c"], "a|c\na\n", "a|c\n");
    let outcome = run_stdin(&["egrep", "-q", "zzz"], "a\n");
    assert_eq!(code(&outcome), 1);
}

/// Without a terminal (the test's stdio are captures) `stty` says so,
/// `tput` falls back to `COLUMNS`/`LINES` or 80x24, and settings are
/// refused; `crates/cli/tests/terminal.rs` runs both on a real terminal.
#[test]
fn stty_and_tput_without_a_terminal() {
    let outcome = run(&["stty", "size"]);
    assert_eq!(
        (code(&outcome), outcome.stderr_str()),
        (1, "stty: 'standard input': Inappropriate ioctl for device\n".into())
    );
    let outcome = run(&["stty", "raw", "-echo"]);
    assert_eq!(code(&outcome), 1);
    assert!(outcome.stderr_str().contains("'raw -echo': not supported"), "{}", describe(&outcome));
    expect(&["tput", "cols"], "80\n");
    expect(&["tput", "lines"], "24\n");
    let mut config = common::config();
    config.grants.env.push(("COLUMNS".into(), "132".into()));
    assert_eq!(ok(&run_in(config, &["tput", "cols"])), "132\n");
    let outcome = run(&["tput", "setaf", "1"]);
    assert_eq!(code(&outcome), 1);
}
