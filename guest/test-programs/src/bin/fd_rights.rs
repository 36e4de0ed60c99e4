//! Rights stay with the fd and only narrow: `fd_fdstat_set_rights` takes
//! rights away (a call that needs one then gets `NOTCAPABLE`, checked before
//! anything else) and never gives one back (`NOTCAPABLE`); a directory's
//! inheriting rights bound what fds opened beneath it may do; a directory
//! reopened with the rights its own fdstat reports opens (`FD_DATASYNC`, in
//! those rights, is not an intent to write).
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, create_file, ok, p1, wasi, work_dir};

const NOTCAPABLE: wasi::Errno = wasi::ERRNO_NOTCAPABLE;

fn main() {
    let dir = work_dir();

    // Reopening a directory with its own reported rights.
    let d = p1::fd_fdstat_get(dir).expect("fdstat of the directory");
    assert_ne!(d.fs_rights_base & wasi::RIGHTS_FD_DATASYNC, 0, "a directory reports FD_DATASYNC");
    let again = p1::path_open_rights(dir, 0, ".", wasi::OFLAGS_DIRECTORY, d.fs_rights_base, d.fs_rights_inheriting, 0)
        .expect("reopen the directory with its own rights");
    p1::fd_close(again).expect("close");

    // A file fd loses FD_WRITE: reads go on, writes are NOTCAPABLE, and the
    // right cannot be had back.
    create_file(dir, "f", b"abc");
    let fd = p1::path_open(dir, 0, "f", 0, RIGHTS_RW, 0).expect("open read-write");
    let st = p1::fd_fdstat_get(fd).expect("fdstat");
    p1::fd_fdstat_set_rights(fd, st.fs_rights_base & !wasi::RIGHTS_FD_WRITE, st.fs_rights_inheriting)
        .expect("drop FD_WRITE");
    assert_eq!(p1::fd_fdstat_get(fd).expect("fdstat").fs_rights_base & wasi::RIGHTS_FD_WRITE, 0);
    assert_errno!(p1::write(fd, b"x"), NOTCAPABLE);
    assert_errno!(p1::pwrite(fd, b"x", 0), NOTCAPABLE);
    let mut buf = [0u8; 8];
    assert_eq!(p1::read(fd, &mut buf).expect("read still allowed"), 3);
    assert_errno!(p1::fd_fdstat_set_rights(fd, st.fs_rights_base, st.fs_rights_inheriting), NOTCAPABLE);
    p1::fd_fdstat_set_rights(fd, 0, 0).expect("drop everything");
    assert_errno!(p1::fd_seek(fd, 0, wasi::WHENCE_SET), NOTCAPABLE);
    assert_errno!(p1::fd_tell(fd), NOTCAPABLE);
    assert_errno!(p1::fd_filestat_get(fd), NOTCAPABLE);
    p1::fd_close(fd).expect("closing needs no right");

    // A directory fd: its base rights gate path calls, its inheriting
    // rights bound the fds opened beneath it.
    p1::path_create_directory(dir, "sub").expect("mkdir");
    let sub = p1::path_open_rights(dir, 0, "sub", wasi::OFLAGS_DIRECTORY, d.fs_rights_base, d.fs_rights_inheriting, 0)
        .expect("open sub");
    create_file(sub, "g", b"123");
    let s = p1::fd_fdstat_get(sub).expect("fdstat");
    let base = s.fs_rights_base & !(wasi::RIGHTS_PATH_FILESTAT_SET_SIZE | wasi::RIGHTS_PATH_CREATE_DIRECTORY);
    p1::fd_fdstat_set_rights(sub, base, s.fs_rights_inheriting & !wasi::RIGHTS_FD_WRITE).expect("narrow sub");
    assert_errno!(p1::path_open(sub, 0, "g", wasi::OFLAGS_TRUNC, RIGHTS_RW, 0), NOTCAPABLE);
    assert_errno!(p1::path_create_directory(sub, "x"), NOTCAPABLE);
    let g = p1::path_open(sub, 0, "g", 0, RIGHTS_RW, 0).expect("open beneath the narrowed directory");
    assert_eq!(p1::fd_fdstat_get(g).expect("fdstat").fs_rights_base & wasi::RIGHTS_FD_WRITE, 0);
    assert_errno!(p1::write(g, b"x"), NOTCAPABLE);
    p1::fd_close(g).expect("close");
    p1::fd_close(sub).expect("close");

    p1::path_unlink_file(dir, "sub/g").expect("unlink");
    p1::path_remove_directory(dir, "sub").expect("rmdir");
    p1::path_unlink_file(dir, "f").expect("unlink");
    ok();
}
