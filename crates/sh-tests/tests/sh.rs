//! Behaviours of capsa's shell that the differential corpus cannot show:
//! stderr messages, capsa-specific fd and process semantics, the ways the
//! shell is started, and its robustness on bad input.

use std::os::unix::fs::PermissionsExt;

use capsa_runtime::{ExitStatus, Outcome};
use capsa_sh_tests::Sh;

fn describe(o: &Outcome) -> String {
    format!("status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}", o.status, o.stdout_str(), o.stderr_str())
}

#[track_caller]
fn expect(script: &str, stdout: &str, status: u32) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Sh::new().in_dir(dir.path(), "/work").run(script);
    assert_eq!((o.stdout_str().as_str(), &o.status), (stdout, &ExitStatus::Exited(status)), "{}", describe(&o));
    o
}

#[test]
fn the_issue_pipeline() {
    expect(r#"seq 1 100000 | sort -rn | head -3 | tr "\n" " ""#, "100000 99999 99998 ", 0);
}

#[test]
fn missing_command_is_127_with_message() {
    let o = expect("foo; echo $?", "127\n", 0);
    assert!(o.stderr_str().contains("sh: foo: command not found"), "{}", describe(&o));
}

#[test]
fn syntax_error_is_status_2_and_runs_nothing() {
    let o = expect("echo before; if then fi", "", 2);
    assert!(o.stderr_str().starts_with("sh: syntax error"), "{}", describe(&o));
}

#[test]
fn signaled_child_is_128_plus_signal() {
    expect("sh -c 'kill -9 $$'; echo $?", "137\n", 0);
}

#[test]
fn not_executable_is_126() {
    let o = expect("echo data > f; ./f; echo $?", "126\n", 0);
    assert!(o.stderr_str().contains("Permission denied"), "{}", describe(&o));
}

#[test]
fn user_fds_never_clobber_preopens() {
    // fd 3 is a preopen in every capsa process: `exec 3>` must not replace
    // it, or the shell and its children could no longer open paths.
    expect(
        "exec 3>f3 4>f4; echo three >&3; echo four >&4; cat /etc/hostname; exec 3>&- 4>&-; cat f3 f4",
        "capsa\nthree\nfour\n",
        0,
    );
}

#[test]
fn user_fds_reach_child_shells() {
    expect("exec 5>out; ( echo from-sub >&5 ); { echo piped >&5; } | cat; exec 5>&-; cat out", "from-sub\npiped\n", 0);
}

#[test]
fn explicit_fd_redirection_reaches_external_commands() {
    expect("echo data > in; cat /dev/fd/0 2>/dev/null <in || cat <in", "data\n", 0);
}

#[test]
fn xtrace_goes_to_stderr() {
    let o = expect("set -x; echo hi; x=$(echo a b)", "hi\n", 0);
    assert!(o.stderr_str().contains("+ echo hi\n"), "{}", describe(&o));
    assert!(o.stderr_str().contains("+ x='a b'\n"), "{}", describe(&o));
}

#[test]
fn script_from_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Sh::new().in_dir(dir.path(), "/work").stdin(b"x=3\necho $((x*x))\nexit 4\n").run_args(&[]);
    assert_eq!((o.stdout_str().as_str(), &o.status), ("9\n", &ExitStatus::Exited(4)), "{}", describe(&o));
}

#[test]
fn script_file_with_shebang_and_args() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("s.sh");
    std::fs::write(&script, "#!/bin/sh\necho \"$0 $# $1\"\nexit 3\n").expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let sh = Sh::new().in_dir(dir.path(), "/work");
    // `#!` passes the script's path as the caller gave it, as Linux does.
    let o = sh.run("./s.sh one two; echo status $?");
    assert_eq!(o.stdout_str(), "./s.sh 2 one\nstatus 3\n", "{}", describe(&o));
    let o = sh.run_args(&["-e", "s.sh", "x"]);
    assert_eq!((o.stdout_str().as_str(), &o.status), ("s.sh 1 x\n", &ExitStatus::Exited(3)), "{}", describe(&o));
}

#[test]
fn dash_o_options_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Sh::new().in_dir(dir.path(), "/work").run_args(&["-eo", "pipefail", "-c", "false | true; echo no"]);
    assert_eq!((o.stdout_str().as_str(), &o.status), ("", &ExitStatus::Exited(1)), "{}", describe(&o));
}

#[test]
fn large_here_document_and_state() {
    // A here-document past the pipe buffer goes through a temporary file;
    // a subshell state past the argv budget goes through one too.
    expect("x=$(seq 1 30000); cat <<EOF | wc -l\n$x\nEOF", "30000\n", 0);
    expect("big=$(seq 1 60000); (echo \"$big\" | tail -n 1); echo \"$big\" | wc -l", "60000\n60000\n", 0);
}

#[test]
fn pipelines_run_concurrently() {
    // `head` exits after one line; the producer must not need to finish
    // first (an endless producer would otherwise hang the test).
    expect("while :; do echo y; done | head -n 2", "y\ny\n", 0);
}

#[test]
fn working_directory_reaches_children() {
    expect(
        "mkdir -p a/b && cd a/b && pwd && sh -c pwd && (pwd) && cd .. && pwd",
        "/work/a/b\n/work/a/b\n/work/a/b\n/work/a\n",
        0,
    );
}

#[test]
fn bad_input_never_crashes_the_shell() {
    for script in [
        "echo ${",
        "echo $((",
        "echo {1..99999999999999999999}",
        "echo $(( 1 +* 2 ))",
        "f() { f; }; f",
        "echo ${x:?}",
        "case",
        "((",
        "a=(; echo",
        "echo \"unterminated",
        "printf '%'",
        "printf '%z' x",
        "read -u 99 x",
        "echo >&99",
        "exec 300>f",
        "[[ a =~ ( ]]",
        "declare -A m; m=(x)",
        "echo ${x/[/y}",
        "x=$'\\xff\\xfe'; echo ${#x} ${x^^}",
        "echo x 99999999999>f",
        "echo ~99999999999999999999999",
        "x='~99999999999999999999999'; eval echo $x",
        "set -- -abc; getopts abc o; set -- x; getopts abc o; getopts abc o",
        "echo $(( 2 ** -1 ))",
        "echo $(( 1 << 99 )) $(( -9223372036854775807 - 1 )) $(( (-9223372036854775807 - 1) / -1 ))",
        "a=(1 2); echo ${a[-5]}; a[-5]=x",
        "s=abc; echo ${s:5:-9} ${s: -9}",
        "set -- a; echo ${@:-5:-2}",
    ] {
        let o = Sh::new().run(script);
        assert!(matches!(o.status, ExitStatus::Exited(_)), "{script:?} crashed the shell: {}", describe(&o));
    }
}
