//! Users and groups by name and number, read from the VM's own `/etc/passwd`
//! and `/etc/group` (so a VM image decides who exists; nothing of the host's
//! user database is visible).
//!
//! The files are read as root through the VFS on every lookup: they are small,
//! lookups are rare, and a change made inside the VM is seen at once.

use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::types::OpenOptions;

/// Largest user or group database read (`FileTooBig` past it): lookups scan
/// the whole file, so its size bounds their work.
pub const MAX_DB_SIZE: usize = 1 << 20;

impl Kernel {
    /// The `/etc/passwd` line (`name:x:uid:gid:gecos:home:shell`, without
    /// the newline) of user `uid`.
    ///
    /// # Errors
    /// `NotFound` if there is no such user or no `/etc/passwd`; `FileTooBig`
    /// if the file is larger than [`MAX_DB_SIZE`].
    pub fn passwd_by_uid(&self, uid: u32) -> Result<String> {
        self.find_line("/etc/passwd", |fields| field_is_id(fields, 2, uid))
    }

    /// The `/etc/passwd` line of the user called `name`.
    ///
    /// # Errors
    /// As [`Kernel::passwd_by_uid`].
    pub fn passwd_by_name(&self, name: &str) -> Result<String> {
        self.find_line("/etc/passwd", |fields| fields.first() == Some(&name))
    }

    /// The `/etc/group` line (`name:x:gid:members`) of group `gid`.
    ///
    /// # Errors
    /// As [`Kernel::passwd_by_uid`], for `/etc/group`.
    pub fn group_by_gid(&self, gid: u32) -> Result<String> {
        self.find_line("/etc/group", |fields| field_is_id(fields, 2, gid))
    }

    /// The first line of `path` whose `:`-separated fields satisfy `wanted`.
    /// Blank lines, comments and lines that are not UTF-8 are skipped.
    fn find_line(&self, path: &str, wanted: impl Fn(&[&str]) -> bool) -> Result<String> {
        let bytes = self.read_db(path)?;
        bytes
            .split(|&b| b == b'\n')
            .filter_map(|line| std::str::from_utf8(line).ok())
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .find(|line| wanted(&line.split(':').collect::<Vec<_>>()))
            .map(str::to_owned)
            .ok_or(KernelError::NotFound)
    }

    fn read_db(&self, path: &str) -> Result<Vec<u8>> {
        let vfs = self.vfs();
        let opts = OpenOptions { read: true, follow: true, ..OpenOptions::default() };
        let file = vfs.open_at(&Cred::root(), &vfs.root(), path, opts)?;
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let count = file.read(&mut chunk)?;
            if count == 0 {
                return Ok(bytes);
            }
            if bytes.len().saturating_add(count) > MAX_DB_SIZE {
                return Err(KernelError::FileTooBig);
            }
            bytes.extend_from_slice(chunk.get(..count).unwrap_or_default());
        }
    }
}

/// Whether field `index` is the decimal number `id`.
fn field_is_id(fields: &[&str], index: usize, id: u32) -> bool {
    fields.get(index).and_then(|field| field.parse::<u32>().ok()).is_some_and(|field| field == id)
}
