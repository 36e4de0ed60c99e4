//! Waiting: `WNOHANG` returns at once while a child runs (`try_wait` →
//! `None`, `waitpid(-1, true)` → `None`); a child that ended stays a zombie
//! until waited for; `waitpid(-1)` reaps any child; `ECHILD` with no children,
//! for a pid that is not a child, and for a child already reaped.
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`.

use test_programs::ok;
use wasi_ext::{Command, waitpid};

fn echild() -> Option<i32> {
    Some(i32::from(wasi::ERRNO_CHILD.raw()))
}

fn main() {
    wasi_ext::init().expect("init");

    // No children at all.
    assert_eq!(waitpid(-1, false).expect_err("no children").raw_os_error(), echild());
    assert_eq!(waitpid(-1, true).expect_err("no children, WNOHANG").raw_os_error(), echild());
    assert_eq!(waitpid(12345, false).expect_err("not a child").raw_os_error(), echild());
    let me = wasi_ext::getpid().expect("getpid") as i32;
    assert_eq!(waitpid(me, true).expect_err("self is not a child").raw_os_error(), echild());

    // WNOHANG while the child runs, then a blocking wait.
    let mut child = Command::new("proc_child").args(["sleep", "300"]).spawn().expect("spawn");
    assert_eq!(child.try_wait().expect("try_wait"), None);
    assert_eq!(waitpid(-1, true).expect("waitpid WNOHANG"), None);
    assert_eq!(waitpid(child.id() as i32, true).expect("waitpid pid WNOHANG"), None);
    assert!(child.wait().expect("wait").success());
    assert!(child.try_wait().expect("try_wait after wait").is_some_and(|s| s.success()));
    assert_eq!(waitpid(child.id() as i32, false).expect_err("reaped").raw_os_error(), echild());

    // A zombie: ended, still waitable, with its status; try_wait polls until it shows.
    let mut quick = Command::new("proc_child").args(["exit", "5"]).spawn().expect("spawn");
    wasi_ext::sleep_ms(100).expect("sleep");
    let mut status = None;
    for _ in 0..100 {
        status = quick.try_wait().expect("try_wait");
        if status.is_some() {
            break;
        }
        wasi_ext::sleep_ms(20).expect("sleep");
    }
    assert_eq!(status.and_then(|s| s.code()), Some(5));

    // waitpid(-1) reaps each child once, whichever ends first.
    let mut pids: Vec<u32> = [("exit", "1"), ("exit", "2"), ("sleep", "50")]
        .into_iter()
        .map(|(mode, arg)| Command::new("proc_child").args([mode, arg]).spawn().expect("spawn").id())
        .collect();
    let mut codes = Vec::new();
    while let Some((pid, status)) = reap_any() {
        assert!(pids.contains(&pid), "reaped {pid}, not one of {pids:?}");
        pids.retain(|&p| p != pid);
        codes.push(status.code().expect("exited"));
    }
    codes.sort();
    assert_eq!(codes, [0, 1, 2]);
    assert!(pids.is_empty());

    ok();
}

/// `waitpid(-1)`: `Some` per reaped child, `None` once `ECHILD` says none is left.
fn reap_any() -> Option<(u32, wasi_ext::ExitStatus)> {
    match waitpid(-1, false) {
        Ok(Some(reaped)) => Some(reaped),
        Ok(None) => panic!("waitpid without WNOHANG returned no child"),
        Err(err) if err.raw_os_error() == echild() => None,
        Err(err) => panic!("waitpid: {err}"),
    }
}
