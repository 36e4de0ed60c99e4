//! `path_rename`: files and directories to new names, a file replacing a file,
//! a directory replacing an empty directory; `NOTEMPTY` onto a non-empty
//! directory, `NOTDIR` for a directory onto a file, `ISDIR` for a file onto a
//! directory, `NOENT` for a missing source, `INVAL` for a directory into its
//! own subtree; renaming onto itself changes nothing; open fds follow the file.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, assert_errno, create_file, exists, ok, p1, read_file, read_to_end, wasi, work_dir};

fn main() {
    let dir = work_dir();

    // File to a new name; an open fd follows it.
    create_file(dir, "a", b"contents of a");
    let fd = p1::path_open(dir, 0, "a", 0, RIGHTS_READ, 0).expect("open");
    let ino = p1::path_filestat_get(dir, 0, "a").expect("stat").ino;
    p1::path_rename(dir, "a", dir, "b").expect("rename file");
    assert!(!exists(dir, "a"));
    assert_eq!(p1::path_filestat_get(dir, 0, "b").expect("stat").ino, ino, "rename keeps the inode");
    assert_eq!(read_to_end(fd), b"contents of a");
    p1::fd_close(fd).expect("close");

    // File replacing a file.
    create_file(dir, "c", b"contents of c");
    p1::path_rename(dir, "c", dir, "b").expect("rename onto a file");
    assert!(!exists(dir, "c"));
    assert_eq!(read_file(dir, "b"), b"contents of c");

    // Onto itself: nothing happens.
    p1::path_rename(dir, "b", dir, "b").expect("rename onto itself");
    assert_eq!(read_file(dir, "b"), b"contents of c");

    // Directory to a new name, with its contents.
    p1::path_create_directory(dir, "d").expect("mkdir");
    create_file(dir, "d/inner", b"inner");
    p1::path_rename(dir, "d", dir, "e").expect("rename dir");
    assert!(!exists(dir, "d"));
    assert_eq!(read_file(dir, "e/inner"), b"inner");

    // Directory replacing an empty directory.
    p1::path_create_directory(dir, "empty").expect("mkdir");
    p1::path_rename(dir, "e", dir, "empty").expect("rename onto an empty dir");
    assert!(!exists(dir, "e"));
    assert_eq!(read_file(dir, "empty/inner"), b"inner");
    p1::path_rename(dir, "empty", dir, "e").expect("rename back");

    // Directory onto a non-empty directory.
    p1::path_create_directory(dir, "full").expect("mkdir");
    create_file(dir, "full/x", b"x");
    assert_errno!(p1::path_rename(dir, "e", dir, "full"), wasi::ERRNO_NOTEMPTY);
    assert!(exists(dir, "e/inner") && exists(dir, "full/x"), "a failed rename changed something");

    // Kinds that do not match.
    assert_errno!(p1::path_rename(dir, "e", dir, "b"), wasi::ERRNO_NOTDIR);
    assert_errno!(p1::path_rename(dir, "b", dir, "e"), wasi::ERRNO_ISDIR);
    assert_eq!(read_file(dir, "b"), b"contents of c");

    // Missing source, missing target directory.
    assert_errno!(p1::path_rename(dir, "missing", dir, "x"), wasi::ERRNO_NOENT);
    assert_errno!(p1::path_rename(dir, "b", dir, "nodir/x"), wasi::ERRNO_NOENT);
    assert!(exists(dir, "b"));

    // A directory into its own subtree.
    p1::path_create_directory(dir, "e/sub").expect("mkdir");
    assert_errno!(p1::path_rename(dir, "e", dir, "e/sub/e"), wasi::ERRNO_INVAL);
    assert!(exists(dir, "e/sub"));

    // Across directory fds.
    let sub = p1::path_open(dir, 0, "e/sub", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open");
    p1::path_rename(dir, "b", sub, "moved").expect("rename across dir fds");
    assert_eq!(read_file(dir, "e/sub/moved"), b"contents of c");
    p1::fd_close(sub).expect("close");

    // A symlink is renamed, not its target.
    p1::path_symlink("e/sub/moved", dir, "sym").expect("symlink");
    p1::path_rename(dir, "sym", dir, "sym2").expect("rename a symlink");
    assert_eq!(p1::readlink(dir, "sym2").expect("readlink"), b"e/sub/moved");
    assert!(exists(dir, "e/sub/moved"));

    for f in ["sym2", "e/sub/moved", "e/inner", "full/x"] {
        p1::path_unlink_file(dir, f).expect("unlink");
    }
    for d in ["e/sub", "e", "full"] {
        p1::path_remove_directory(dir, d).expect("rmdir");
    }
    ok();
}
