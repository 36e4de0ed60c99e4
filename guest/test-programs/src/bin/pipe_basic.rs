//! Pipes within one process: bytes come out in order; end of file only once
//! the last write end (including a `dup`) is closed; `EPIPE` for a write
//! with no reader left (once: a second write would end this process by
//! SIGPIPE, which `pipe_sigpipe` checks in a child); `dup2` redirects this
//! process's own stdout into a pipe and back; a pipe is not a terminal.
//!
//! Host: no grant needed.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;

use test_programs::ok;
use wasi_ext::{dup, dup2, isatty, pipe};

fn main() {
    wasi_ext::init().expect("init");

    // In order, then end of file once the write end is closed.
    let (mut read, mut write) = pipe().expect("pipe");
    assert!(read.as_raw_fd() > 2 && write.as_raw_fd() > 2 && read.as_raw_fd() != write.as_raw_fd());
    write.write_all(b"hello ").expect("write");
    write.write_all(b"pipe").expect("write");
    drop(write);
    let mut text = String::new();
    read.read_to_string(&mut text).expect("read");
    assert_eq!(text, "hello pipe");
    assert_eq!(read.read(&mut [0u8; 8]).expect("read at EOF"), 0);

    // A dup keeps the pipe open: no EOF until both write ends are closed.
    let (mut read, write) = pipe().expect("pipe");
    let second = std::fs::File::from(dup(write.as_raw_fd()).expect("dup"));
    drop(write);
    (&second).write_all(b"via dup").expect("write via dup");
    let mut buf = [0u8; 16];
    assert_eq!(read.read(&mut buf).expect("read"), 7);
    assert_eq!(&buf[..7], b"via dup");
    drop(second);
    assert_eq!(read.read(&mut buf).expect("read at EOF"), 0);

    // No reader: EPIPE.
    let (read, mut write) = pipe().expect("pipe");
    drop(read);
    let err = write.write_all(b"x").expect_err("write with no reader");
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
    assert_eq!(err.raw_os_error(), Some(i32::from(wasi::ERRNO_PIPE.raw())));
    drop(write);

    // dup2: our own stdout into a pipe, and back.
    let (mut read, write) = pipe().expect("pipe");
    let saved = dup(1).expect("dup stdout");
    std::io::stdout().flush().expect("flush");
    dup2(write.as_raw_fd(), 1).expect("dup2 onto stdout");
    drop(write);
    println!("into the pipe");
    std::io::stdout().flush().expect("flush");
    dup2(saved.as_raw_fd(), 1).expect("restore stdout");
    drop(saved);
    let mut text = String::new();
    read.read_to_string(&mut text).expect("read redirected stdout");
    assert_eq!(text, "into the pipe\n");

    // Not terminals; bad fds.
    let (read, write) = pipe().expect("pipe");
    assert!(!isatty(read.as_raw_fd()).expect("isatty read end"));
    assert!(!isatty(write.as_raw_fd()).expect("isatty write end"));
    assert_eq!(dup(999).expect_err("dup of a closed fd").raw_os_error(), Some(i32::from(wasi::ERRNO_BADF.raw())));
    assert_eq!(dup2(999, 5).expect_err("dup2 of a closed fd").raw_os_error(), Some(i32::from(wasi::ERRNO_BADF.raw())));
    dup2(read.as_raw_fd(), read.as_raw_fd()).expect("dup2 onto itself");

    ok();
}
