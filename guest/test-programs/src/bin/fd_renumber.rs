//! `fd_renumber(from, to)`: `to` becomes the file `from` was (its offset and
//! flags too), `from` is closed; either fd not being open is `BADF`.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, create_file, ok, p1, read_to_end, wasi, work_dir};

fn main() {
    let dir = work_dir();
    create_file(dir, "one", b"first file");
    create_file(dir, "two", b"second file");
    let a = p1::path_open(dir, 0, "one", 0, RIGHTS_RW, wasi::FDFLAGS_APPEND).expect("open one");
    let b = p1::path_open(dir, 0, "two", 0, RIGHTS_RW, 0).expect("open two");
    assert_ne!(a, b);
    p1::fd_seek(a, 6, wasi::WHENCE_SET).expect("seek");
    let before = p1::fd_fdstat_get(a).expect("fdstat");

    p1::fd_renumber(a, b).expect("fd_renumber");
    assert_errno!(p1::fd_fdstat_get(a), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_close(a), wasi::ERRNO_BADF);
    let after = p1::fd_fdstat_get(b).expect("fdstat of the target");
    assert_eq!(after.fs_filetype, before.fs_filetype);
    assert_eq!(after.fs_flags, before.fs_flags, "flags move with the file");
    assert_eq!(after.fs_rights_base, before.fs_rights_base);
    assert_eq!(p1::fd_tell(b).expect("tell"), 6, "the offset moves with the file");
    assert_eq!(read_to_end(b), b"file", "`to` now reads the first file");

    // The old file behind `to` was closed, not changed.
    assert_eq!(test_programs::read_file(dir, "two"), b"second file");

    // Bad fds on either side.
    assert_errno!(p1::fd_renumber(b, 4000), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_renumber(4000, b), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_renumber(a, b), wasi::ERRNO_BADF);
    // `b` survived the failed calls.
    p1::fd_fdstat_get(b).expect("fdstat after failed renumbers");

    p1::fd_close(b).expect("close");
    p1::path_unlink_file(dir, "one").expect("unlink");
    p1::path_unlink_file(dir, "two").expect("unlink");
    ok();
}
