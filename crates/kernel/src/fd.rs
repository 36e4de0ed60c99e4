//! A process's fd table: small integers naming shared open-file descriptions.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{KernelError, Result};
use crate::file::OpenFile;

/// A file descriptor number.
pub type Fd = u32;

/// The WASI rights an fd may still use: what its owner kept when it
/// narrowed them (`fd_fdstat_set_rights`) or opened it (`path_open`'s
/// requested and inheriting rights). The kernel only carries them with the
/// fd; the adapter decides what each bit allows, and checks it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    /// Rights of operations on this fd.
    pub base: u64,
    /// Rights that fds opened beneath it (a directory) may have.
    pub inheriting: u64,
}

impl Rights {
    /// Nothing narrowed: the fd may do all its description allows.
    pub const ALL: Rights = Rights { base: u64::MAX, inheriting: u64::MAX };
}

/// One slot of an fd table.
#[derive(Debug, Clone)]
pub struct FdEntry {
    /// The shared open-file description.
    pub file: Arc<OpenFile>,
    /// For a preopened directory: the guest path it is announced under.
    pub preopen: Option<String>,
    /// What the fd may still do (per fd, not per description: `dup` copies).
    pub rights: Rights,
}

impl FdEntry {
    /// An ordinary (non-preopen) entry with every right.
    pub fn new(file: Arc<OpenFile>) -> Self {
        FdEntry { file, preopen: None, rights: Rights::ALL }
    }

    /// A preopened directory announced under `guest`, with every right.
    pub fn preopen(file: Arc<OpenFile>, guest: impl Into<String>) -> Self {
        FdEntry { file, preopen: Some(guest.into()), rights: Rights::ALL }
    }
}

/// The fd table of one process. Bounded: past `max_fds` entries, `insert` fails
/// with `TooManyFiles`.
#[derive(Debug, Clone)]
pub struct FdTable {
    entries: BTreeMap<Fd, FdEntry>,
    max_fds: usize,
}

impl FdTable {
    /// An empty table holding at most `max_fds` entries.
    pub fn new(max_fds: usize) -> Self {
        FdTable { entries: BTreeMap::new(), max_fds }
    }

    /// Inserts at the lowest free number.
    ///
    /// # Errors
    /// `TooManyFiles` when full.
    pub fn insert(&mut self, entry: FdEntry) -> Result<Fd> {
        if self.entries.len() >= self.max_fds {
            return Err(KernelError::TooManyFiles);
        }
        let mut fd: Fd = 0;
        for &used in self.entries.keys() {
            if used != fd {
                break;
            }
            fd += 1;
        }
        self.entries.insert(fd, entry);
        Ok(fd)
    }

    /// Puts `entry` at `fd`, returning what was there (as `dup2`).
    ///
    /// # Errors
    /// `TooManyFiles` if `fd` is new and the table is full, or `fd` is at or above the limit.
    pub fn insert_at(&mut self, fd: Fd, entry: FdEntry) -> Result<Option<FdEntry>> {
        if fd as usize >= self.max_fds || (!self.entries.contains_key(&fd) && self.entries.len() >= self.max_fds) {
            return Err(KernelError::TooManyFiles);
        }
        Ok(self.entries.insert(fd, entry))
    }

    /// The entry at `fd`.
    ///
    /// # Errors
    /// `BadFd` if `fd` is not open.
    pub fn get(&self, fd: Fd) -> Result<&FdEntry> {
        self.entries.get(&fd).ok_or(KernelError::BadFd)
    }

    /// The open file at `fd`.
    ///
    /// # Errors
    /// `BadFd` if `fd` is not open.
    pub fn file(&self, fd: Fd) -> Result<Arc<OpenFile>> {
        self.get(fd).map(|entry| entry.file.clone())
    }

    /// Closes `fd`, returning its entry.
    ///
    /// # Errors
    /// `BadFd` if `fd` is not open.
    pub fn remove(&mut self, fd: Fd) -> Result<FdEntry> {
        self.entries.remove(&fd).ok_or(KernelError::BadFd)
    }

    /// Moves `from` onto `to`, closing what was at `to` (WASI `fd_renumber`).
    ///
    /// # Errors
    /// `BadFd` if either is not open.
    pub fn renumber(&mut self, from: Fd, to: Fd) -> Result<()> {
        if !self.entries.contains_key(&to) {
            return Err(KernelError::BadFd);
        }
        let entry = self.remove(from)?;
        self.entries.insert(to, entry);
        Ok(())
    }

    /// Duplicates `fd` onto the lowest free number (`dup`): both share one
    /// open-file description. The copy is never a preopen.
    ///
    /// # Errors
    /// `BadFd` if `fd` is not open, `TooManyFiles` when the table is full.
    pub fn dup(&mut self, fd: Fd) -> Result<Fd> {
        let entry = self.get(fd)?;
        let copy = FdEntry { file: entry.file.clone(), preopen: None, rights: entry.rights };
        self.insert(copy)
    }

    /// Duplicates `fd` onto `to` (`dup2`), closing what was at `to`; the new
    /// entry is not a preopen. `fd == to` on an open `fd` changes nothing.
    ///
    /// # Errors
    /// `BadFd` if `fd` is not open or `to` is past the table's limit (as
    /// Linux `dup2`); `TooManyFiles` if `to` is new and the table is full.
    pub fn dup2(&mut self, fd: Fd, to: Fd) -> Result<()> {
        let entry = self.get(fd)?;
        let copy = FdEntry { file: entry.file.clone(), preopen: None, rights: entry.rights };
        if fd == to {
            return Ok(());
        }
        if usize::try_from(to).map_or(true, |to| to >= self.max_fds) {
            return Err(KernelError::BadFd);
        }
        // The replaced entry is dropped only after the table is updated, so
        // a pipe end closed here wakes its peers with the table consistent.
        let replaced = self.insert_at(to, copy)?;
        drop(replaced);
        Ok(())
    }

    /// Number of open fds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no fd is open.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Narrows the rights of `fd`.
    ///
    /// # Errors
    /// `BadFd` if `fd` is not open.
    pub fn set_rights(&mut self, fd: Fd, rights: Rights) -> Result<()> {
        self.entries.get_mut(&fd).ok_or(KernelError::BadFd)?.rights = rights;
        Ok(())
    }

    /// Open fds in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = (Fd, &FdEntry)> {
        self.entries.iter().map(|(fd, entry)| (*fd, entry))
    }
}
