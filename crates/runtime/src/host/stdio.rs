//! Granted stdio: the host's own streams, or host files opened at boot, as
//! the kernel's input and output streams; and the in-memory capture.

use std::fs::File;
use std::io::{Cursor, IsTerminal, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Arc, Mutex};

use capsa_kernel::{HostInput, HostOutput};

use super::GrantError;
use crate::config::{Input, Output};

/// A stdin stream for a grant.
///
/// # Errors
/// A granted file that cannot be opened.
pub(crate) fn input(grant: &Input) -> Result<Arc<dyn HostInput>, GrantError> {
    Ok(match grant {
        Input::Null => Arc::new(NullInput),
        Input::Inherit => Arc::new(InheritInput),
        Input::Bytes(bytes) => Arc::new(BytesInput(Mutex::new(Cursor::new(bytes.clone())))),
        Input::File(path) => {
            let file = File::open(path).map_err(|source| GrantError::Stdin { path: path.clone(), source })?;
            Arc::new(FileInput(Mutex::new(file)))
        }
        Input::Pipe(pipe) => Arc::new(pipe.clone()),
    })
}

/// Which host stream an inherited output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        })
    }
}

/// An output stream for a grant, and the capture buffer if it captures.
///
/// # Errors
/// A granted file that cannot be created.
pub(crate) fn output(grant: &Output, stream: Stream) -> Result<(Arc<dyn HostOutput>, Option<Capture>), GrantError> {
    Ok(match grant {
        Output::Null => (Arc::new(NullOutput), None),
        Output::Inherit => (Arc::new(InheritOutput::new(stream)), None),
        Output::Capture => {
            let capture = Capture::default();
            (Arc::new(capture.clone()), Some(capture))
        }
        Output::File(path) => {
            let file =
                File::create(path).map_err(|source| GrantError::Output { stream, path: path.clone(), source })?;
            let regular = is_regular(file.as_fd());
            (Arc::new(FileOutput { file: Mutex::new(file), regular }), None)
        }
        Output::Stream(sink) => (Arc::new(sink.clone()), None),
    })
}

struct NullInput;

impl HostInput for NullInput {
    fn read(&self, _buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(0)
    }
}

struct InheritInput;

/// How often a guest blocked on the host's stdin checks whether it was killed.
const STDIN_POLL: rustix::event::Timespec = rustix::event::Timespec { tv_sec: 0, tv_nsec: 50_000_000 };

impl HostInput for InheritInput {
    /// Reads the host's fd 0 directly (no std buffer, so nothing read ahead
    /// is lost to the host when the guest ends), waiting in short polls so a
    /// killed or interrupted guest stops waiting at once instead of taking
    /// the terminal's next line.
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        loop {
            if capsa_kernel::current_pending().is_some() {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let mut fds = [rustix::event::PollFd::new(&fd, rustix::event::PollFlags::IN)];
            match rustix::event::poll(&mut fds, Some(&STDIN_POLL)) {
                Ok(0) | Err(rustix::io::Errno::INTR) => continue,
                Ok(_) => return rustix::io::read(fd, buf).map_err(std::io::Error::from),
                Err(e) => return Err(e.into()),
            }
        }
    }
    fn is_tty(&self) -> bool {
        std::io::stdin().is_terminal()
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        window_size(std::io::stdin().as_fd())
    }
}

struct BytesInput(Mutex<Cursor<Vec<u8>>>);

impl HostInput for BytesInput {
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).read(buf)
    }
}

struct FileInput(Mutex<File>);

impl HostInput for FileInput {
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).read(buf)
    }
}

struct NullOutput;

impl HostOutput for NullOutput {
    fn write_all(&self, _buf: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

/// How often a guest blocked on a host output checks whether it was killed.
const OUTPUT_POLL: rustix::event::Timespec = rustix::event::Timespec { tv_sec: 0, tv_nsec: 50_000_000 };
/// Most bytes written to a host pipe, socket or terminal in one `write`
/// once it polls writable: Linux guarantees room for `PIPE_BUF` bytes then,
/// so the write itself cannot block.
const NONBLOCKING_CHUNK: usize = 4096;

/// Writes all of `buf` to the host's `fd` without ever blocking in the
/// kernel for longer than a poll slice, so a reader that never reads cannot
/// keep a killed guest (or one past its deadline) alive: the guest's write
/// fails with `Interrupted` instead. A regular file never blocks and is
/// written in one go.
fn write_interruptibly(fd: BorrowedFd<'_>, regular: bool, buf: &[u8]) -> std::io::Result<()> {
    let mut rest = buf;
    while !rest.is_empty() {
        if capsa_kernel::current_pending().is_some() {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        if !regular {
            let mut fds = [rustix::event::PollFd::new(&fd, rustix::event::PollFlags::OUT)];
            match rustix::event::poll(&mut fds, Some(&OUTPUT_POLL)) {
                Ok(0) | Err(rustix::io::Errno::INTR) => continue,
                Ok(_) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let chunk = if regular { rest.len() } else { rest.len().min(NONBLOCKING_CHUNK) };
        match rustix::io::write(fd, rest.get(..chunk).unwrap_or(rest)) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => rest = rest.get(n..).unwrap_or_default(),
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Whether `fd` is a regular file (whose writes never block).
fn is_regular(fd: BorrowedFd<'_>) -> bool {
    rustix::fs::fstat(fd).is_ok_and(|stat| rustix::fs::FileType::from_raw_mode(stat.st_mode).is_file())
}

struct InheritOutput {
    stream: Stream,
    regular: bool,
}

impl InheritOutput {
    fn new(stream: Stream) -> Self {
        let regular = match stream {
            Stream::Stdout => is_regular(std::io::stdout().as_fd()),
            Stream::Stderr => is_regular(std::io::stderr().as_fd()),
        };
        InheritOutput { stream, regular }
    }
}

impl HostOutput for InheritOutput {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        // The std handle's lock keeps capsa's own messages from interleaving;
        // what std buffered goes first, then the guest's bytes, unbuffered:
        // the guest buffers already, and output must stream.
        match self.stream {
            Stream::Stdout => {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                out.flush()?;
                write_interruptibly(stdout.as_fd(), self.regular, buf)
            }
            Stream::Stderr => {
                let stderr = std::io::stderr();
                let _out = stderr.lock();
                write_interruptibly(stderr.as_fd(), self.regular, buf)
            }
        }
    }
    fn is_tty(&self) -> bool {
        match self.stream {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        match self.stream {
            Stream::Stdout => window_size(std::io::stdout().as_fd()),
            Stream::Stderr => window_size(std::io::stderr().as_fd()),
        }
    }
}

/// The size of the host terminal `fd` is, `(rows, columns)`, asked afresh
/// each time (it follows resizes); `None` when `fd` is not a terminal or
/// reports no size.
fn window_size(fd: BorrowedFd<'_>) -> Option<(u16, u16)> {
    let size = rustix::termios::tcgetwinsize(fd).ok()?;
    (size.ws_row > 0 && size.ws_col > 0).then_some((size.ws_row, size.ws_col))
}

struct FileOutput {
    file: Mutex<File>,
    regular: bool,
}

impl HostOutput for FileOutput {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        write_interruptibly(file.as_fd(), self.regular, buf)
    }
}

/// An in-memory output buffer; its size is bounded by the output cap.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Takes what was captured so far.
    pub(crate) fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl HostOutput for Capture {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(())
    }
}
