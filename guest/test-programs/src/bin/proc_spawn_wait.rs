//! Spawn and wait with `wasi_ext::Command`: exit codes (0, 3), a trapping
//! child reported as killed by SIGABRT, `output()` capturing stdout and
//! stderr, argv passed exactly, the environment (inherited, set, removed,
//! cleared, and `PWD` always set), and the working directory (`current_dir`,
//! relative to the caller's after `init`).
//!
//! Host: grants `/t` (with `proc_child`) and a writable `/scratch`, env
//! `PATH=/t` and `CAPSA_INHERITED=yes`.

use test_programs::ok;
use wasi_ext::{Command, ExitStatus, Stdio};

const CHILD: &str = "/t/proc_child";

fn child(args: &[&str]) -> Command {
    let mut cmd = Command::new(CHILD);
    cmd.args(args);
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {} {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn main() {
    wasi_ext::init().expect("init");

    // Exit codes.
    let status = child(&["exit", "0"]).status().expect("status");
    assert!(status.success() && status.code() == Some(0) && status.signal().is_none(), "{status}");
    let status = child(&["exit", "3"]).status().expect("status");
    assert_eq!((status.code(), status.signal(), status.success()), (Some(3), None, false));
    assert_eq!(status.into_raw(), 3 << 8);
    assert_eq!(status.to_string(), "exit status: 3");

    // A trap is a SIGABRT.
    let status = child(&["trap"]).status().expect("status");
    assert_eq!((status.code(), status.signal()), (None, Some(6)), "{status}");
    assert_eq!(status.to_string(), "signal: 6 (SIGABRT)");
    assert_eq!(ExitStatus::from_raw(9).signal(), Some(9));

    // spawn + wait, twice-waited gives the same status.
    let mut running = child(&["exit", "7"]).spawn().expect("spawn");
    assert!(running.id() > 1);
    assert_eq!(running.wait().expect("wait").code(), Some(7));
    assert_eq!(running.wait().expect("second wait").code(), Some(7));

    // output(): both streams, and argv exactly as given.
    let out = child(&["echo", "two words", "", "ünï", "--x=y z"]).output().expect("output");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "two words  ünï --x=y z\n");
    assert!(out.stderr.is_empty());
    let out = child(&["produce", "3"]).output().expect("output");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "line 0\nline 1\nline 2\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "produced 3\n");
    // More than a pipe's 64 KiB on both streams, interleaved: reading one to
    // its end before the other would deadlock; output() reads them together.
    let out = child(&["both", "20000"]).output().expect("output of a large child");
    assert!(out.status.success(), "{}", out.status);
    let lines = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'\n').count();
    assert_eq!((lines(&out.stdout), lines(&out.stderr)), (20000, 20000));
    assert!(out.stdout.len() > 64 << 10 && out.stderr.len() > 64 << 10);
    assert!(out.stderr.ends_with(b"err 19999\n"));
    // stdin of output() is /dev/null: a reading child sees end of file.
    assert_eq!(stdout_of(&mut child(&["count"])), "lines=0 first= last=\n");

    // Environment: inherited by default, PWD set, changes applied.
    let env = stdout_of(
        child(&["env", "CAPSA_INHERITED", "PATH", "PWD", "NEW", "GONE"]).env("NEW", "a=b").env_remove("GONE"),
    );
    assert_eq!(env, "CAPSA_INHERITED=yes\nPATH=/t\nPWD=/\nNEW=a=b\nGONE unset\n");
    let env = stdout_of(child(&["env", "CAPSA_INHERITED", "PATH", "PWD", "ONLY"]).env_clear().env("ONLY", "1"));
    assert_eq!(env, "CAPSA_INHERITED unset\nPATH unset\nPWD=/\nONLY=1\n");

    // Working directory: given explicitly, relative to ours, and inherited.
    std::fs::create_dir_all("/scratch/sub").expect("mkdir");
    std::fs::write("/scratch/sub/marker", "in sub\n").expect("write marker");
    std::fs::write("/scratch/marker", "in scratch\n").expect("write marker");
    assert_eq!(stdout_of(child(&["pwd"]).current_dir("/scratch/sub")), "/scratch/sub\nmarker: in sub\n");
    std::env::set_current_dir("/scratch").expect("chdir");
    assert_eq!(stdout_of(&mut child(&["pwd"])), "/scratch\nmarker: in scratch\n");
    assert_eq!(stdout_of(child(&["pwd"]).current_dir("sub")), "/scratch/sub\nmarker: in sub\n");
    assert_eq!(stdout_of(&mut child(&["env", "PWD"])), "PWD=/scratch\n");
    let err = child(&["pwd"]).current_dir("/scratch/missing").spawn().expect_err("a missing cwd");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
    let err = child(&["pwd"]).current_dir("/scratch/marker").spawn().expect_err("a file as cwd");
    assert_eq!(err.raw_os_error(), Some(i32::from(wasi::ERRNO_NOTDIR.raw())), "{err}");
    std::fs::remove_dir_all("/scratch/sub").expect("cleanup");
    std::fs::remove_file("/scratch/marker").expect("cleanup");
    std::env::set_current_dir("/").expect("chdir");

    // A NUL byte cannot be passed.
    let err = child(&["echo", "a\0b"]).spawn().expect_err("NUL in argv");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

    // A Stdio made from an fd is used by one spawn only.
    let (_read, write) = wasi_ext::pipe().expect("pipe");
    let mut cmd = child(&["exit", "0"]);
    cmd.stdout(Stdio::from(write));
    assert!(cmd.status().expect("first spawn").success());
    assert_eq!(cmd.spawn().expect_err("second spawn").kind(), std::io::ErrorKind::InvalidInput);

    ok();
}
