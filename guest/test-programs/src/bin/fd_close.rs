//! `fd_close`: a closed fd is `BADF` for everything, closing twice is `BADF`,
//! and an fd number that was never opened is `BADF` for every fd call.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, wasi, work_dir};

fn assert_not_open(fd: wasi::Fd) {
    let mut buf = [0u8; 8];
    assert_errno!(p1::read(fd, &mut buf), wasi::ERRNO_BADF);
    assert_errno!(p1::write(fd, b"x"), wasi::ERRNO_BADF);
    assert_errno!(p1::pread(fd, &mut buf, 0), wasi::ERRNO_BADF);
    assert_errno!(p1::pwrite(fd, b"x", 0), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_seek(fd, 0, wasi::WHENCE_SET), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_tell(fd), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_fdstat_get(fd), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_fdstat_set_flags(fd, 0), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_filestat_get(fd), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_filestat_set_size(fd, 0), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_filestat_set_times(fd, 0, 0, 0), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_readdir(fd, &mut [0u8; 64], 0), wasi::ERRNO_BADF);
    assert_errno!(p1::prestat_dir_len(fd), wasi::ERRNO_BADF);
    assert_errno!(p1::path_open(fd, 0, "x", 0, RIGHTS_RW, 0), wasi::ERRNO_BADF);
    assert_errno!(p1::path_filestat_get(fd, 0, "x"), wasi::ERRNO_BADF);
    assert_errno!(p1::path_create_directory(fd, "x"), wasi::ERRNO_BADF);
    assert_errno!(p1::fd_close(fd), wasi::ERRNO_BADF);
}

fn main() {
    let dir = work_dir();
    let fd = p1::path_open(dir, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0).expect("create");
    p1::write(fd, b"kept").expect("write");
    p1::fd_close(fd).expect("close");
    assert_not_open(fd);
    // Closing did not lose the data.
    assert_eq!(test_programs::read_file(dir, "file"), b"kept");

    for never_opened in [77, 4096, 1 << 20, u32::MAX] {
        assert_not_open(never_opened);
    }
    p1::path_unlink_file(dir, "file").expect("unlink");
    ok();
}
