//! Fds that were never opened are `BADF` for every kind of call — there is no
//! ambient fd to stumble on: the guest's table holds stdio, the preopens and
//! nothing else.
//!
//! Host: grants a dir at `/scratch`.

use test_programs::{RIGHTS_RW, assert_errno, ok, p1, preopens, wasi};

fn main() {
    // stdio, /scratch, / — and nothing else below 64.
    let pre: Vec<u32> = preopens().into_iter().map(|(fd, _)| fd).collect();
    assert_eq!(pre, [3, 4]);
    for fd in 5..64 {
        assert_errno!(p1::fd_fdstat_get(fd), wasi::ERRNO_BADF);
    }

    let badf = wasi::ERRNO_BADF;
    for fd in [5, 63, 1000, 0x7fff_ffff, u32::MAX] {
        let mut buf = [0u8; 8];
        assert_errno!(p1::read(fd, &mut buf), badf);
        assert_errno!(p1::write(fd, b"x"), badf);
        assert_errno!(p1::fd_close(fd), badf);
        assert_errno!(p1::fd_sync(fd), badf);
        assert_errno!(p1::fd_filestat_get(fd), badf);
        assert_errno!(p1::fd_readdir(fd, &mut [0u8; 64], 0), badf);
        assert_errno!(p1::prestat_dir_len(fd), badf);
        assert_errno!(p1::path_open(fd, 0, "x", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), badf);
        assert_errno!(p1::path_create_directory(fd, "x"), badf);
        assert_errno!(p1::path_unlink_file(fd, "x"), badf);
        assert_errno!(p1::path_symlink("x", fd, "y"), badf);
        assert_errno!(p1::readlink(fd, "x"), badf);
        assert_errno!(p1::path_rename(fd, "x", 3, "y"), badf);
        assert_errno!(p1::path_rename(3, "x", fd, "y"), badf);
        assert_errno!(p1::path_link(fd, 0, "x", 3, "y"), badf);
        assert_errno!(p1::fd_renumber(fd, 3), badf);
        assert_errno!(p1::sock_accept(fd, 0), badf);
    }
    // Nothing was created by the failed calls.
    assert_eq!(test_programs::list_names(3), Vec::<String>::new());
    ok();
}
