//! `capsa exec` and `capsa sh` as a user sees them: a command line in a VM
//! with the command suite, its output streamed, its status capsa's; a
//! session whose state lives from line to line; Ctrl-C that ends the line,
//! not the session. The compiled modules are cached in one directory for
//! every test (the first compile of the suite takes seconds).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn capsa(subcommand: &str, args: &[&str]) -> Command {
    common::warm_cache();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_capsa"));
    cmd.arg(subcommand).arg("--cache-dir").arg(common::cache()).args(args);
    cmd
}

fn exec(args: &[&str]) -> Output {
    capsa("exec", args).stdin(Stdio::null()).output().expect("running capsa exec")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_issue_pipeline_prints_the_three_largest() {
    let out = exec(&[r#"seq 1 100000 | sort -rn | head -3 | tr "\n" " ""#]);
    assert_eq!(text(&out.stdout), "100000 99999 99998 ", "stderr: {}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn status_and_missing_commands_are_the_shells() {
    let out = exec(&["exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    let out = exec(&["no-such-tool --help"]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(text(&out.stderr), "sh: no-such-tool: command not found\n");
    // Several words are one command line, as with ssh.
    let out = exec(&["echo", "a", "b;", "echo", "$((6*7))"]);
    assert_eq!(text(&out.stdout), "a b\n42\n");
}

#[test]
fn mounts_env_and_workdir() {
    let host = tempfile::tempdir().expect("tempdir");
    std::fs::write(host.path().join("in.txt"), "b\na\nc\n").expect("write");
    let rw = format!("{}:/work", host.path().display());
    let out = exec(&["--mount", &rw, "--env", "GREETING=hi", "sort in.txt > out.txt; echo $GREETING $PWD $HOME $USER"]);
    assert_eq!(text(&out.stdout), "hi /work /home/user user\n", "stderr: {}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(host.path().join("out.txt")).expect("out.txt"), "a\nb\nc\n");

    let ro = format!("{}:/data:ro", host.path().display());
    let out = exec(&["--mount", &ro, "cat in.txt | wc -l; echo x > new.txt"]);
    assert_eq!(text(&out.stdout), "3\n");
    assert!(text(&out.stderr).contains("Read-only file system"), "stderr: {}", text(&out.stderr));
    assert_ne!(out.status.code(), Some(0));
    assert!(!host.path().join("new.txt").exists());

    // Without a mount the VM sees none of the host's files.
    let out = exec(&[&format!("ls {}", host.path().display())]);
    assert_ne!(out.status.code(), Some(0));
    let out = exec(&["--mount", "/definitely/not/here:/x", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/definitely/not/here"), "stderr: {}", text(&out.stderr));
}

#[test]
fn timeout_ends_the_whole_command_line() {
    let out = exec(&["--timeout", "1s", "sleep 30 | cat; echo never"]);
    assert_eq!(out.status.code(), Some(137), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("killed"), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn output_streams_while_the_command_runs() {
    let mut child = capsa("exec", &["echo first; read line; echo \"second $line\""])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running capsa exec");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("first line");
    // The command is still waiting for its input: the line came as written.
    assert_eq!(line, "first\n");
    assert!(child.try_wait().expect("try_wait").is_none());
    child.stdin.take().expect("stdin").write_all(b"ok\n").expect("write stdin");
    line.clear();
    stdout.read_line(&mut line).expect("second line");
    assert_eq!(line, "second ok\n");
    assert!(child.wait().expect("wait").success());
}

/// A `capsa sh` process, killed if a failing test leaves it running.
struct ShProcess(Child);

impl Drop for ShProcess {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `capsa sh` with piped stdio, as a script or a test drives it.
fn spawn_sh() -> ShProcess {
    let child = capsa("sh", &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running capsa sh");
    ShProcess(child)
}

fn sh_session(script: &str) -> Output {
    let mut sh = spawn_sh();
    let child = &mut sh.0;
    let mut stdin = child.stdin.take().expect("stdin");
    let (mut stdout, mut stderr) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let script = script.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(script.as_bytes()).map(|_| drop(stdin)));
    let errors = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut bytes).map(|_| bytes)
    });
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut stdout, &mut out).expect("stdout");
    writer.join().expect("writer thread").expect("write script");
    let err = errors.join().expect("stderr thread").expect("stderr");
    let status = child.wait().expect("waiting for capsa sh");
    Output { status, stdout: out, stderr: err }
}

#[test]
fn a_session_keeps_its_state_from_line_to_line() {
    let script = "cd /tmp\nexport X=42\ngreet() { echo \"hello $1 $X\"; }\necho data > f.txt\n\
                  greet you\npwd\ncat f.txt\nif [ $X = 42 ]; then\n  echo multi-line\nfi\n\
                  echo \"open\nquote\"\nread v\nread-by-the-line\necho \"v=$v\"\nfalse\necho $?\n\
                  trap 'echo bye' EXIT\nexit 3\necho never\n";
    let out = sh_session(script);
    assert_eq!(
        text(&out.stdout),
        "hello you 42\n/tmp\ndata\nmulti-line\nopen\nquote\nv=read-by-the-line\n1\nbye\n",
        "stderr: {}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_session_ends_at_end_of_input_with_the_last_status() {
    let out = sh_session("echo one\nfalse\n");
    assert_eq!(text(&out.stdout), "one\n");
    assert_eq!(out.status.code(), Some(1));
    let out = sh_session("echo 'syntax (\necho after\n");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
}

/// Sends SIGINT to `child`, as a terminal's Ctrl-C does to its foreground process.
fn interrupt(child: &Child) {
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("running kill");
    assert!(status.success());
}

#[test]
fn interrupt_ends_the_running_line_not_the_session() {
    let mut sh = spawn_sh();
    let child = &mut sh.0;
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdin.write_all(b"cd /tmp; X=kept\necho started; sleep 60; echo not-printed\n").expect("write");
    let mut line = String::new();
    stdout.read_line(&mut line).expect("started");
    assert_eq!(line, "started\n");
    let interrupted_at = Instant::now();
    interrupt(child);
    stdin.write_all(b"echo $X $PWD $?\necho looping; while :; do :; done\n").expect("write");
    line.clear();
    stdout.read_line(&mut line).expect("after the interrupt");
    // bash's newline after ^C, then the next line's output.
    if line == "\n" {
        line.clear();
        stdout.read_line(&mut line).expect("next line");
    }
    assert_eq!(line, "kept /tmp 130\n");
    assert!(interrupted_at.elapsed() < Duration::from_secs(50), "the sleep was not interrupted");
    // A loop inside the shell itself is interrupted too.
    line.clear();
    stdout.read_line(&mut line).expect("looping");
    assert_eq!(line, "looping\n");
    interrupt(child);
    stdin.write_all(b"echo alive\n").expect("write");
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("rest");
    assert_eq!(rest.trim_start_matches('\n'), "alive\n");
    assert!(child.wait().expect("wait").success());
}

/// Work that only computes runs on CPU time, not on an instruction count: a
/// loop of 300,000 shell iterations (the old default fuel stopped it) runs
/// under the defaults, and a loop that never ends is stopped by the VM's
/// CPU-time budget, which says so.
#[test]
fn spinning_is_bounded_by_cpu_time_not_fuel() {
    let out = exec(&["i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo $i"]);
    assert_eq!((text(&out.stdout).as_str(), out.status.code()), ("300000\n", Some(0)), "{}", text(&out.stderr));
    let out = exec(&["--cpu", "1s", "while :; do :; done"]);
    assert_eq!(out.status.code(), Some(137));
    assert_eq!(text(&out.stderr), "capsa: killed: CPU-time limit 1s\n");
}
