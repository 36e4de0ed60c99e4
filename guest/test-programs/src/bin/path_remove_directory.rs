//! `path_remove_directory`: removes an empty directory; `NOTEMPTY` for one with
//! entries, `NOTDIR` on a file (with or without a trailing slash) and on a
//! symlink to a directory, `NOENT` for a missing name.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{assert_errno, create_file, exists, ok, p1, wasi, work_dir};

fn main() {
    let dir = work_dir();
    p1::path_create_directory(dir, "empty").expect("mkdir");
    p1::path_remove_directory(dir, "empty").expect("rmdir");
    assert!(!exists(dir, "empty"));
    assert_errno!(p1::path_remove_directory(dir, "empty"), wasi::ERRNO_NOENT);

    p1::path_create_directory(dir, "full").expect("mkdir");
    create_file(dir, "full/file", b"x");
    assert_errno!(p1::path_remove_directory(dir, "full"), wasi::ERRNO_NOTEMPTY);
    p1::path_create_directory(dir, "full2").expect("mkdir");
    p1::path_create_directory(dir, "full2/sub").expect("mkdir");
    assert_errno!(p1::path_remove_directory(dir, "full2"), wasi::ERRNO_NOTEMPTY);
    assert!(exists(dir, "full/file") && exists(dir, "full2/sub"));

    create_file(dir, "file", b"");
    assert_errno!(p1::path_remove_directory(dir, "file"), wasi::ERRNO_NOTDIR);
    assert_errno!(p1::path_remove_directory(dir, "file/"), wasi::ERRNO_NOTDIR);
    p1::path_symlink("full2/sub", dir, "dirlink").expect("symlink");
    assert_errno!(p1::path_remove_directory(dir, "dirlink"), wasi::ERRNO_NOTDIR);
    assert!(exists(dir, "full2/sub"), "rmdir of a symlink removed its target");
    assert_errno!(p1::path_remove_directory(dir, "full/file/x"), wasi::ERRNO_NOTDIR);

    // Emptied, it goes.
    p1::path_unlink_file(dir, "full/file").expect("unlink");
    p1::path_remove_directory(dir, "full").expect("rmdir emptied");
    p1::path_remove_directory(dir, "full2/sub").expect("rmdir");
    p1::path_remove_directory(dir, "full2").expect("rmdir");
    p1::path_unlink_file(dir, "dirlink").expect("unlink");
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
