//! `fd_read`/`fd_write`: gather writes, scatter reads (short counts allowed), end of file, large
//! transfers, and `BADF` when the fd was not opened for that direction.
//!
//! Host: runs it in `/scratch` (a host mount) and `/tmp` (the VM's own
//! filesystem); argv[1] names the directory.

use test_programs::{
    RIGHTS_READ, RIGHTS_RW, RIGHTS_WRITE, assert_errno, ok, p1, read_to_end, read_vectored_full, wasi, work_dir,
    write_vectored_all,
};

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "rw", wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL, RIGHTS_RW, 0).expect("create rw");

    write_vectored_all(fd, &[b"hello", b" ", b"world"]);
    assert_eq!(p1::fd_write(fd, &[]).expect("write of no iovecs"), 0);
    assert_eq!(p1::fd_write(fd, &[b""]).expect("write of an empty iovec"), 0);
    assert_eq!(p1::fd_tell(fd).expect("tell"), 11);

    assert_eq!(p1::fd_seek(fd, 0, wasi::WHENCE_SET).expect("seek"), 0);
    let (mut a, mut b, mut c) = ([0u8; 5], [0u8; 1], [0u8; 10]);
    let n = read_vectored_full(fd, &mut [&mut a, &mut b, &mut c], None);
    assert_eq!(n, 11);
    assert_eq!((&a, &b, &c[..5]), (b"hello", b" ", &b"world"[..]));
    assert_eq!(c[5..], [0; 5], "bytes past the data were written");
    assert_eq!(p1::read(fd, &mut a).expect("read at EOF"), 0, "EOF reads 0 bytes");
    assert_eq!(p1::read(fd, &mut []).expect("read into an empty buffer"), 0);

    // Appending at the end after a seek.
    p1::fd_seek(fd, 0, wasi::WHENCE_END).expect("seek end");
    p1::write(fd, b"!").expect("write");
    p1::fd_seek(fd, 0, wasi::WHENCE_SET).expect("seek");
    assert_eq!(read_to_end(fd), b"hello world!");

    // A large transfer, in one call each way (short counts are allowed).
    let big: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    p1::fd_seek(fd, 0, wasi::WHENCE_SET).expect("seek");
    let mut written = 0;
    while written < big.len() {
        written += p1::write(fd, &big[written..]).expect("big write");
    }
    p1::fd_seek(fd, 0, wasi::WHENCE_SET).expect("seek");
    assert!(read_to_end(fd) == big, "1 MiB read back differs");
    p1::fd_close(fd).expect("close");

    // Direction is a property of the fd.
    let ro = p1::path_open(dir, 0, "rw", 0, RIGHTS_READ, 0).expect("open read-only");
    assert_errno!(p1::write(ro, b"x"), wasi::ERRNO_BADF);
    assert_eq!(p1::read(ro, &mut a).expect("read"), 5);
    p1::fd_close(ro).expect("close");
    let wo = p1::path_open(dir, 0, "rw", 0, RIGHTS_WRITE, 0).expect("open write-only");
    assert_errno!(p1::read(wo, &mut a), wasi::ERRNO_BADF);
    assert_eq!(p1::write(wo, b"J").expect("write"), 1);
    p1::fd_close(wo).expect("close");
    assert_eq!(&test_programs::read_file(dir, "rw")[..2], &[b'J', 1]);

    p1::path_unlink_file(dir, "rw").expect("unlink");
    ok();
}
