//! Raw fd I/O: unbuffered writes and reads on the shell's own fds, so a
//! builtin's output lands in order with its children's and `read` never
//! consumes input past its line.

use std::fs::File;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// Runs `f` with `fd` seen as a `File` that is never closed here.
fn with_file<T>(fd: RawFd, f: impl FnOnce(&mut File) -> T) -> T {
    // SAFETY: the `File` is wrapped in `ManuallyDrop`, so it never closes
    // `fd`; it only lends the number to std's read/write calls, which report
    // `EBADF` for a closed fd instead of misbehaving.
    let mut file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
    f(&mut file)
}

/// Writes all of `buf` to `fd`.
///
/// # Errors
/// As `write_all` (`EPIPE`, `EBADF`…).
pub fn try_write_fd(fd: RawFd, buf: &[u8]) -> io::Result<()> {
    // The shell's raw bytes go out as themselves (src/bytes.rs).
    let buf = crate::bytes::encode(buf);
    with_file(fd, |f| f.write_all(&buf))
}

/// Writes all of `buf` to `fd`, ignoring errors (diagnostics).
pub fn write_fd(fd: RawFd, buf: &[u8]) {
    let _ = try_write_fd(fd, buf);
}

/// Reads one byte from `fd`: `None` at end of file.
///
/// # Errors
/// As `read`.
pub fn read_byte(fd: RawFd) -> io::Result<Option<u8>> {
    with_file(fd, |f| {
        let mut b = [0u8; 1];
        loop {
            match f.read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => return Ok(Some(b[0])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    })
}

/// Reads `fd` to its end.
///
/// # Errors
/// As `read_to_end`.
pub fn read_all(fd: RawFd) -> io::Result<Vec<u8>> {
    with_file(fd, |f| {
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        Ok(buf)
    })
}

/// Closes `fd` (a shell fd 0–2 being redirected with `>&-`).
pub fn close_fd(fd: RawFd) {
    // SAFETY: `fd` is one of the shell's stdio fds, which no `File` or
    // `OwnedFd` in this program owns; taking ownership to close it is the
    // shell's `n>&-`.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });
}

/// A short message for an I/O error, as `strerror` would give.
pub fn strerror(e: &io::Error) -> String {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "No such file or directory".into(),
        K::PermissionDenied => "Permission denied".into(),
        K::AlreadyExists => "File exists".into(),
        K::IsADirectory => "Is a directory".into(),
        K::NotADirectory => "Not a directory".into(),
        K::BrokenPipe => "Broken pipe".into(),
        K::InvalidInput => "Invalid argument".into(),
        K::DirectoryNotEmpty => "Directory not empty".into(),
        K::ReadOnlyFilesystem => "Read-only file system".into(),
        K::StorageFull => "No space left on device".into(),
        _ => match e.raw_os_error() {
            Some(8) => "Bad file descriptor".into(),
            Some(45) => "Exec format error".into(),
            _ => {
                let text = e.to_string();
                text.split(" (os error").next().unwrap_or(&text).to_string()
            }
        },
    }
}
