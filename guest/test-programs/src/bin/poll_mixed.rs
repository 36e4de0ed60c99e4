//! `poll_oneoff` with a clock and fd subscriptions together: ready fds make the
//! call return at once, without waiting for a long timer; the timer's event is
//! not reported.
//!
//! Host: runs it in `/scratch` and `/tmp`, no clock grant; checks the run took
//! far less than the 30 s timer.

use test_programs::{RIGHTS_RW, ok, p1, wasi, work_dir};

fn main() {
    let dir = work_dir();
    let f = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    p1::write(f, b"x").expect("write");
    let events = p1::poll_oneoff(&[
        p1::sub_clock(1, wasi::CLOCKID_MONOTONIC, 30_000_000_000, 0),
        p1::sub_read(2, f),
        p1::sub_write(3, f),
    ])
    .expect("poll_oneoff");
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.userdata != 1), "the 30 s timer fired: {events:?}");
    for e in &events {
        assert_eq!(e.error, wasi::ERRNO_SUCCESS, "{e:?}");
    }

    // A zero timer and a ready fd: both may fire, nothing waits.
    let events =
        p1::poll_oneoff(&[p1::sub_clock(4, wasi::CLOCKID_MONOTONIC, 0, 0), p1::sub_write(5, f)]).expect("poll_oneoff");
    assert!(!events.is_empty() && events.len() <= 2);
    for e in &events {
        let want = if e.userdata == 4 { wasi::EVENTTYPE_CLOCK } else { wasi::EVENTTYPE_FD_WRITE };
        assert_eq!(e.type_, want);
    }

    p1::fd_close(f).expect("close");
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
