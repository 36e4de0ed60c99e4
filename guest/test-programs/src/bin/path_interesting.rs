//! Unusual but valid paths: `.` components, doubled slashes and `..` that stay
//! inside the directory all resolve; `..` that climbs above the directory fd is
//! `PERM`, as is an absolute path relative to a non-root directory fd.
//!
//! Host: runs it in `/scratch` and `/tmp` (a fresh fd for `/tmp`, itself a
//! non-root directory fd).

use test_programs::{RIGHTS_READ, assert_errno, create_file, ok, p1, read_file, wasi, work_dir};

fn main() {
    let dir = work_dir();
    p1::path_create_directory(dir, "dir").expect("mkdir");
    p1::path_create_directory(dir, "dir/nested").expect("mkdir");
    create_file(dir, "dir/nested/file", b"found");

    for path in [
        "dir/nested/file",
        "./dir/nested/file",
        "dir//nested///file",
        "dir/./nested/./file",
        "dir/nested/../nested/file",
        "dir/.//nested/../../dir/nested/../nested///./file",
    ] {
        assert_eq!(read_file(dir, path), b"found", "{path}");
    }
    for path in [".", "./", "dir/..", "dir/nested/../.."] {
        let fd = p1::path_open(dir, 0, path, wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0)
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        assert_eq!(
            p1::fd_filestat_get(fd).expect("stat").ino,
            p1::fd_filestat_get(dir).expect("stat").ino,
            "{path} is the directory itself"
        );
        p1::fd_close(fd).expect("close");
    }

    // Leaving the directory fd, however spelled.
    for path in ["..", "../", "dir/../..", "dir/nested/../../../x", "/dir/nested/file", "/"] {
        assert_errno!(p1::path_open(dir, 0, path, 0, RIGHTS_READ, 0), wasi::ERRNO_PERM);
    }
    assert_errno!(p1::path_filestat_get(dir, 0, "../x"), wasi::ERRNO_PERM);
    assert_errno!(p1::path_create_directory(dir, "../escaped"), wasi::ERRNO_PERM);

    // An empty path names nothing.
    assert_errno!(p1::path_open(dir, 0, "", 0, RIGHTS_READ, 0), wasi::ERRNO_NOENT);

    p1::path_unlink_file(dir, "dir/nested/file").expect("unlink");
    p1::path_remove_directory(dir, "dir/nested").expect("rmdir");
    p1::path_remove_directory(dir, "dir").expect("rmdir");
    ok();
}
