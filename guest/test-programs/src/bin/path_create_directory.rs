//! `path_create_directory`: creates nested directories, `EXIST` on any existing
//! name, `NOENT` for a missing parent, `NOTDIR` beneath a file, and accepts a
//! trailing slash.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{assert_errno, create_file, exists, ok, p1, wasi, work_dir};

fn main() {
    let dir = work_dir();
    p1::path_create_directory(dir, "a").expect("mkdir a");
    p1::path_create_directory(dir, "a/b").expect("mkdir a/b");
    p1::path_create_directory(dir, "a/b/c/").expect("mkdir with a trailing slash");
    let st = p1::path_filestat_get(dir, 0, "a/b/c").expect("stat");
    assert_eq!(st.filetype, wasi::FILETYPE_DIRECTORY);

    assert_errno!(p1::path_create_directory(dir, "a"), wasi::ERRNO_EXIST);
    assert_errno!(p1::path_create_directory(dir, "a/b/"), wasi::ERRNO_EXIST);
    create_file(dir, "file", b"");
    assert_errno!(p1::path_create_directory(dir, "file"), wasi::ERRNO_EXIST);
    p1::path_symlink("a", dir, "link").expect("symlink");
    assert_errno!(p1::path_create_directory(dir, "link"), wasi::ERRNO_EXIST);

    assert_errno!(p1::path_create_directory(dir, "missing/x"), wasi::ERRNO_NOENT);
    assert!(!exists(dir, "missing"));
    assert_errno!(p1::path_create_directory(dir, "file/x"), wasi::ERRNO_NOTDIR);

    // Through a symlinked parent.
    p1::path_create_directory(dir, "link/via").expect("mkdir through a symlink");
    assert!(exists(dir, "a/via"));

    for d in ["a/via", "a/b/c", "a/b", "a"] {
        p1::path_remove_directory(dir, d).expect("rmdir");
    }
    p1::path_unlink_file(dir, "link").expect("unlink");
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
