//! The one place the runtime takes authority from the host: opening granted
//! directories, and connecting granted stdio to host streams or files. Every
//! use of ambient authority in capsa is in this file, so every grant can be
//! found with grep.

use std::fs::File;
use std::io::{Cursor, IsTerminal, Read, Write};
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};

use cap_std::ambient_authority;
use capsa_kernel::{HostInput, HostOutput, Mount};

use crate::RuntimeError;
use crate::config::{DirGrant, Input, Output};

/// Opens a granted host directory as a kernel mount.
///
/// # Errors
/// `Grant` if the directory cannot be opened.
pub(crate) fn mount(grant: &DirGrant) -> Result<Mount, RuntimeError> {
    let dir = cap_std::fs::Dir::open_ambient_dir(&grant.host, ambient_authority())
        .map_err(|e| RuntimeError::Grant(format!("--dir {}: {e}", grant.host.display())))?;
    Ok(Mount { guest_path: mount_point(&grant.guest), dir, read_only: grant.read_only })
}

/// The absolute VFS path a guest path is mounted at (relative ones go under `/`).
pub(crate) fn mount_point(guest: &str) -> String {
    if guest.starts_with('/') { guest.to_string() } else { format!("/{guest}") }
}

/// A stdin stream for a grant.
///
/// # Errors
/// `Grant` if a granted file cannot be opened.
pub(crate) fn input(grant: &Input) -> Result<Arc<dyn HostInput>, RuntimeError> {
    Ok(match grant {
        Input::Null => Arc::new(NullInput),
        Input::Inherit => Arc::new(InheritInput),
        Input::Bytes(bytes) => Arc::new(BytesInput(Mutex::new(Cursor::new(bytes.clone())))),
        Input::File(path) => {
            let file = File::open(path).map_err(|e| RuntimeError::Grant(format!("stdin {}: {e}", path.display())))?;
            Arc::new(FileInput(Mutex::new(file)))
        }
    })
}

/// Which host stream an inherited output is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// An output stream for a grant, and the capture buffer if it captures.
///
/// # Errors
/// `Grant` if a granted file cannot be created.
pub(crate) fn output(grant: &Output, stream: Stream) -> Result<(Arc<dyn HostOutput>, Option<Capture>), RuntimeError> {
    Ok(match grant {
        Output::Null => (Arc::new(NullOutput), None),
        Output::Inherit => (Arc::new(InheritOutput(stream)), None),
        Output::Capture => {
            let capture = Capture::default();
            (Arc::new(capture.clone()), Some(capture))
        }
        Output::File(path) => {
            let file =
                File::create(path).map_err(|e| RuntimeError::Grant(format!("output {}: {e}", path.display())))?;
            (Arc::new(FileOutput(Mutex::new(file))), None)
        }
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

struct InheritOutput(Stream);

impl HostOutput for InheritOutput {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        // Flushed at once: the guest buffers already, and output must stream.
        match self.0 {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(buf)?;
                out.flush()
            }
            Stream::Stderr => std::io::stderr().lock().write_all(buf),
        }
    }
    fn is_tty(&self) -> bool {
        match self.0 {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

struct FileOutput(Mutex<File>);

impl HostOutput for FileOutput {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).write_all(buf)
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
