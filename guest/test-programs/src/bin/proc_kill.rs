//! Signals: SIGKILL ends a child spinning in a tight loop (no system call to
//! interrupt), SIGTERM one asleep, SIGINT one blocked reading an empty pipe;
//! each is reported as killed by that signal. Signal 0 checks a live child;
//! SIGCHLD is ignored (the child exits normally); SIGSTOP is `ENOTSUP`; an
//! unknown signal `EINVAL`; a reaped child `ESRCH`.
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`, and the clock (the
//! program checks a SIGKILL is reaped within a second); checks the whole run
//! is quick (a kill that did not work leaves the spinner to the wall clock).

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use test_programs::ok;
use wasi_ext::signal::{SIGCHLD, SIGINT, SIGKILL, SIGSTOP, SIGTERM};
use wasi_ext::{Child, Command, Stdio, kill};

fn errno_of(result: std::io::Result<()>) -> Option<i32> {
    result.expect_err("the call succeeded").raw_os_error()
}

/// Starts `proc_child spin` and returns once it printed `spinning`.
fn spinner() -> Child {
    let mut child = Command::new("proc_child").arg("spin").stdout(Stdio::piped()).spawn().expect("spawn spin");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped")).read_line(&mut line).expect("read");
    assert_eq!(line, "spinning\n");
    child
}

fn main() {
    wasi_ext::init().expect("init");

    // SIGKILL through Child::kill, in a tight loop.
    let mut spin = spinner();
    kill(spin.id() as i32, 0).expect("signal 0 to a live child");
    let start = Instant::now();
    spin.kill().expect("kill");
    let status = spin.wait().expect("wait");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "SIGKILL took {took:?} to end a spinning child");
    assert_eq!((status.code(), status.signal()), (None, Some(SIGKILL)), "{status}");
    assert_eq!(status.to_string(), "signal: 9 (SIGKILL)");
    // Reaped: the pid is gone; Child::kill after wait is a no-op.
    assert_eq!(errno_of(kill(spin.id() as i32, SIGKILL)), Some(i32::from(wasi::ERRNO_SRCH.raw())));
    spin.kill().expect("kill after wait");

    // SIGTERM to a sleeping child, through the free function.
    let mut sleeper = Command::new("proc_child").args(["sleep", "20000"]).spawn().expect("spawn sleep");
    kill(sleeper.id() as i32, SIGTERM).expect("SIGTERM");
    assert_eq!(sleeper.wait().expect("wait").signal(), Some(SIGTERM));

    // SIGINT to a child blocked reading a pipe nobody writes.
    let mut reader = Command::new("proc_child").arg("cat").stdin(Stdio::piped()).spawn().expect("spawn cat");
    let _keep_open = reader.stdin.take();
    wasi_ext::sleep_ms(50).expect("sleep");
    reader.signal(SIGINT).expect("SIGINT");
    assert_eq!(reader.wait().expect("wait").signal(), Some(SIGINT));

    // Ignored signals, refused signals, unknown signals.
    let mut child =
        Command::new("proc_child").args(["sleep-echo", "100", "done"]).stdout(Stdio::piped()).spawn().expect("spawn");
    child.signal(SIGCHLD).expect("SIGCHLD is accepted");
    assert_eq!(errno_of(child.signal(SIGSTOP)), Some(i32::from(wasi::ERRNO_NOTSUP.raw())));
    assert_eq!(errno_of(child.signal(99)), Some(i32::from(wasi::ERRNO_INVAL.raw())));
    assert_eq!(errno_of(child.signal(-1)), Some(i32::from(wasi::ERRNO_INVAL.raw())));
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "SIGCHLD ended the child: {}", out.status);
    assert_eq!(out.stdout, b"done\n");

    // No such process.
    assert_eq!(errno_of(kill(999_999, SIGTERM)), Some(i32::from(wasi::ERRNO_SRCH.raw())));

    ok();
}
