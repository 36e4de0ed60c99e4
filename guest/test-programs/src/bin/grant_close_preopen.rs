//! Closing a preopen revokes it: the fd is `BADF` for everything afterwards,
//! the other preopens are unaffected, and a new open does not bring it back
//! unasked.
//!
//! Host: grants a dir at `/scratch`; the VM root is fd 4.

use test_programs::{RIGHTS_READ, RIGHTS_RW, assert_errno, ok, p1, wasi};

fn main() {
    assert_eq!(test_programs::preopens().len(), 2);
    p1::fd_close(3).expect("closing the /scratch preopen");
    let badf = wasi::ERRNO_BADF;
    assert_errno!(p1::prestat_dir_len(3), badf);
    assert_errno!(p1::fd_fdstat_get(3), badf);
    assert_errno!(p1::path_open(3, 0, "file", wasi::OFLAGS_CREAT, RIGHTS_RW, 0), badf);
    assert_errno!(p1::path_filestat_get(3, 0, "."), badf);
    assert_errno!(p1::fd_readdir(3, &mut [0u8; 128], 0), badf);
    assert_errno!(p1::fd_close(3), badf);

    // The VM root preopen is still there and still works.
    assert_eq!(p1::fd_fdstat_get(4).expect("fdstat of /").fs_filetype, wasi::FILETYPE_DIRECTORY);
    let fd = p1::path_open(4, 0, "tmp", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open /tmp");
    // A fresh fd may take number 3, but it is /tmp, not the old preopen.
    assert_errno!(p1::prestat_dir_len(fd), badf);
    p1::fd_close(fd).expect("close");
    ok();
}
