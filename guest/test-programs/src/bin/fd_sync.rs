//! `fd_sync`/`fd_datasync` succeed on a written file and its data is intact
//! afterwards; on an fd that is not open they are `BADF`.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, read_file, wasi, work_dir};

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    p1::write(fd, b"durable").expect("write");
    p1::fd_sync(fd).expect("fd_sync");
    p1::fd_datasync(fd).expect("fd_datasync");
    p1::fd_sync(fd).expect("fd_sync twice");
    assert_eq!(read_file(dir, "file"), b"durable");
    p1::fd_close(fd).expect("close");
    assert_errno!(p1::fd_sync(fd), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_datasync(fd), wasi::ERRNO_BADF);
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
