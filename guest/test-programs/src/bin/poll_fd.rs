//! `poll_oneoff` with fd subscriptions: a regular file is always ready for
//! reading and writing (each event carries its userdata and type, no error);
//! stdin at end of file is ready for reading; a bad fd is `BADF` (for the call
//! or the event).
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, RIGHTS_RW, create_file, ok, p1, wasi, work_dir};

/// Polls until every subscription has produced an event.
fn poll_all(subs: &[wasi::Subscription]) -> Vec<wasi::Event> {
    let mut pending = subs.to_vec();
    let mut events = Vec::new();
    for _ in 0..100 {
        if pending.is_empty() {
            return events;
        }
        let got = p1::poll_oneoff(&pending).expect("poll_oneoff");
        assert!(!got.is_empty(), "poll_oneoff returned no events");
        pending.retain(|s| !got.iter().any(|e| e.userdata == s.userdata));
        events.extend(got);
    }
    panic!("subscriptions never became ready");
}

fn main() {
    let dir = work_dir();
    create_file(dir, "readable", b"some bytes");
    let r = p1::path_open(dir, 0, "readable", 0, RIGHTS_READ, 0).expect("open");
    let w = p1::path_open(dir, 0, "writable", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");

    let events = poll_all(&[p1::sub_read(1, r), p1::sub_write(2, w)]);
    assert_eq!(events.len(), 2, "{events:?}");
    for e in &events {
        assert_eq!(e.error, wasi::ERRNO_SUCCESS, "{e:?}");
        let want = if e.userdata == 1 { wasi::EVENTTYPE_FD_READ } else { wasi::EVENTTYPE_FD_WRITE };
        assert_eq!(e.type_, want, "{e:?}");
    }

    // Both kinds on the same fd.
    let events = poll_all(&[p1::sub_read(3, w), p1::sub_write(4, w)]);
    assert_eq!(events.len(), 2);

    // stdin at EOF is readable.
    let events = poll_all(&[p1::sub_read(5, 0)]);
    assert_eq!(events[0].userdata, 5);
    assert_eq!(events[0].type_, wasi::EVENTTYPE_FD_READ);

    // A bad fd: either the call fails with BADF or its event carries BADF.
    for sub in [p1::sub_read(6, 4000), p1::sub_write(7, u32::MAX)] {
        match p1::poll_oneoff(&[sub]) {
            Err(e) => assert_eq!(e, wasi::ERRNO_BADF, "poll of a bad fd"),
            Ok(events) => {
                assert_eq!(events.len(), 1, "{events:?}");
                assert_eq!(events[0].error, wasi::ERRNO_BADF, "{events:?}");
            }
        }
    }

    p1::fd_close(r).expect("close");
    p1::fd_close(w).expect("close");
    p1::path_unlink_file(dir, "readable").expect("unlink");
    p1::path_unlink_file(dir, "writable").expect("unlink");
    ok();
}
