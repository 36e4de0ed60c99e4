//! Opens `/dev/null` until the per-process fd limit says `MFILE`, prints
//! `fds: <count>`, then checks that closing one allows one more open.
//!
//! Host: sets the fd limit to 32; checks the count.

use test_programs::{RIGHTS_READ, assert_errno, ok, open_dir, p1, wasi};

fn main() {
    let root = open_dir("/");
    let mut fds = Vec::new();
    let err = loop {
        match p1::path_open(root, 0, "dev/null", 0, RIGHTS_READ, 0) {
            Ok(fd) => fds.push(fd),
            Err(e) => break e,
        }
        assert!(fds.len() < 100_000, "100000 fds and no limit");
    };
    assert_eq!(err, wasi::ERRNO_MFILE, "error at the fd limit");
    println!("fds: {}", fds.len());
    let last = fds.pop().unwrap();
    p1::fd_close(last).expect("close");
    let again = p1::path_open(root, 0, "dev/null", 0, RIGHTS_READ, 0).expect("open after closing one");
    assert_errno!(p1::path_open(root, 0, "dev/null", 0, RIGHTS_READ, 0), wasi::ERRNO_MFILE);
    p1::fd_close(again).expect("close");
    ok();
}
