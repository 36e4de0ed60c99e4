//! Byte I/O on a directory fd fails (`BADF` as wasmtime, or `ISDIR` as POSIX):
//! read, pread, write, pwrite, seek, tell, set_size, allocate. Nothing succeeds
//! by accident.
//!
//! Host: runs it in `/scratch` and `/tmp`.

use test_programs::{RIGHTS_READ, assert_errno, ok, p1, wasi, work_dir};

fn main() {
    let dir = work_dir();
    p1::path_create_directory(dir, "d").expect("mkdir");
    let d = p1::path_open(dir, 0, "d", wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0).expect("open d");
    let mut buf = [0u8; 64];
    let (badf, isdir) = (wasi::ERRNO_BADF, wasi::ERRNO_ISDIR);
    assert_errno!(p1::read(d, &mut buf), badf, isdir);
    assert_errno!(p1::pread(d, &mut buf, 0), badf, isdir);
    assert_errno!(p1::write(d, b"x"), badf, isdir);
    assert_errno!(p1::pwrite(d, b"x", 0), badf, isdir);
    assert_errno!(p1::fd_seek(d, 0, wasi::WHENCE_SET), badf, isdir);
    assert_errno!(p1::fd_tell(d), badf, isdir);
    assert_errno!(p1::fd_filestat_set_size(d, 0), badf, isdir, wasi::ERRNO_INVAL);
    assert_errno!(p1::fd_allocate(d, 0, 1), badf, isdir, wasi::ERRNO_NOTSUP);
    // The directory is intact and still usable.
    assert_eq!(test_programs::list_names(d), Vec::<String>::new());
    p1::fd_close(d).expect("close");
    p1::path_remove_directory(dir, "d").expect("rmdir");
    ok();
}
