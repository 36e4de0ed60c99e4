//! Host streams: what a granted stdin, stdout or stderr is connected to on the
//! host side. The runtime supplies the implementations (inherit the terminal,
//! a file, a capture buffer, nothing); the kernel only sees these traits.

use std::io;

/// A byte source on the host side (a granted stdin).
pub trait HostInput: Send + Sync {
    /// Reads up to `buf.len()` bytes, blocking until at least one is available
    /// or end of input (`Ok(0)`).
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Whether this is an interactive terminal.
    fn is_tty(&self) -> bool {
        false
    }
    /// The terminal's size, `(rows, columns)`, when this is one.
    fn window_size(&self) -> Option<(u16, u16)> {
        None
    }
}

/// A byte sink on the host side (a granted stdout or stderr).
pub trait HostOutput: Send + Sync {
    /// Writes all of `buf`.
    fn write_all(&self, buf: &[u8]) -> io::Result<()>;
    /// Flushes buffered bytes to the host.
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
    /// Whether this is an interactive terminal.
    fn is_tty(&self) -> bool {
        false
    }
    /// The terminal's size, `(rows, columns)`, when this is one.
    fn window_size(&self) -> Option<(u16, u16)> {
        None
    }
}
