//! Trailing slashes, with Linux semantics (as wasmtime's tests expect): a
//! trailing `/` requires a directory. Opening, renaming, unlinking and
//! symlinking files with one fails with `NOTDIR`; directories accept it.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, assert_errno, create_file, exists, ok, p1, wasi, work_dir};

fn main() {
    let dir = work_dir();
    create_file(dir, "file", b"f");
    p1::path_create_directory(dir, "dir").expect("mkdir");

    // open
    for path in ["file/", "file///"] {
        assert_errno!(p1::path_open(dir, 0, path, 0, RIGHTS_READ, 0), wasi::ERRNO_NOTDIR);
    }
    for path in ["dir/", "dir///", "dir/."] {
        let fd = p1::path_open(dir, 0, path, 0, RIGHTS_READ, 0).unwrap_or_else(|e| panic!("{path}: {e:?}"));
        p1::fd_close(fd).expect("close");
    }
    // stat
    assert_errno!(p1::path_filestat_get(dir, 0, "file/"), wasi::ERRNO_NOTDIR);
    assert_eq!(p1::path_filestat_get(dir, 0, "dir/").expect("stat dir/").filetype, wasi::FILETYPE_DIRECTORY);

    // rename: files refuse a slash on either side; directories accept it.
    assert_errno!(p1::path_rename(dir, "file/", dir, "moved"), wasi::ERRNO_NOTDIR);
    assert_errno!(p1::path_rename(dir, "file", dir, "moved/"), wasi::ERRNO_NOTDIR);
    assert_errno!(p1::path_rename(dir, "file/", dir, "moved/"), wasi::ERRNO_NOTDIR);
    assert!(exists(dir, "file") && !exists(dir, "moved"), "a failed rename moved the file");
    p1::path_rename(dir, "dir/", dir, "dir2").expect("rename dir/ -> dir2");
    p1::path_rename(dir, "dir2", dir, "dir/").expect("rename dir2 -> dir/");
    p1::path_rename(dir, "dir/", dir, "dir2/").expect("rename dir/ -> dir2/");
    p1::path_rename(dir, "dir2", dir, "dir").expect("rename back");

    // unlink
    assert_errno!(p1::path_unlink_file(dir, "file/"), wasi::ERRNO_NOTDIR);
    assert!(exists(dir, "file"));

    // symlink: a new link's name cannot end in a slash.
    assert_errno!(p1::path_symlink("file", dir, "dir/"), wasi::ERRNO_EXIST);
    assert_errno!(p1::path_symlink("x", dir, "file/"), wasi::ERRNO_NOTDIR);
    assert_errno!(p1::path_symlink("file", dir, "newlink/"), wasi::ERRNO_NOENT);
    assert!(!exists(dir, "newlink"));

    // link
    assert_errno!(p1::path_link(dir, 0, "file", dir, "hard/"), wasi::ERRNO_NOENT);
    assert!(!exists(dir, "hard"));

    // mkdir accepts one; rmdir of a file with one is NOTDIR. (rmdir of a
    // directory with one differs between systems and is not tested.)
    p1::path_create_directory(dir, "made/").expect("mkdir with a trailing slash");
    p1::path_remove_directory(dir, "made").expect("rmdir");
    assert_errno!(p1::path_remove_directory(dir, "file/"), wasi::ERRNO_NOTDIR);

    // A symlink to a directory followed by a slash is the directory.
    p1::path_symlink("dir", dir, "dirlink").expect("symlink");
    let st = p1::path_filestat_get(dir, 0, "dirlink/").expect("stat dirlink/");
    assert_eq!(st.filetype, wasi::FILETYPE_DIRECTORY, "dirlink/ resolves the link");
    p1::path_symlink("file", dir, "filelink").expect("symlink");
    assert_errno!(p1::path_filestat_get(dir, 0, "filelink/"), wasi::ERRNO_NOTDIR);

    for f in ["file", "dirlink", "filelink"] {
        p1::path_unlink_file(dir, f).expect("unlink");
    }
    p1::path_remove_directory(dir, "dir").expect("rmdir");
    ok();
}
