//! `path_link`: a hard link is the same file (inode, contents, link count),
//! survives the removal of the original name; `EXIST` when the new name is
//! taken (file, directory, itself), `PERM`/`ACCES` for a directory source,
//! `NOENT` for a missing source or a new name with a trailing slash.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, create_file, exists, ok, p1, read_file, wasi, work_dir};

fn main() {
    let dir = work_dir();
    create_file(dir, "file", b"shared");
    p1::path_link(dir, 0, "file", dir, "link").expect("link");
    let a = p1::path_filestat_get(dir, 0, "file").expect("stat");
    let b = p1::path_filestat_get(dir, 0, "link").expect("stat");
    assert_eq!((a.dev, a.ino), (b.dev, b.ino), "a hard link is the same inode");
    assert_eq!((a.nlink, b.nlink), (2, 2), "link count");

    // Writes through one name are seen through the other.
    let fd = p1::path_open(dir, 0, "link", 0, RIGHTS_RW, wasi::FDFLAGS_APPEND).expect("open link");
    p1::write(fd, b" data").expect("write");
    p1::fd_close(fd).expect("close");
    assert_eq!(read_file(dir, "file"), b"shared data");

    // Into a subdirectory, through an opened directory fd.
    p1::path_create_directory(dir, "sub").expect("mkdir");
    let sub = p1::path_open(dir, 0, "sub", wasi::OFLAGS_DIRECTORY, test_programs::RIGHTS_READ, 0).expect("open sub");
    p1::path_link(dir, 0, "file", sub, "inner").expect("link into another dir fd");
    assert_eq!(read_file(dir, "sub/inner"), b"shared data");
    assert_eq!(p1::path_filestat_get(dir, 0, "file").expect("stat").nlink, 3);
    p1::path_unlink_file(sub, "inner").expect("unlink");
    p1::fd_close(sub).expect("close");

    // Removing the original leaves the link.
    p1::path_unlink_file(dir, "file").expect("unlink original");
    assert_eq!(read_file(dir, "link"), b"shared data");
    assert_eq!(p1::path_filestat_get(dir, 0, "link").expect("stat").nlink, 1);
    p1::path_rename(dir, "link", dir, "file").expect("rename back");

    // The new name must be free.
    create_file(dir, "taken", b"t");
    assert_errno!(p1::path_link(dir, 0, "file", dir, "taken"), wasi::ERRNO_EXIST);
    assert_errno!(p1::path_link(dir, 0, "file", dir, "file"), wasi::ERRNO_EXIST);
    assert_errno!(p1::path_link(dir, 0, "file", dir, "sub"), wasi::ERRNO_EXIST);
    assert_eq!(read_file(dir, "taken"), b"t");

    // Sources that cannot be linked.
    assert_errno!(p1::path_link(dir, 0, "sub", dir, "dirlink"), wasi::ERRNO_PERM, wasi::ERRNO_ACCES);
    assert_errno!(p1::path_link(dir, 0, "missing", dir, "x"), wasi::ERRNO_NOENT);
    assert_errno!(p1::path_link(dir, 0, "file", dir, "x/"), wasi::ERRNO_NOENT);
    assert_errno!(p1::path_link(dir, 0, "file", dir, "nodir/x"), wasi::ERRNO_NOENT);
    assert!(!exists(dir, "dirlink") && !exists(dir, "x"));

    // Linking a symlink (not followed) links the symlink itself.
    p1::path_symlink("nowhere", dir, "sym").expect("symlink");
    p1::path_link(dir, 0, "sym", dir, "sym2").expect("link a dangling symlink");
    assert_eq!(p1::readlink(dir, "sym2").expect("readlink"), b"nowhere");

    for f in ["file", "taken", "sym", "sym2"] {
        p1::path_unlink_file(dir, f).expect("unlink");
    }
    p1::path_remove_directory(dir, "sub").expect("rmdir");
    ok();
}
