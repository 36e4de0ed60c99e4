//! Open-file descriptions: what an fd points at. Several fds (and, later,
//! several processes) can share one `Arc<OpenFile>`, and with it one offset and
//! one set of status flags, as POSIX requires of `dup`.
//!
//! Choices where POSIX leaves room:
//! - A write that does not fit the VFS quota writes nothing and fails with
//!   `NoSpace` (no short write), so a failed write leaves the file unchanged.
//! - A host output stream near its byte cap writes the prefix that fits and
//!   returns the short count; the next write fails with `LimitExceeded`.
//! - Directories are not seekable: `seek` on one fails with `BadFd`, as in
//!   wasmtime.

mod kinds;

use std::io::SeekFrom;
use std::sync::{Arc, Mutex, MutexGuard};

use cap_std::fs::FileExt as _;

use crate::error::{KernelError, LimitKind, Result};
use crate::net::Socket;
use crate::stdio::{HostInput, HostOutput};
use crate::types::{DirEntry, FileType, Readiness, SetTime, Stat, StatusFlags};
use crate::vfs::Vfs;
use crate::vfs::host;
use crate::vfs::resolve::Loc;

pub(crate) use kinds::{FileKind, HostDirHandle, HostFileHandle, NodeClass, NodeHandle, OutputSink};
use kinds::{add_signed, device_read, device_seekable, device_write};

/// An open-file description: an open file, directory, device or stream, with
/// its offset, status flags and access mode.
pub struct OpenFile {
    kind: FileKind,
    readable: bool,
    writable: bool,
    cursor: Mutex<Cursor>,
}

/// The shared, changeable part of a description.
#[derive(Debug, Default)]
struct Cursor {
    offset: u64,
    flags: StatusFlags,
}

impl std::fmt::Debug for OpenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenFile").finish_non_exhaustive()
    }
}

impl OpenFile {
    /// Wraps a host input stream (a granted stdin) as a readable character stream.
    pub fn host_input(input: Arc<dyn HostInput>) -> Arc<OpenFile> {
        OpenFile::new(FileKind::Input(input), true, false, StatusFlags::default())
    }

    /// Wraps a host output stream (a granted stdout/stderr). After `limit` bytes
    /// in total, writes fail with `LimitExceeded(kind)`; the write that crosses
    /// the cap writes the part below it and returns a short count.
    pub fn host_output(output: Arc<dyn HostOutput>, limit: u64, kind: LimitKind) -> Arc<OpenFile> {
        let sink = OutputSink { output, limit, kind, written: Mutex::new(0) };
        OpenFile::new(FileKind::Output(sink), false, true, StatusFlags::default())
    }

    /// A description of in-memory inode `ino`, whose open count the caller
    /// has already raised (the handle lowers it on drop).
    pub(crate) fn node(
        vfs: Arc<Vfs>,
        ino: u64,
        class: NodeClass,
        readable: bool,
        writable: bool,
        flags: StatusFlags,
    ) -> Arc<OpenFile> {
        OpenFile::new(FileKind::Node(NodeHandle { vfs, ino, class }), readable, writable, flags)
    }

    pub(crate) fn new(kind: FileKind, readable: bool, writable: bool, flags: StatusFlags) -> Arc<OpenFile> {
        let cursor = Mutex::new(Cursor { offset: 0, flags });
        Arc::new(OpenFile { kind, readable, writable, cursor })
    }

    /// Where path operations relative to this description start, if it is a
    /// directory of `vfs`.
    pub(crate) fn base_loc(&self, vfs: &Vfs) -> Result<Loc> {
        match &self.kind {
            FileKind::Node(node) if std::ptr::eq(&*node.vfs, vfs) => match node.class {
                NodeClass::Dir => Ok(Loc::Vfs(node.ino)),
                NodeClass::File | NodeClass::Device(_) => Err(KernelError::NotDir),
            },
            FileKind::HostDir(dir) if std::ptr::eq(&*dir.vfs, vfs) => {
                Ok(Loc::Host { mount: dir.mount, path: dir.path.clone() })
            }
            FileKind::HostFile(file) if std::ptr::eq(&*file.vfs, vfs) => Err(KernelError::NotDir),
            FileKind::Node(_) | FileKind::HostDir(_) | FileKind::HostFile(_) => Err(KernelError::BadFd),
            FileKind::Input(_) | FileKind::Output(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                Err(KernelError::NotDir)
            }
        }
    }

