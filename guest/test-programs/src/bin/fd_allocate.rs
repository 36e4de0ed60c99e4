//! `fd_allocate` either extends the file to cover the range (zero-filled) or,
//! as wasmtime does, fails with `NOTSUP` and changes nothing. It never shrinks a
//! file, and is `BADF` on an fd that is not open.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, read_file, wasi, work_dir};

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    match p1::fd_allocate(fd, 0, 100) {
        Ok(()) => {
            assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 100, "allocated size");
            assert_eq!(read_file(dir, "file"), [0u8; 100], "allocated bytes are zeros");
            p1::write(fd, &[1u8; 200]).expect("write");
            p1::fd_allocate(fd, 0, 10).expect("allocate inside the file");
            assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 200, "allocate shrank the file");
            p1::fd_allocate(fd, 150, 100).expect("allocate across the end");
            assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 250);
            assert_eq!(p1::fd_tell(fd).expect("tell"), 200, "allocate moved the offset");
        }
        Err(e) => {
            assert_eq!(e, wasi::ERRNO_NOTSUP, "fd_allocate failed with {e:?}");
            assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 0, "failed allocate changed the size");
            assert_eq!(p1::fd_tell(fd).expect("tell"), 0, "allocate moved the offset");
        }
    }
    p1::fd_close(fd).expect("close");
    assert_errno!(p1::fd_allocate(fd, 0, 1), wasi::ERRNO_BADF);
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
