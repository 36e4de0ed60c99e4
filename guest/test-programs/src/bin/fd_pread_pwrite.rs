//! `fd_pread`/`fd_pwrite`: positioned I/O that leaves the fd offset alone,
//! holes read as zeros, zero-length writes do not extend, and (Linux
//! semantics, as wasmtime) `pwrite` on an append-mode fd appends.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, RIGHTS_RW, RIGHTS_WRITE, assert_errno, ok, p1, read_vectored_full, wasi, work_dir};

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");

    assert_eq!(p1::pwrite(fd, &[0, 1, 2, 3], 0).expect("pwrite"), 4);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 0, "pwrite moved the offset");
    let mut buf = [9u8; 4];
    assert_eq!(p1::pread(fd, &mut buf, 0).expect("pread"), 4);
    assert_eq!(buf, [0, 1, 2, 3]);
    buf = [9; 4];
    assert_eq!(p1::pread(fd, &mut buf, 2).expect("pread at 2"), 2, "short read at the end");
    assert_eq!(buf, [2, 3, 9, 9]);
    assert_eq!(p1::pread(fd, &mut buf, 100).expect("pread past EOF"), 0);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 0, "pread moved the offset");

    // Several iovecs each way (a short count is allowed: continue after it).
    let mut done = p1::fd_pwrite(fd, &[&[7, 7], &[8]], 1).expect("gather pwrite");
    assert!((1..=3).contains(&done), "gather pwrite wrote {done} of 3 bytes");
    let data = [7u8, 7, 8];
    while done < data.len() {
        done += p1::pwrite(fd, &data[done..], 1 + done as u64).expect("pwrite the rest");
    }
    let (mut x, mut y) = ([0u8; 2], [0u8; 2]);
    assert_eq!(read_vectored_full(fd, &mut [&mut x, &mut y], Some(0)), 4);
    assert_eq!((x, y), ([0, 7], [7, 8]));

    // A write past the end leaves a hole of zeros.
    assert_eq!(p1::pwrite(fd, &[5], 10).expect("pwrite past EOF"), 1);
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 11);
    let mut all = [9u8; 11];
    assert_eq!(p1::pread(fd, &mut all, 0).expect("pread all"), 11);
    assert_eq!(all, [0, 7, 7, 8, 0, 0, 0, 0, 0, 0, 5]);

    // A zero-length write far past the end writes nothing.
    assert_eq!(p1::pwrite(fd, &[], 50).expect("empty pwrite"), 0);
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 11);

    // The cursor never moved: a plain read starts at 0.
    let mut first = [9u8; 2];
    assert_eq!(p1::read(fd, &mut first).expect("read"), 2);
    assert_eq!(first, [0, 7]);
    p1::fd_close(fd).expect("close");

    // Direction is checked for positioned I/O too.
    let ro = p1::path_open(dir, 0, "file", 0, RIGHTS_READ, 0).expect("open read-only");
    assert_errno!(p1::pwrite(ro, b"x", 0), wasi::ERRNO_BADF);
    p1::fd_close(ro).expect("close");
    let wo = p1::path_open(dir, 0, "file", 0, RIGHTS_WRITE, 0).expect("open write-only");
    assert_errno!(p1::pread(wo, &mut buf, 0), wasi::ERRNO_BADF);
    p1::fd_close(wo).expect("close");

    // Append mode: the offset of pwrite is ignored and data goes to the end.
    let app =
        p1::path_open(dir, 0, "append", wasi::OFLAGS_CREAT, RIGHTS_RW, wasi::FDFLAGS_APPEND).expect("create append");
    assert_eq!(p1::pwrite(app, b"a", 50).expect("pwrite in append mode"), 1);
    assert_eq!(p1::fd_filestat_get(app).expect("stat").size, 1);
    assert_eq!(p1::pwrite(app, b"b", 0).expect("pwrite in append mode"), 1);
    assert_eq!(p1::fd_filestat_get(app).expect("stat").size, 2);
    let mut ab = [0u8; 2];
    p1::pread(app, &mut ab, 0).expect("pread");
    assert_eq!(&ab, b"ab");
    p1::fd_close(app).expect("close");

    p1::path_unlink_file(dir, "file").expect("unlink");
    p1::path_unlink_file(dir, "append").expect("unlink");
    ok();
}
