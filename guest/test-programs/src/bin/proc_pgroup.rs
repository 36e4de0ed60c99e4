//! Process groups: a child starts in its parent's group; `setpgid(child, 0)`
//! gives it a group of its own; `kill(-pgid)` signals every member of that
//! group and nobody else; `getpgid` of an unknown pid is `ESRCH`.
//!
//! Host: grants `/t` with `proc_child`, env `PATH=/t`.

use test_programs::ok;
use wasi_ext::signal::SIGTERM;
use wasi_ext::{Command, Stdio, getpgid, kill, setpgid};

fn main() {
    wasi_ext::init().expect("init");
    let me = wasi_ext::getpid().expect("getpid");
    let group = getpgid(0).expect("getpgid(0)");
    assert_eq!(getpgid(me).expect("getpgid(me)"), group);

    // Inherited group.
    let out = Command::new("proc_child").arg("ids").output().expect("ids");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.trim().ends_with(&format!("pgid={group}")), "{text}");

    // Two children moved into a new group led by the first; a third stays.
    let mut a = Command::new("proc_child").args(["sleep", "20000"]).spawn().expect("spawn a");
    let mut b = Command::new("proc_child").args(["sleep", "20000"]).spawn().expect("spawn b");
    let c = Command::new("proc_child")
        .args(["sleep-echo", "300", "c survived"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn c");
    setpgid(a.id(), 0).expect("setpgid(a, 0)");
    setpgid(b.id(), a.id()).expect("setpgid(b, a)");
    assert_eq!(getpgid(a.id()).expect("getpgid a"), a.id());
    assert_eq!(getpgid(b.id()).expect("getpgid b"), a.id());
    assert_eq!(getpgid(c.id()).expect("getpgid c"), group);
    assert_eq!(getpgid(0).expect("own group unchanged"), group);

    kill(-(a.id() as i32), SIGTERM).expect("kill the group");
    assert_eq!(a.wait().expect("wait a").signal(), Some(SIGTERM));
    assert_eq!(b.wait().expect("wait b").signal(), Some(SIGTERM));
    let out = c.wait_with_output().expect("wait c");
    assert!(out.status.success(), "c was signalled: {}", out.status);
    assert_eq!(out.stdout, b"c survived\n");

    // Errors.
    assert_eq!(getpgid(999_999).expect_err("no such pid").raw_os_error(), Some(i32::from(wasi::ERRNO_SRCH.raw())));
    assert_eq!(
        kill(-999_999, SIGTERM).expect_err("no such group").raw_os_error(),
        Some(i32::from(wasi::ERRNO_SRCH.raw()))
    );

    ok();
}
