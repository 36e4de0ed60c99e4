//! The kinds of thing an open-file description can refer to, and the
//! stream and device behaviour that needs no inode table.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::budget::HostFdSlot;
use crate::error::{KernelError, LimitKind, Result};
use crate::net::Socket;
use crate::pipe::PipeEnd;
use crate::stdio::{HostInput, HostOutput};
use crate::types::FileType;
use crate::vfs::Vfs;
use crate::vfs::inode::DeviceKind;

/// What a description refers to. Every method of [`OpenFile`] matches on
/// this exhaustively, so adding a kind shows each place that must decide
/// what it means.
pub(crate) enum FileKind {
    /// An in-memory inode of the VFS.
    Node(NodeHandle),
    /// A regular (or special) file inside a host mount.
    HostFile(HostFileHandle),
    /// A directory inside a host mount.
    HostDir(HostDirHandle),
    /// A granted host input stream.
    Input(Arc<dyn HostInput>),
    /// A granted host output stream with its byte cap.
    Output(OutputSink),
    /// One end of a pipe.
    Pipe(PipeEnd),
    /// A socket of the VM's network.
    Socket(Socket),
}

/// An open in-memory inode. Holding one keeps the inode alive after its last
/// name is removed; dropping the last one frees it.
pub(crate) struct NodeHandle {
    pub(crate) vfs: Arc<Vfs>,
    pub(crate) ino: u64,
    pub(crate) class: NodeClass,
}

impl Drop for NodeHandle {
    fn drop(&mut self) {
        self.vfs.lock().close(self.ino);
    }
}

/// The kind of an open in-memory inode; it never changes over the inode's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeClass {
    File,
    Dir,
    Device(DeviceKind),
}

/// An open host file and where it is, for operations cap-std only offers by path.
pub(crate) struct HostFileHandle {
    pub(crate) vfs: Arc<Vfs>,
    pub(crate) mount: usize,
    pub(crate) path: PathBuf,
    pub(crate) file: cap_std::fs::File,
    pub(crate) file_type: FileType,
    /// The host fd's slot in the VM's budget.
    pub(crate) _slot: HostFdSlot,
}

/// An open host directory.
pub(crate) struct HostDirHandle {
    pub(crate) vfs: Arc<Vfs>,
    pub(crate) mount: usize,
    pub(crate) path: PathBuf,
    pub(crate) dir: cap_std::fs::Dir,
    /// The host fd's slot in the VM's budget.
    pub(crate) _slot: HostFdSlot,
}

/// A host output stream and how much of its cap is used.
pub(crate) struct OutputSink {
    pub(crate) output: Arc<dyn HostOutput>,
    pub(crate) limit: u64,
    pub(crate) kind: LimitKind,
    pub(crate) written: Mutex<u64>,
}

impl OutputSink {
    pub(crate) fn write(&self, buf: &[u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let room = self.limit.saturating_sub(*written);
        if room == 0 {
            return Err(KernelError::LimitExceeded(self.kind));
        }
        let count = usize::try_from(room).map_or(buf.len(), |room| room.min(buf.len()));
        let part = buf.get(..count).unwrap_or(buf);
        self.output.write_all(part)?;
        *written = written.saturating_add(part.len() as u64);
        Ok(part.len())
    }
}

pub(crate) fn add_signed(base: u64, delta: i64) -> Result<i64> {
    let base = i64::try_from(base).map_err(|_| KernelError::Overflow)?;
    base.checked_add(delta).ok_or(KernelError::Overflow)
}

pub(crate) fn device_seekable(device: DeviceKind) -> bool {
    match device {
        DeviceKind::Null | DeviceKind::Zero | DeviceKind::Full => true,
        DeviceKind::Urandom
        | DeviceKind::Random
        | DeviceKind::Stdin
        | DeviceKind::Stdout
        | DeviceKind::Stderr
        | DeviceKind::Fd(_) => false,
    }
}

pub(crate) fn device_read(device: DeviceKind, buf: &mut [u8]) -> Result<usize> {
    match device {
        DeviceKind::Null => Ok(0),
        DeviceKind::Zero | DeviceKind::Full => {
            buf.fill(0);
            Ok(buf.len())
        }
        DeviceKind::Urandom | DeviceKind::Random => {
            getrandom::fill(buf).map_err(|_| KernelError::Io)?;
            Ok(buf.len())
        }
        // The opener dups its fd instead of using these descriptions.
        DeviceKind::Stdin | DeviceKind::Stdout | DeviceKind::Stderr | DeviceKind::Fd(_) => Err(KernelError::BadFd),
    }
}

pub(crate) fn device_write(device: DeviceKind, buf: &[u8]) -> Result<usize> {
    match device {
        DeviceKind::Null | DeviceKind::Zero | DeviceKind::Urandom | DeviceKind::Random => Ok(buf.len()),
        DeviceKind::Full => Err(KernelError::NoSpace),
        DeviceKind::Stdin | DeviceKind::Stdout | DeviceKind::Stderr | DeviceKind::Fd(_) => Err(KernelError::BadFd),
    }
}
