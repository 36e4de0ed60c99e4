//! A read-only grant: reading works, and every way of writing fails closed
//! with `ROFS`: opening for writing, truncating, creating, mkdir, unlink,
//! rmdir, rename onto/from/within, symlink, link, setting times and sizes.
//!
//! Host: grants a dir at `/ro` read-only holding `data.txt` ("read only\n"),
//! `other.txt` and an empty dir `d`; checks afterwards that nothing on the host changed.

use test_programs::{
    RIGHTS_READ, RIGHTS_RW, RIGHTS_WRITE, assert_errno, assert_io_errno, list_names, ok, p1, preopen, read_file, wasi,
};

fn main() {
    let ro = preopen("/ro");
    let tmp = test_programs::open_dir("/tmp");
    let rofs = wasi::ERRNO_ROFS;

    // Reading works.
    assert_eq!(read_file(ro, "data.txt"), b"read only\n");
    assert_eq!(list_names(ro), ["d", "data.txt", "other.txt"]);
    assert_eq!(std::fs::read_to_string("/ro/data.txt").expect("std read"), "read only\n");

    // Opening for writing, in every way.
    assert_errno!(p1::path_open(ro, 0, "data.txt", 0, RIGHTS_WRITE, 0), rofs);
    assert_errno!(p1::path_open(ro, 0, "data.txt", 0, RIGHTS_RW, 0), rofs);
    assert_errno!(p1::path_open(ro, 0, "data.txt", wasi::OFLAGS_TRUNC, RIGHTS_RW, 0), rofs);
    assert_errno!(p1::path_open(ro, 0, "data.txt", 0, RIGHTS_RW, wasi::FDFLAGS_APPEND), rofs);
    assert_errno!(p1::path_open(ro, 0, "new.txt", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), rofs);
    assert_errno!(p1::path_open(ro, 0, "new.txt", wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL, RIGHTS_RW, 0), rofs);
    assert_errno!(p1::path_open(ro, 0, "d/new.txt", wasi::OFLAGS_CREAT, RIGHTS_READ, 0), rofs);
    let err = std::fs::write("/ro/new.txt", "x").expect_err("std::fs::write succeeded");
    assert_io_errno(&err, rofs);
    let err = std::fs::OpenOptions::new().append(true).open("/ro/data.txt").expect_err("open for append succeeded");
    assert_io_errno(&err, rofs);

    // Namespace changes.
    assert_errno!(p1::path_create_directory(ro, "newdir"), rofs);
    assert_errno!(p1::path_create_directory(ro, "d/newdir"), rofs);
    assert_errno!(p1::path_unlink_file(ro, "data.txt"), rofs);
    assert_errno!(p1::path_remove_directory(ro, "d"), rofs);
    assert_errno!(p1::path_rename(ro, "data.txt", ro, "renamed.txt"), rofs);
    assert_errno!(p1::path_rename(ro, "data.txt", ro, "other.txt"), rofs);
    assert_errno!(p1::path_rename(ro, "other.txt", ro, "d"), rofs, wasi::ERRNO_ISDIR);
    assert_errno!(p1::path_rename(ro, "d", ro, "d2"), rofs);
    assert_errno!(p1::path_symlink("data.txt", ro, "link"), rofs);
    assert_errno!(p1::path_link(ro, 0, "data.txt", ro, "hard"), rofs);
    // Renaming onto the read-only mount from writable /tmp, and out of it.
    test_programs::create_file(tmp, "w.txt", b"from tmp");
    assert_errno!(p1::path_rename(tmp, "w.txt", ro, "data.txt"), rofs, wasi::ERRNO_XDEV);
    assert_errno!(p1::path_rename(ro, "data.txt", tmp, "stolen.txt"), rofs, wasi::ERRNO_XDEV);
    assert_errno!(p1::path_link(ro, 0, "data.txt", tmp, "hard"), rofs, wasi::ERRNO_XDEV);

    // Metadata.
    assert_errno!(
        p1::path_filestat_set_times(ro, 0, "data.txt", 1, 1, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM),
        rofs
    );
    assert_errno!(p1::path_filestat_set_times(ro, 0, "d", 0, 0, wasi::FSTFLAGS_MTIM_NOW), rofs);
    let fd = p1::path_open(ro, 0, "data.txt", 0, RIGHTS_READ, 0).expect("open read-only");
    assert_errno!(p1::fd_filestat_set_times(fd, 1, 1, wasi::FSTFLAGS_MTIM), rofs);
    // Setting the size through a read-only fd: the fd's own mode may refuse
    // first (BADF), the mount refuses anyway.
    assert_errno!(p1::fd_filestat_set_size(fd, 0), rofs, wasi::ERRNO_BADF);
    assert_errno!(p1::write(fd, b"x"), wasi::ERRNO_BADF, rofs);
    p1::fd_close(fd).expect("close");
    // Go's wasip1 asks for the set-size right even to read (its write mask
    // clears the path's set-size right, not the fd's): the open succeeds
    // read-only, and the size still cannot be set through it.
    let fd = p1::path_open(ro, 0, "data.txt", 0, RIGHTS_READ | wasi::RIGHTS_FD_FILESTAT_SET_SIZE, 0)
        .expect("open read-only with the set-size right");
    assert_errno!(p1::fd_filestat_set_size(fd, 0), wasi::ERRNO_BADF);
    p1::fd_close(fd).expect("close");

    // Still exactly as it was.
    assert_eq!(read_file(ro, "data.txt"), b"read only\n");
    assert_eq!(list_names(ro), ["d", "data.txt", "other.txt"]);
    let d = p1::path_open(ro, 0, "d", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open d");
    assert_eq!(list_names(d), Vec::<String>::new());
    ok();
}
