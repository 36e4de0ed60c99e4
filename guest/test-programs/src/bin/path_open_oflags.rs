//! `path_open` with every oflag and the append fdflag: `CREAT` creates,
//! `CREAT|EXCL` is `EXIST` on any existing name (even a dangling symlink),
//! `TRUNC` empties, `DIRECTORY` is `NOTDIR` on a file, a missing name without
//! `CREAT` is `NOENT`, a file used as the directory fd is `NOTDIR`, and
//! `APPEND` makes every write land at the end.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{
    RIGHTS_READ, RIGHTS_RW, assert_errno, create_file, exists, ok, p1, read_file, read_to_end, wasi, work_dir,
};

fn main() {
    let dir = work_dir();

    // Without CREAT a missing name is NOENT, and nothing is created.
    assert_errno!(p1::path_open(dir, 0, "new", 0, RIGHTS_RW, 0), wasi::ERRNO_NOENT);
    assert!(!exists(dir, "new"));

    // CREAT creates an empty file, and opens an existing one as it is.
    let fd = p1::path_open(dir, 0, "new", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("CREAT");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 0);
    p1::write(fd, b"content").expect("write");
    p1::fd_close(fd).expect("close");
    let fd = p1::path_open(dir, 0, "new", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("CREAT existing");
    assert_eq!(read_to_end(fd), b"content", "CREAT on an existing file keeps it");
    p1::fd_close(fd).expect("close");

    // CREAT|EXCL.
    let excl = wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL;
    assert_errno!(p1::path_open(dir, 0, "new", excl, RIGHTS_RW, 0), wasi::ERRNO_EXIST);
    p1::path_create_directory(dir, "dir").expect("mkdir");
    assert_errno!(p1::path_open(dir, 0, "dir", excl, RIGHTS_RW, 0), wasi::ERRNO_EXIST);
    p1::path_symlink("nowhere", dir, "dangling").expect("symlink");
    assert_errno!(
        p1::path_open(dir, wasi::LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling", excl, RIGHTS_RW, 0),
        wasi::ERRNO_EXIST
    );
    assert!(!exists(dir, "nowhere"), "CREAT|EXCL created a symlink's target");
    let fd = p1::path_open(dir, 0, "excl", excl, RIGHTS_RW, 0).expect("CREAT|EXCL on a new name");
    p1::fd_close(fd).expect("close");

    // TRUNC empties the file; without it the contents stay.
    let fd = p1::path_open(dir, 0, "new", 0, RIGHTS_RW, 0).expect("open");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 7);
    p1::fd_close(fd).expect("close");
    let fd = p1::path_open(dir, 0, "new", wasi::OFLAGS_TRUNC, RIGHTS_RW, 0).expect("TRUNC");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 0, "TRUNC left data");
    p1::fd_close(fd).expect("close");
    assert_eq!(read_file(dir, "new"), b"");

    // DIRECTORY.
    create_file(dir, "file", b"f");
    assert_errno!(p1::path_open(dir, 0, "file", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0), wasi::ERRNO_NOTDIR);
    let d = p1::path_open(dir, 0, "dir", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("DIRECTORY");
    assert_eq!(p1::fd_filestat_get(d).expect("stat").filetype, wasi::FILETYPE_DIRECTORY);
    // A directory opened without DIRECTORY is still a directory.
    let d2 = p1::path_open(dir, 0, "dir", 0, RIGHTS_READ, 0).expect("open a dir without DIRECTORY");
    assert_eq!(p1::fd_fdstat_get(d2).expect("fdstat").fs_filetype, wasi::FILETYPE_DIRECTORY);
    p1::fd_close(d2).expect("close");
    // Files can be created beneath an opened directory fd.
    let inner = p1::path_open(d, 0, "inner", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create inside");
    p1::fd_close(inner).expect("close");
    assert!(exists(dir, "dir/inner"));
    p1::fd_close(d).expect("close");

    // A file is not a directory fd.
    let f = p1::path_open(dir, 0, "file", 0, RIGHTS_READ, 0).expect("open file");
    assert_errno!(p1::path_open(f, 0, "x", 0, RIGHTS_READ, 0), wasi::ERRNO_NOTDIR);
    assert_errno!(p1::path_open(f, 0, "x", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), wasi::ERRNO_NOTDIR);
    p1::fd_close(f).expect("close");
    // A missing parent is NOENT even with CREAT; a file as parent is NOTDIR.
    assert_errno!(p1::path_open(dir, 0, "nodir/x", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), wasi::ERRNO_NOENT);
    assert_errno!(p1::path_open(dir, 0, "file/x", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), wasi::ERRNO_NOTDIR);

    // APPEND: every write goes to the end, whatever the offset.
    create_file(dir, "log", b"one\n");
    let log = p1::path_open(dir, 0, "log", 0, RIGHTS_RW, wasi::FDFLAGS_APPEND).expect("APPEND");
    assert_eq!(p1::fd_fdstat_get(log).expect("fdstat").fs_flags & wasi::FDFLAGS_APPEND, wasi::FDFLAGS_APPEND);
    p1::write(log, b"two\n").expect("append");
    p1::fd_seek(log, 0, wasi::WHENCE_SET).expect("seek");
    p1::write(log, b"three\n").expect("append after seek");
    p1::fd_seek(log, 0, wasi::WHENCE_SET).expect("seek");
    assert_eq!(read_to_end(log), b"one\ntwo\nthree\n");
    p1::fd_close(log).expect("close");
    // CREAT|TRUNC|APPEND together: an empty file that is appended to.
    let fd = p1::path_open(dir, 0, "log", wasi::OFLAGS_CREAT | wasi::OFLAGS_TRUNC, RIGHTS_RW, wasi::FDFLAGS_APPEND)
        .expect("CREAT|TRUNC with APPEND");
    p1::write(fd, b"fresh").expect("write");
    p1::fd_close(fd).expect("close");
    assert_eq!(read_file(dir, "log"), b"fresh");

    for f in ["new", "excl", "file", "log", "dangling", "dir/inner"] {
        p1::path_unlink_file(dir, f).expect("unlink");
    }
    p1::path_remove_directory(dir, "dir").expect("rmdir");
    ok();
}
