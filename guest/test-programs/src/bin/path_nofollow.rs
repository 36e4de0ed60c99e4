//! Lookup flags: without `SYMLINK_FOLLOW` a final symlink is not followed
//! (open is `LOOP`, stat describes the link itself), with it the target is
//! used; symlinks in the middle of a path are always followed.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, assert_errno, create_file, ok, p1, read_file, wasi, work_dir};

const FOLLOW: wasi::Lookupflags = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;

fn main() {
    let dir = work_dir();
    p1::path_create_directory(dir, "target_dir").expect("mkdir");
    create_file(dir, "target_dir/file", b"in dir");
    create_file(dir, "target_file", b"a file");
    p1::path_symlink("target_dir", dir, "dirlink").expect("symlink");
    p1::path_symlink("target_file", dir, "filelink").expect("symlink");

    // Open without following.
    assert_errno!(p1::path_open(dir, 0, "filelink", 0, RIGHTS_READ, 0), wasi::ERRNO_LOOP);
    assert_errno!(
        p1::path_open(dir, 0, "dirlink", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0),
        wasi::ERRNO_LOOP,
        wasi::ERRNO_NOTDIR
    );
    assert_errno!(
        p1::path_open(dir, 0, "filelink", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0),
        wasi::ERRNO_LOOP,
        wasi::ERRNO_NOTDIR
    );
    // Open following.
    let fd = p1::path_open(dir, FOLLOW, "dirlink", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0)
        .expect("open a dir symlink, following");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").filetype, wasi::FILETYPE_DIRECTORY);
    p1::fd_close(fd).expect("close");
    assert_errno!(p1::path_open(dir, FOLLOW, "filelink", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0), wasi::ERRNO_NOTDIR);
    let fd = p1::path_open(dir, FOLLOW, "filelink", 0, RIGHTS_READ, 0).expect("open following");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").filetype, wasi::FILETYPE_REGULAR_FILE);
    p1::fd_close(fd).expect("close");

    // Stat with and without following.
    let link = p1::path_filestat_get(dir, 0, "filelink").expect("lstat");
    let file = p1::path_filestat_get(dir, FOLLOW, "filelink").expect("stat");
    let direct = p1::path_filestat_get(dir, 0, "target_file").expect("stat target");
    assert_eq!(link.filetype, wasi::FILETYPE_SYMBOLIC_LINK);
    assert_eq!(file.filetype, wasi::FILETYPE_REGULAR_FILE);
    assert_eq!((file.ino, file.size), (direct.ino, 6));
    assert_ne!(link.ino, file.ino);
    assert_eq!(p1::path_filestat_get(dir, FOLLOW, "dirlink").expect("stat").filetype, wasi::FILETYPE_DIRECTORY);

    // Intermediate components are followed whatever the flags.
    assert_eq!(
        p1::path_filestat_get(dir, 0, "dirlink/file").expect("stat through a link").filetype,
        wasi::FILETYPE_REGULAR_FILE
    );
    let fd = p1::path_open(dir, 0, "dirlink/file", 0, RIGHTS_READ, 0).expect("open through a link");
    p1::fd_close(fd).expect("close");
    assert_eq!(read_file(dir, "dirlink/file"), b"in dir");

    for f in ["dirlink", "filelink", "target_file", "target_dir/file"] {
        p1::path_unlink_file(dir, f).expect("unlink");
    }
    p1::path_remove_directory(dir, "target_dir").expect("rmdir");
    ok();
}
