//! Files in and out of a session's VM, through its kernel as the session's
//! user: the VM's permissions, symlinks and mounts apply as they do to its
//! programs (a symlink is resolved inside the VM, never on the host), and
//! what is written is charged to the VM's disk budget.

use capsa_kernel::{Cred, FileType, KernelError, OpenOptions, Stat, Timestamp};

use crate::{Session, SessionError};

/// What kind of file a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (not followed).
    Symlink,
    /// A device, pipe or socket.
    Other,
}

/// A file's name and what `stat` says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Its name in its directory (the last component).
    pub name: String,
    /// What it is.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Last modification, nanoseconds since the epoch.
    pub mtime: Timestamp,
}

/// The most bytes one `write` call hands the kernel.
const WRITE_CHUNK: usize = 1 << 20;

impl Session {
    pub(crate) fn cred(&self) -> Cred {
        self.identity.cred()
    }

    pub(crate) fn fail(path: &str) -> impl FnOnce(KernelError) -> SessionError + '_ {
        move |source| SessionError::File { path: path.to_string(), source }
    }

    /// What `path` names, following a final symlink.
    ///
    /// # Errors
    /// It does not exist or may not be looked up.
    pub fn stat(&self, path: &str) -> Result<FileInfo, SessionError> {
        self.stat_as(path, true)
    }

    pub(crate) fn stat_as(&self, path: &str, follow: bool) -> Result<FileInfo, SessionError> {
        let path = self.absolute(path)?;
        let vfs = self.vm.kernel().vfs();
        let stat = vfs.stat_at(&self.cred(), &vfs.root(), &path, follow).map_err(Self::fail(&path))?;
        Ok(info(last_component(&path), &stat))
    }

    /// The bytes of the file at `path`, if it holds at most `limit`.
    ///
    /// # Errors
    /// Missing, not a regular file, unreadable, or larger than `limit`.
    pub fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, SessionError> {
        let path = self.absolute(path)?;
        let vfs = self.vm.kernel().vfs();
        let opts = OpenOptions { read: true, follow: true, ..OpenOptions::default() };
        let file = vfs.open_at(&self.cred(), &vfs.root(), &path, opts).map_err(Self::fail(&path))?;
        let stat = file.stat().map_err(Self::fail(&path))?;
        if stat.file_type != FileType::RegularFile {
            return Err(SessionError::BadPath { path, reason: "not a regular file" });
        }
        if stat.size > limit {
            return Err(SessionError::TooLarge { path, limit });
        }
        // The file may grow while it is read: never past the limit.
        let cap = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
        let mut bytes = vec![0; usize::try_from(stat.size).unwrap_or(0).saturating_add(1).min(cap)];
        let mut len = 0;
        loop {
            if len == bytes.len() {
                if bytes.len() >= cap {
                    return Err(SessionError::TooLarge { path, limit });
                }
                bytes.resize(bytes.len().saturating_mul(2).min(cap), 0);
            }
            match file.read(&mut bytes[len..]).map_err(Self::fail(&path))? {
                0 => break,
                n => len += n,
            }
        }
        bytes.truncate(len);
        Ok(bytes)
    }

    /// Writes `bytes` as the file at `path` (created mode 0644, or
    /// truncated), making missing parent directories (mode 0755).
    ///
    /// # Errors
    /// A parent is not a directory, permission is denied, or the VM's disk
    /// budget is spent (what was written stays, as after a short write).
    pub fn write_file(&self, path: &str, bytes: &[u8]) -> Result<(), SessionError> {
        let path = self.absolute(path)?;
        if path.ends_with('/') {
            return Err(SessionError::BadPath { path, reason: "names a directory" });
        }
        if let Some((parent, _)) = path.rsplit_once('/')
            && !parent.is_empty()
        {
            self.make_dirs(parent)?;
        }
        let vfs = self.vm.kernel().vfs();
        let opts = OpenOptions {
            write: true,
            create: true,
            truncate: true,
            follow: true,
            mode: 0o644,
            ..OpenOptions::default()
        };
        let file = vfs.open_at(&self.cred(), &vfs.root(), &path, opts).map_err(Self::fail(&path))?;
        if file.is_dir() {
            return Err(SessionError::BadPath { path, reason: "is a directory" });
        }
        for chunk in bytes.chunks(WRITE_CHUNK) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let n = file.write(rest).map_err(Self::fail(&path))?;
                if n == 0 {
                    return Err(SessionError::File { path, source: KernelError::NoSpace });
                }
                rest = &rest[n..];
            }
        }
        Ok(())
    }

    /// Makes the directory `path` and its missing parents (mode 0755).
    ///
    /// # Errors
    /// Something on the way is not a directory, or permission is denied.
    pub fn make_dirs(&self, path: &str) -> Result<(), SessionError> {
        let path = self.absolute(path)?;
        let vfs = self.vm.kernel().vfs();
        let cred = self.cred();
        let mut prefix = String::new();
        for name in path.split('/').filter(|name| !name.is_empty()) {
            prefix.push('/');
            prefix.push_str(name);
            match vfs.mkdir_at(&cred, &vfs.root(), &prefix, 0o755) {
                Ok(()) | Err(KernelError::Exists) => {}
                Err(err) => return Err(SessionError::File { path: prefix, source: err }),
            }
        }
        if self.stat(&path)?.kind != FileKind::Dir {
            return Err(SessionError::File { path, source: KernelError::NotDir });
        }
        Ok(())
    }

    /// The entries of the directory `path` (without `.` and `..`), by
    /// name; symlinks are described, not followed.
    ///
    /// # Errors
    /// Not a directory, or not readable.
    pub fn list(&self, path: &str) -> Result<Vec<FileInfo>, SessionError> {
        let path = self.absolute(path)?;
        let vfs = self.vm.kernel().vfs();
        let opts = OpenOptions { read: true, directory: true, follow: true, ..OpenOptions::default() };
        let dir = vfs.open_at(&self.cred(), &vfs.root(), &path, opts).map_err(Self::fail(&path))?;
        let entries = dir.readdir(0).map_err(Self::fail(&path))?;
        let mut infos = Vec::with_capacity(entries.len());
        for entry in entries.into_iter().filter(|e| e.name != "." && e.name != "..") {
            // An entry removed meanwhile is simply not listed.
            match vfs.stat_at(&self.cred(), &dir, &entry.name, false) {
                Ok(stat) => infos.push(info(&entry.name, &stat)),
                Err(KernelError::NotFound) => {}
                Err(err) => return Err(SessionError::File { path: format!("{path}/{}", entry.name), source: err }),
            }
        }
        Ok(infos)
    }

    /// Removes `path`: a file, a symlink (not its target), or a directory
    /// with everything in it.
    ///
    /// # Errors
    /// Missing, or something in it may not be removed (what was removed
    /// before stays removed).
    pub fn remove(&self, path: &str) -> Result<(), SessionError> {
        let path = self.absolute(path)?;
        if path.split('/').all(str::is_empty) {
            return Err(SessionError::BadPath { path, reason: "the root cannot be removed" });
        }
        let vfs = self.vm.kernel().vfs();
        let cred = self.cred();
        // Depth-first without recursion: a guest can nest directories deeper
        // than a host stack.
        let mut pending = vec![(path, false)];
        while let Some((path, listed)) = pending.pop() {
            let kind = self.stat_as(&path, false)?.kind;
            if kind != FileKind::Dir {
                vfs.unlink_at(&cred, &vfs.root(), &path).map_err(Self::fail(&path))?;
            } else if listed {
                vfs.rmdir_at(&cred, &vfs.root(), &path).map_err(Self::fail(&path))?;
            } else {
                let children = self.list(&path)?;
                pending.push((path.clone(), true));
                pending.extend(children.into_iter().map(|child| (format!("{path}/{}", child.name), false)));
            }
        }
        Ok(())
    }
}

fn last_component(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

fn info(name: &str, stat: &Stat) -> FileInfo {
    let kind = match stat.file_type {
        FileType::RegularFile => FileKind::File,
        FileType::Directory => FileKind::Dir,
        FileType::Symlink => FileKind::Symlink,
        FileType::CharDevice
        | FileType::BlockDevice
        | FileType::Fifo
        | FileType::SocketStream
        | FileType::SocketDgram
        | FileType::Unknown => FileKind::Other,
    };
    FileInfo { name: name.to_string(), kind, size: stat.size, mode: stat.mode, mtime: stat.mtime }
}
