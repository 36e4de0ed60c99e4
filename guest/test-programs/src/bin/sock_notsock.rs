//! The socket calls on things that are not sockets: `NOTSOCK` on a file and on
//! stdio, `BADF` on an fd that is not open. No socket is granted, so there is
//! no fd they could succeed on.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, wasi, work_dir};

fn assert_all(fd: wasi::Fd, errno: wasi::Errno) {
    let mut buf = [0u8; 16];
    assert_errno!(p1::sock_accept(fd, 0), errno);
    assert_errno!(p1::sock_recv(fd, &mut buf, 0), errno);
    assert_errno!(p1::sock_send(fd, b"data", 0), errno);
    assert_errno!(p1::sock_shutdown(fd, wasi::SDFLAGS_RD | wasi::SDFLAGS_WR), errno);
}

fn main() {
    let dir = work_dir();
    let f = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    assert_all(f, wasi::ERRNO_NOTSOCK);
    assert_all(dir, wasi::ERRNO_NOTSOCK);
    assert_all(0, wasi::ERRNO_NOTSOCK);
    assert_all(1, wasi::ERRNO_NOTSOCK);
    assert_eq!(p1::fd_filestat_get(f).expect("stat").size, 0, "sock_send wrote to a file");
    p1::fd_close(f).expect("close");
    assert_all(f, wasi::ERRNO_BADF);
    assert_all(9999, wasi::ERRNO_BADF);
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