    fn cursor(&self) -> MutexGuard<'_, Cursor> {
        self.cursor.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The file type (for fdstat).
    pub fn file_type(&self) -> FileType {
        match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => FileType::RegularFile,
                NodeClass::Dir => FileType::Directory,
                NodeClass::Device(_) => FileType::CharDevice,
            },
            FileKind::HostFile(file) => file.file_type,
            FileKind::HostDir(_) => FileType::Directory,
            FileKind::Pipe(_) => FileType::Fifo,
            FileKind::Socket(socket) => socket.file_type(),
            FileKind::Input(_) | FileKind::Output(_) => {
                if self.is_tty() {
                    FileType::CharDevice
                } else {
                    FileType::Unknown
                }
            }
        }
    }

    /// Whether the description was opened for reading.
    pub fn can_read(&self) -> bool {
        self.readable
    }

    /// Whether the description was opened for writing.
    pub fn can_write(&self) -> bool {
        self.writable
    }

    /// Whether this is a directory (usable as the base of path operations).
    pub fn is_dir(&self) -> bool {
        match &self.kind {
            FileKind::Node(node) => node.class == NodeClass::Dir,
            FileKind::HostDir(_) => true,
            FileKind::HostFile(_)
            | FileKind::Input(_)
            | FileKind::Output(_)
            | FileKind::Pipe(_)
            | FileKind::Socket(_) => false,
        }
    }

    /// Whether seeking is meaningful: regular files and `/dev/null`/`/dev/zero`.
    /// Directories are not seekable (as in wasmtime: `seek` gives `BadFd`).
    pub fn is_seekable(&self) -> bool {
        match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => true,
                NodeClass::Device(device) => device_seekable(device),
                NodeClass::Dir => false,
            },
            FileKind::HostFile(_) => true,
            FileKind::HostDir(_)
            | FileKind::Input(_)
            | FileKind::Output(_)
            | FileKind::Pipe(_)
            | FileKind::Socket(_) => false,
        }
    }

    /// Whether this is an interactive terminal.
    pub fn is_tty(&self) -> bool {
        match &self.kind {
            FileKind::Input(input) => input.is_tty(),
            FileKind::Output(sink) => sink.output.is_tty(),
            FileKind::Node(_)
            | FileKind::HostFile(_)
            | FileKind::HostDir(_)
            | FileKind::Pipe(_)
            | FileKind::Socket(_) => false,
        }
    }

    /// The size of the terminal this is, `(rows, columns)`; `None` if it is
    /// not a terminal (or its size is unknown).
    pub fn window_size(&self) -> Option<(u16, u16)> {
        match &self.kind {
            FileKind::Input(input) => input.window_size(),
            FileKind::Output(sink) => sink.output.window_size(),
            FileKind::Node(_)
            | FileKind::HostFile(_)
            | FileKind::HostDir(_)
            | FileKind::Pipe(_)
            | FileKind::Socket(_) => None,
        }
    }

    /// For `/dev/stdin`, `/dev/stdout`, `/dev/stderr` and `/dev/fd/N`: the
    /// fd (0, 1, 2, N) the opener should duplicate instead of using this
    /// description.
    pub fn stdio_alias(&self) -> Option<u32> {
        match &self.kind {
            FileKind::Node(NodeHandle { class: NodeClass::Device(device), .. }) => device.opener_fd(),
            FileKind::Node(_)
            | FileKind::HostFile(_)
            | FileKind::HostDir(_)
            | FileKind::Input(_)
            | FileKind::Output(_)
            | FileKind::Pipe(_)
            | FileKind::Socket(_) => None,
        }
    }

    /// Current status flags.
    pub fn status_flags(&self) -> StatusFlags {
        self.cursor().flags
    }

    /// Replaces the status flags (append, nonblock, sync…). Every kind accepts
    /// every flag; sync flags are recorded (writes are synchronous anyway).
    ///
    /// # Errors
    /// `NotSupported` if a flag cannot apply to this kind of file (no kind refuses one yet).
    pub fn set_status_flags(&self, flags: StatusFlags) -> Result<()> {
        self.cursor().flags = flags;
        Ok(())
    }

    /// Reads at the current offset and advances it.
    ///
    /// # Errors
    /// `BadFd` if not open for reading, `IsDir` on a directory, `WouldBlock`
    /// if non-blocking and nothing is available.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.check_read()?;
        match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => {
                    let mut cursor = self.cursor();
                    let count = node.vfs.lock().read_file(node.ino, cursor.offset, buf)?;
                    cursor.offset = cursor.offset.saturating_add(count as u64);
                    Ok(count)
                }
                NodeClass::Dir => Err(KernelError::IsDir),
                NodeClass::Device(device) => device_read(device, buf),
            },
            FileKind::HostFile(file) => {
                let mut cursor = self.cursor();
                let count = file.file.read_at(buf, cursor.offset)?;
                cursor.offset = cursor.offset.saturating_add(count as u64);
                Ok(count)
            }
            FileKind::HostDir(_) => Err(KernelError::IsDir),
            // No lock is held here: a host read may block for a long time.
            FileKind::Input(input) => Ok(input.read(buf)?),
            FileKind::Output(_) => Err(KernelError::BadFd),
            // The cursor lock is not held while a pipe read blocks.
            FileKind::Pipe(end) => end.read(buf, self.status_flags().nonblock),
            FileKind::Socket(socket) => socket.read(buf, self.status_flags().nonblock),
        }
    }

    /// Writes at the current offset (or the end, with append) and advances it.
    ///
    /// # Errors
    /// `BadFd` if not open for writing, `NoSpace` past the quota,
    /// `LimitExceeded` past an output cap, `ReadOnly` on a read-only mount.
    pub fn write(&self, buf: &[u8]) -> Result<usize> {
        self.check_write()?;
        match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => {
                    let mut cursor = self.cursor();
                    let mut st = node.vfs.lock();
                    let offset = if cursor.flags.append { st.file_len(node.ino)? } else { cursor.offset };
                    let count = st.write_file(node.ino, offset, buf)?;
                    cursor.offset = offset.saturating_add(count as u64);
                    Ok(count)
                }
                NodeClass::Dir => Err(KernelError::IsDir),
                NodeClass::Device(device) => device_write(device, buf),
            },
            FileKind::HostFile(file) => {
                let mut cursor = self.cursor();
                let offset = if cursor.flags.append { file.file.metadata()?.len() } else { cursor.offset };
                let count = file.file.write_at(buf, offset)?;
                cursor.offset = offset.saturating_add(count as u64);
                Ok(count)
            }
            FileKind::HostDir(_) => Err(KernelError::IsDir),
            FileKind::Input(_) => Err(KernelError::BadFd),
            FileKind::Output(sink) => sink.write(buf),
            FileKind::Pipe(end) => end.write(buf, self.status_flags().nonblock),
            FileKind::Socket(socket) => socket.write(buf, self.status_flags().nonblock),
        }
    }

    /// Reads at `offset` without moving the file offset.
    ///
    /// # Errors
    /// As [`OpenFile::read`], plus `IllegalSeek` on a stream.
    pub fn pread(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        self.check_read()?;
        match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => {
                    check_range(offset, buf.len())?;
                    node.vfs.lock().read_file(node.ino, offset, buf)
                }
                NodeClass::Dir => Err(KernelError::IsDir),
                NodeClass::Device(device) if device_seekable(device) => device_read(device, buf),
                NodeClass::Device(_) => Err(KernelError::IllegalSeek),
            },
            FileKind::HostFile(file) => {
                check_range(offset, buf.len())?;
                Ok(file.file.read_at(buf, offset)?)
            }
            FileKind::HostDir(_) => Err(KernelError::IsDir),
            FileKind::Input(_) | FileKind::Output(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                Err(KernelError::IllegalSeek)
            }
        }
    }

    /// Writes at `offset` without moving the file offset (POSIX: with append,
    /// Linux writes at the end; we follow Linux).
    ///
    /// # Errors
    /// As [`OpenFile::write`], plus `IllegalSeek` on a stream.
    pub fn pwrite(&self, buf: &[u8], offset: u64) -> Result<usize> {
        self.check_write()?;
        let append = self.cursor().flags.append;
        match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => {
                    let mut st = node.vfs.lock();
                    let offset = if append { st.file_len(node.ino)? } else { offset };
                    st.write_file(node.ino, offset, buf)
                }
                NodeClass::Dir => Err(KernelError::IsDir),
                NodeClass::Device(device) if device_seekable(device) => device_write(device, buf),
                NodeClass::Device(_) => Err(KernelError::IllegalSeek),
            },
            FileKind::HostFile(file) => {
                let offset = if append { file.file.metadata()?.len() } else { offset };
                Ok(file.file.write_at(buf, offset)?)
            }
            FileKind::HostDir(_) => Err(KernelError::IsDir),
            FileKind::Input(_) | FileKind::Output(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                Err(KernelError::IllegalSeek)
            }
        }
    }

    /// Moves the offset.
    ///
    /// # Errors
    /// `IllegalSeek` on a stream, `Invalid` if the result would be negative,
    /// `BadFd` on a directory.
    pub fn seek(&self, pos: SeekFrom) -> Result<u64> {
        let size = match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => node.vfs.lock().file_len(node.ino)?,
                NodeClass::Dir => return Err(KernelError::BadFd),
                NodeClass::Device(device) if device_seekable(device) => return Ok(0),
                NodeClass::Device(_) => return Err(KernelError::IllegalSeek),
            },
            FileKind::HostFile(file) => file.file.metadata()?.len(),
            FileKind::HostDir(_) => return Err(KernelError::BadFd),
            FileKind::Input(_) | FileKind::Output(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                return Err(KernelError::IllegalSeek);
            }
        };
        let mut cursor = self.cursor();
        let target = match pos {
            SeekFrom::Start(offset) => i64::try_from(offset).map_err(|_| KernelError::Invalid)?,
            SeekFrom::Current(delta) => add_signed(cursor.offset, delta)?,
            SeekFrom::End(delta) => add_signed(size, delta)?,
        };
        cursor.offset = u64::try_from(target).map_err(|_| KernelError::Invalid)?;
        Ok(cursor.offset)
    }

    /// Metadata of the open file.
    ///
    /// # Errors
    /// A host mount's I/O error.
    pub fn stat(&self) -> Result<Stat> {
        match &self.kind {
            FileKind::Node(node) => node.vfs.lock().stat(node.ino),
            FileKind::HostFile(file) => Ok(host::stat(&file.vfs, file.mount, &file.file.metadata()?)),
            FileKind::HostDir(dir) => Ok(host::stat(&dir.vfs, dir.mount, &dir.dir.dir_metadata()?)),
            FileKind::Pipe(end) => Ok(end.stat()),
            FileKind::Socket(socket) => Ok(socket.stat()),
            FileKind::Input(_) | FileKind::Output(_) => Ok(Stat {
                dev: 0,
                ino: 0,
                file_type: self.file_type(),
                nlink: 1,
                size: 0,
                atime: 0,
                mtime: 0,
                ctime: 0,
                mode: 0o600,
                uid: 0,
                gid: 0,
            }),
        }
    }

    /// Truncates or extends to `size` bytes.
    ///
    /// # Errors
    /// `BadFd` unless open for writing, `IsDir`, `NoSpace`, `FileTooBig`.
    pub fn set_size(&self, size: u64) -> Result<()> {
        if self.is_dir() {
            return Err(KernelError::IsDir);
        }
        if !self.writable {
            return Err(KernelError::BadFd);
        }
        match &self.kind {
            FileKind::Node(node) => match node.class {
                NodeClass::File => node.vfs.lock().resize_file(node.ino, size),
                NodeClass::Dir => Err(KernelError::IsDir),
                NodeClass::Device(_) => Err(KernelError::Invalid),
            },
            FileKind::HostFile(file) => {
                i64::try_from(size).map_err(|_| KernelError::FileTooBig)?;
                Ok(file.file.set_len(size)?)
            }
            FileKind::HostDir(_) => Err(KernelError::IsDir),
            FileKind::Input(_) | FileKind::Output(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                Err(KernelError::Invalid)
            }
        }
    }

    /// Ensures `[offset, offset+len)` is allocated, extending the size if needed.
    ///
    /// # Errors
    /// As [`OpenFile::set_size`].
    pub fn allocate(&self, offset: u64, len: u64) -> Result<()> {
        if self.is_dir() {
            return Err(KernelError::IsDir);
        }
        let end = offset.checked_add(len).ok_or(KernelError::FileTooBig)?;
        let size = self.stat()?.size;
        if end > size { self.set_size(end) } else { Ok(()) }
    }

    /// Sets access and modification times.
    ///
    /// # Errors
    /// `ReadOnly` on a read-only mount, `NotSupported` on a host stream.
    pub fn set_times(&self, atime: SetTime, mtime: SetTime) -> Result<()> {
        match &self.kind {
            FileKind::Node(node) => node.vfs.lock().set_times(node.ino, atime, mtime),
            FileKind::HostFile(file) => host::set_times(&file.vfs, file.mount, &file.path, true, atime, mtime),
            FileKind::HostDir(dir) => host::set_times(&dir.vfs, dir.mount, &dir.path, true, atime, mtime),
            FileKind::Input(_) | FileKind::Output(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                Err(KernelError::NotSupported)
            }
        }
    }

    /// Flushes data and metadata (a no-op in memory; `fsync` on host mounts).
    ///
    /// # Errors
    /// A host I/O error.
    pub fn sync(&self) -> Result<()> {
        match &self.kind {
            FileKind::HostFile(file) => Ok(file.file.sync_all()?),
            FileKind::Output(sink) => Ok(sink.output.flush()?),
            FileKind::Node(_) | FileKind::HostDir(_) | FileKind::Input(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                Ok(())
            }
        }
    }

    /// Flushes data (as [`OpenFile::sync`]).
    ///
    /// # Errors
    /// A host I/O error.
    pub fn datasync(&self) -> Result<()> {
        match &self.kind {
            FileKind::HostFile(file) => Ok(file.file.sync_data()?),
            FileKind::Output(sink) => Ok(sink.output.flush()?),
            FileKind::Node(_) | FileKind::HostDir(_) | FileKind::Input(_) | FileKind::Pipe(_) | FileKind::Socket(_) => {
                Ok(())
            }
        }
    }

    /// Directory entries from `cookie` on (0 = start; `.` and `..` first, then
    /// the rest sorted by name). Entry `i` has `next_cookie == i + 1`.
    ///
    /// # Errors
    /// `NotDir` if this is not a directory.
    pub fn readdir(&self, cookie: u64) -> Result<Vec<DirEntry>> {
        let entries = match &self.kind {
            FileKind::Node(node) if node.class == NodeClass::Dir => node.vfs.lock().readdir(node.ino)?,
            FileKind::HostDir(dir) => host::readdir(&dir.vfs, dir.mount, &dir.path, &dir.dir)?,
            FileKind::Node(_)
            | FileKind::HostFile(_)
            | FileKind::Input(_)
            | FileKind::Output(_)
            | FileKind::Pipe(_)
            | FileKind::Socket(_) => {
                return Err(KernelError::NotDir);
            }
        };
        let skip = usize::try_from(cookie).unwrap_or(usize::MAX);
        Ok(entries.into_iter().skip(skip).collect())
    }

    /// Whether a read or write would block now. `Some(0)` means "ready, amount
    /// unknown"; regular files report the bytes left after the offset.
    pub fn readiness(&self) -> Readiness {
        let ready = Readiness { readable: Some(0), writable: Some(0), hangup: false };
        match &self.kind {
            FileKind::Node(node) if node.class == NodeClass::File => {
                let offset = self.cursor().offset;
                let size = node.vfs.lock().file_len(node.ino).unwrap_or(0);
                Readiness { readable: Some(size.saturating_sub(offset)), ..ready }
            }
            FileKind::Node(_) | FileKind::HostFile(_) | FileKind::HostDir(_) => ready,
            FileKind::Input(_) => Readiness { writable: None, ..ready },
            FileKind::Output(_) => Readiness { readable: None, ..ready },
            FileKind::Pipe(end) => end.readiness(),
            FileKind::Socket(socket) => socket.readiness(),
        }
    }

    /// The socket this description refers to, for the socket calls; they
    /// take `O_NONBLOCK` from [`OpenFile::status_flags`].
    ///
    /// # Errors
    /// `NotSocket` for any other kind of file.
    pub fn socket(&self) -> Result<&Socket> {
        match &self.kind {
            FileKind::Socket(socket) => Ok(socket),
            FileKind::Node(_)
            | FileKind::HostFile(_)
            | FileKind::HostDir(_)
            | FileKind::Input(_)
            | FileKind::Output(_)
            | FileKind::Pipe(_) => Err(KernelError::NotSocket),
        }
    }

    fn check_read(&self) -> Result<()> {
        if self.readable || self.is_dir() { Ok(()) } else { Err(KernelError::BadFd) }
    }

    fn check_write(&self) -> Result<()> {
        if self.writable || self.is_dir() { Ok(()) } else { Err(KernelError::BadFd) }
    }
}

/// As Linux (rw_verify_area): a positioned read of a regular file whose range
/// reaches past `i64::MAX` is `EINVAL`, wherever the file lives.
fn check_range(offset: u64, len: usize) -> Result<()> {
    let end = offset.checked_add(len as u64).ok_or(KernelError::Invalid)?;
    if end > i64::MAX as u64 { Err(KernelError::Invalid) } else { Ok(()) }
}
