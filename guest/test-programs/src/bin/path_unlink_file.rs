//! `path_unlink_file`: removes a file (an open fd keeps working), removes a
//! symlink and not its target, `ISDIR` on a directory (with or without a
//! trailing slash), `NOTDIR` for a file with a trailing slash, `NOENT` for a
//! missing name.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, create_file, exists, ok, p1, read_to_end, wasi, work_dir};

fn main() {
    let dir = work_dir();
    create_file(dir, "file", b"still here");
    let fd = p1::path_open(dir, 0, "file", 0, RIGHTS_RW, 0).expect("open");
    p1::path_unlink_file(dir, "file").expect("unlink");
    assert!(!exists(dir, "file"));
    assert_errno!(p1::path_unlink_file(dir, "file"), wasi::ERRNO_NOENT);
    // The open fd still reads the unlinked file.
    assert_eq!(read_to_end(fd), b"still here");
    p1::fd_close(fd).expect("close");

    create_file(dir, "target", b"t");
    p1::path_symlink("target", dir, "link").expect("symlink");
    p1::path_unlink_file(dir, "link").expect("unlink a symlink");
    assert!(!exists(dir, "link"));
    assert!(exists(dir, "target"), "unlinking a symlink removed its target");
    // A dangling symlink can be unlinked too.
    p1::path_symlink("nowhere", dir, "dangling").expect("symlink");
    p1::path_unlink_file(dir, "dangling").expect("unlink a dangling symlink");

    p1::path_create_directory(dir, "dir").expect("mkdir");
    assert_errno!(p1::path_unlink_file(dir, "dir"), wasi::ERRNO_ISDIR);
    assert_errno!(p1::path_unlink_file(dir, "dir/"), wasi::ERRNO_ISDIR);
    assert!(exists(dir, "dir"));
    assert_errno!(p1::path_unlink_file(dir, "target/"), wasi::ERRNO_NOTDIR);
    assert!(exists(dir, "target"));
    assert_errno!(p1::path_unlink_file(dir, "missing"), wasi::ERRNO_NOENT);

    p1::path_remove_directory(dir, "dir").expect("rmdir");
    p1::path_unlink_file(dir, "target").expect("unlink");
    ok();
}
