//! `fd_seek`/`fd_tell`: every whence, seeking past the end (allowed, and a
//! write there leaves a hole), seeking before 0 (`INVAL`), and reads and writes
//! moving the offset.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, read_to_end, wasi, work_dir};

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    assert_eq!(p1::fd_tell(fd).expect("tell"), 0);
    assert_eq!(p1::write(fd, &[1u8; 100]).expect("write"), 100);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 100);

    assert_eq!(p1::fd_seek(fd, -50, wasi::WHENCE_CUR).expect("seek cur -50"), 50);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 50);
    assert_eq!(p1::fd_seek(fd, 0, wasi::WHENCE_SET).expect("seek set 0"), 0);
    assert_eq!(p1::fd_seek(fd, -10, wasi::WHENCE_END).expect("seek end -10"), 90);
    assert_eq!(p1::fd_seek(fd, 0, wasi::WHENCE_END).expect("seek end"), 100);
    assert_eq!(p1::fd_seek(fd, 0, wasi::WHENCE_CUR).expect("seek cur 0"), 100);

    // Past the end is fine; before 0 is not, and leaves the offset alone.
    assert_eq!(p1::fd_seek(fd, 1000, wasi::WHENCE_CUR).expect("seek past end"), 1100);
    assert_errno!(p1::fd_seek(fd, -2000, wasi::WHENCE_CUR), wasi::ERRNO_INVAL);
    assert_errno!(p1::fd_seek(fd, -1, wasi::WHENCE_SET), wasi::ERRNO_INVAL);
    assert_errno!(p1::fd_seek(fd, -101, wasi::WHENCE_END), wasi::ERRNO_INVAL);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 1100, "a failed seek moved the offset");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 100, "seeking changed the size");

    // A write there extends the file with a hole of zeros.
    p1::write(fd, &[2]).expect("write past end");
    assert_eq!(p1::fd_filestat_get(fd).expect("stat").size, 1101);
    p1::fd_seek(fd, 98, wasi::WHENCE_SET).expect("seek");
    let tail = read_to_end(fd);
    assert_eq!(tail.len(), 1003);
    assert_eq!(&tail[..2], &[1, 1]);
    assert!(tail[2..1002].iter().all(|&b| b == 0), "hole is not zeros");
    assert_eq!(tail[1002], 2);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 1101, "read moved the offset to EOF");

    p1::fd_seek(fd, 0, wasi::WHENCE_SET).expect("seek");
    let mut buf = [0u8; 30];
    assert_eq!(p1::read(fd, &mut buf).expect("read"), 30);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 30);

    p1::fd_close(fd).expect("close");
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
