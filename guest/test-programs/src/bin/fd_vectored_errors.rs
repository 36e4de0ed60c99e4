//! The vectored calls agree on an error after some bytes moved: the count
//! of what moved is returned, and the error comes with the next call (as
//! POSIX `writev` does). Shown with the VM's disk quota: `fd_write` and
//! `fd_pwrite` whose later buffers do not fit.
//!
//! Host: runs it in `/tmp` with `limits.disk_bytes` = 100 KiB.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, wasi};

fn main() {
    let tmp = test_programs::open_dir("/tmp");
    let chunk = vec![7u8; 40 << 10];
    let f = p1::path_open(tmp, 0, "f", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create f");
    let moved = p1::fd_write(f, &[&chunk, &chunk, &chunk]).expect("some bytes fit");
    assert_eq!(moved, 80 << 10, "what moved before the quota stopped it");
    assert_errno!(p1::fd_write(f, &[&chunk]), wasi::ERRNO_NOSPC);

    let small = vec![9u8; 16 << 10];
    let g = p1::path_open(tmp, 0, "g", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create g");
    let moved = p1::fd_pwrite(g, &[&small, &small], 0).expect("the first buffer fits");
    assert_eq!(moved, 16 << 10, "fd_pwrite reports what moved, as fd_write does");
    assert_errno!(p1::fd_pwrite(g, &[&small], 16 << 10), wasi::ERRNO_NOSPC);
    ok();
}
