//! `fd_fdstat_get` reports the file type, the fdflags an fd was opened with and
//! rights matching its access mode (wasi-libc derives `O_RDONLY`/`O_WRONLY`
//! from them); `fd_fdstat_set_flags` turns append mode on and off.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, RIGHTS_RW, RIGHTS_WRITE, assert_errno, ok, p1, read_file, wasi, work_dir};

fn main() {
    let dir = work_dir();

    let d = p1::fd_fdstat_get(dir).expect("fdstat of the directory");
    assert_eq!(d.fs_filetype, wasi::FILETYPE_DIRECTORY);

    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, wasi::FDFLAGS_APPEND).expect("create");
    let st = p1::fd_fdstat_get(fd).expect("fdstat");
    assert_eq!(st.fs_filetype, wasi::FILETYPE_REGULAR_FILE);
    assert_eq!(st.fs_flags, wasi::FDFLAGS_APPEND, "flags of an append-mode fd");
    let rw = wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_WRITE;
    assert_eq!(st.fs_rights_base & rw, rw, "read-write fd lacks a direction right");
    p1::fd_close(fd).expect("close");

    let ro = p1::path_open(dir, 0, "file", 0, RIGHTS_READ, 0).expect("open read-only");
    let st = p1::fd_fdstat_get(ro).expect("fdstat");
    assert_eq!(st.fs_flags, 0);
    assert_ne!(st.fs_rights_base & wasi::RIGHTS_FD_READ, 0, "read-only fd lacks FD_READ");
    assert_eq!(st.fs_rights_base & wasi::RIGHTS_FD_WRITE, 0, "read-only fd has FD_WRITE");
    p1::fd_close(ro).expect("close");

    let wo = p1::path_open(dir, 0, "file", 0, RIGHTS_WRITE, 0).expect("open write-only");
    let st = p1::fd_fdstat_get(wo).expect("fdstat");
    assert_eq!(st.fs_rights_base & wasi::RIGHTS_FD_READ, 0, "write-only fd has FD_READ");
    assert_ne!(st.fs_rights_base & wasi::RIGHTS_FD_WRITE, 0, "write-only fd lacks FD_WRITE");

    // Append mode on: a write after seeking to 0 still lands at the end.
    p1::write(wo, b"0123456789").expect("write");
    p1::fd_fdstat_set_flags(wo, wasi::FDFLAGS_APPEND).expect("set APPEND");
    assert_eq!(p1::fd_fdstat_get(wo).expect("fdstat").fs_flags, wasi::FDFLAGS_APPEND);
    p1::fd_seek(wo, 0, wasi::WHENCE_SET).expect("seek");
    p1::write(wo, b"AB").expect("append");
    assert_eq!(read_file(dir, "file"), b"0123456789AB");
    assert_eq!(p1::fd_tell(wo).expect("tell"), 12, "offset after an append");

    // And off again: writes land at the offset.
    p1::fd_fdstat_set_flags(wo, 0).expect("clear flags");
    assert_eq!(p1::fd_fdstat_get(wo).expect("fdstat").fs_flags, 0);
    p1::fd_seek(wo, 0, wasi::WHENCE_SET).expect("seek");
    p1::write(wo, b"xy").expect("overwrite");
    assert_eq!(read_file(dir, "file"), b"xy23456789AB");
    p1::fd_close(wo).expect("close");

    for stdio in 0..3 {
        p1::fd_fdstat_get(stdio).unwrap_or_else(|e| panic!("fdstat of fd {stdio}: {e:?}"));
    }
    assert_errno!(p1::fd_fdstat_get(wo), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_fdstat_set_flags(wo, 0), wasi::ERRNO_BADF);
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
