//! The process limit: children that stay alive are refused with `EAGAIN`
//! once the VM holds its limit of live processes (argv[1], counting this
//! one); a recursive fork bomb stops at the same wall; once they are gone
//! the VM starts processes again.
//!
//! Host: runs it with `limits.processes = 8`, grants `/t` with `proc_child`,
//! env `PATH=/t`; checks the run ends well inside the wall clock.

use test_programs::ok;
use wasi_ext::{Command, Stdio};

fn is_eagain(err: &std::io::Error) -> bool {
    err.raw_os_error() == Some(i32::from(wasi::ERRNO_AGAIN.raw()))
}

fn main() {
    wasi_ext::init().expect("init");
    let limit: usize =
        std::env::args().nth(1).expect("usage: proc_fork_bomb <process limit>").parse().expect("a number");

    // Sleepers until the limit.
    let mut sleepers = Vec::new();
    let err = loop {
        match Command::new("proc_child").args(["sleep", "20000"]).spawn() {
            Ok(child) => sleepers.push(child),
            Err(err) => break err,
        }
        assert!(sleepers.len() < 1000, "no limit: {} children", sleepers.len());
    };
    assert!(is_eagain(&err), "expected EAGAIN, got {err}");
    assert_eq!(sleepers.len(), limit - 1, "live children at the limit");
    println!("sleepers: {}", sleepers.len());
    // Still refused while they live.
    assert!(is_eagain(&Command::new("proc_child").args(["exit", "0"]).spawn().expect_err("over the limit")));
    for child in &mut sleepers {
        child.kill().expect("kill");
        assert_eq!(child.wait().expect("wait").signal(), Some(9));
    }

    // A bomb: every bomb spawns bombs until EAGAIN, three levels deep.
    let status = Command::new("proc_child").args(["bomb", "3"]).stdout(Stdio::null()).status().expect("bomb");
    let started = status.code().expect("the bomb exited");
    println!("bomb started: {started}");
    // Each bomb stops spawning only at EAGAIN (any other error panics it), so
    // a bomb that ended met the limit at every level. How many it started
    // depends on how fast its children ended and freed their slots.
    assert!(started >= 1, "{status}");

    // The VM still works.
    let out = Command::new("proc_child").args(["echo", "still", "alive"]).output().expect("after the bomb");
    assert_eq!(out.stdout, b"still alive\n");
    ok();
}
