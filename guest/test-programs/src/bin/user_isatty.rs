//! `isatty`: pipes, `/dev/null`, regular files and the captured stdio of a
//! test are not terminals; a closed fd is `EBADF`.
//!
//! Host: runs it with stdin empty and stdout/stderr captured.

use std::os::fd::AsRawFd;

use test_programs::ok;
use wasi_ext::{isatty, pipe};

fn main() {
    wasi_ext::init().expect("init");
    for fd in 0..3 {
        assert!(!isatty(fd).expect("isatty stdio"), "fd {fd} is a terminal");
    }
    let (read, write) = pipe().expect("pipe");
    assert!(!isatty(read.as_raw_fd()).expect("isatty pipe"));
    assert!(!isatty(write.as_raw_fd()).expect("isatty pipe"));
    let null = std::fs::File::open("/dev/null").expect("open /dev/null");
    assert!(!isatty(null.as_raw_fd()).expect("isatty /dev/null"));
    let file = std::fs::File::open("/etc/passwd").expect("open /etc/passwd");
    assert!(!isatty(file.as_raw_fd()).expect("isatty file"));
    assert_eq!(isatty(999).expect_err("closed fd").raw_os_error(), Some(i32::from(wasi::ERRNO_BADF.raw())));
    assert_eq!(isatty(-1).expect_err("negative fd").raw_os_error(), Some(i32::from(wasi::ERRNO_BADF.raw())));
    ok();
}
