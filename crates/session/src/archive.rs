//! Tar archives in and out of a session's VM: [`Session::pack`] makes a tar
//! of a file or directory, [`Session::unpack`] unpacks one (plain or
//! gzipped) into a directory.
//!
//! Unpacking reads the whole archive and checks every entry before it
//! writes anything, and refuses the archive, naming the entry, when:
//! a name is absolute or climbs out with `..`; an entry would be written
//! through a symlink (one in the archive, or one already in the VM); a
//! symlink or hard link would lead outside the target directory; an entry
//! is a device, FIFO or anything but a file, directory or link; or it holds
//! more than the VM may store (bytes, names) or than [`MAX_ENTRIES`] entries
//! (a gzip bomb stops at the VM's free disk). Modes keep their permission
//! bits only; owners are the session's user.

use std::collections::HashSet;
use std::io::Read;

use capsa_kernel::KernelError;

use crate::files::FileKind;
use crate::{Session, SessionError};

/// Most entries one archive may hold.
pub const MAX_ENTRIES: usize = 100_000;

/// What an unpack made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unpacked {
    /// Files, directories and links made.
    pub entries: u64,
    /// Bytes of file contents written.
    pub bytes: u64,
}

/// One checked entry, ready to be made.
enum Item {
    Dir { path: String, mode: u32 },
    File { path: String, mode: u32, bytes: Vec<u8> },
    Symlink { path: String, target: String },
    HardLink { path: String, target: String },
}

fn bad(reason: impl Into<String>) -> SessionError {
    SessionError::Archive(reason.into())
}

/// `name` as normal components (no `.`, `..`, empty or absolute).
fn components(name: &str) -> Result<Vec<&str>, SessionError> {
    if name.starts_with('/') || name.contains('\0') {
        return Err(bad(format!("{name:?}: absolute names are not unpacked")));
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(bad(format!("{name:?}: names with `..` are not unpacked"))),
            part => parts.push(part),
        }
    }
    Ok(parts)
}

/// Whether a symlink at depth `depth` (components below the target dir,
/// its own name excluded) holding `target` stays inside the target dir:
/// relative, and its `..` never climbs above it at any point.
fn link_stays_inside(depth: usize, target: &str) -> bool {
    if target.starts_with('/') || target.is_empty() {
        return false;
    }
    let mut level = depth as i64;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                level -= 1;
                if level < 0 {
                    return false;
                }
            }
            _ => level += 1,
        }
    }
    true
}

impl Session {
    /// A tar of `path`: a file as one entry named after it, a directory as
    /// its contents (names relative to it). At most `limit` bytes.
    ///
    /// # Errors
    /// Missing or unreadable, a symlink or device at `path`, or larger
    /// than `limit`.
    pub fn pack(&self, path: &str, limit: u64) -> Result<Vec<u8>, SessionError> {
        let root = self.absolute(path)?;
        let top = self.stat(&root)?;
        let mut builder = tar::Builder::new(Vec::new());
        let too_large = |root: &str| SessionError::TooLarge { path: root.to_string(), limit };
        let mut total = 0u64;
        let mut add = |builder: &mut tar::Builder<Vec<u8>>, name: &str, full: &str, info: &crate::FileInfo| {
            let mut header = tar::Header::new_gnu();
            header.set_mode(info.mode & 0o7777);
            header.set_mtime(info.mtime / 1_000_000_000);
            let result = match info.kind {
                FileKind::Dir => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    builder.append_data(&mut header, format!("{name}/"), std::io::empty())
                }
                FileKind::File => {
                    let bytes = self.read_file(full, limit.saturating_sub(total))?;
                    total = total.saturating_add(bytes.len() as u64 + 512);
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(bytes.len() as u64);
                    builder.append_data(&mut header, name, &bytes[..])
                }
                FileKind::Symlink => {
                    let target = self.read_link(full)?;
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_size(0);
                    builder.append_link(&mut header, name, target)
                }
                FileKind::Other => return Ok(()),
            };
            total = total.saturating_add(512);
            if total > limit {
                return Err(too_large(full));
            }
            result.map_err(|err| bad(format!("{full}: {err}")))
        };
        if top.kind != FileKind::Dir {
            add(&mut builder, &top.name, &root, &top)?;
        } else {
            // Depth-first without recursion: a guest can nest deeper than a
            // host stack.
            let base = root.trim_end_matches('/').to_string();
            let mut pending = vec![String::new()];
            while let Some(rel) = pending.pop() {
                let dir = if rel.is_empty() { base.clone() } else { format!("{base}/{rel}") };
                let mut entries = self.list(if dir.is_empty() { "/" } else { &dir })?;
                entries.sort_by(|a, b| a.name.cmp(&b.name));
                for info in entries.iter().rev() {
                    let name = if rel.is_empty() { info.name.clone() } else { format!("{rel}/{}", info.name) };
                    if info.kind == FileKind::Dir {
                        pending.push(name);
                    }
                }
                for info in &entries {
                    let name = if rel.is_empty() { info.name.clone() } else { format!("{rel}/{}", info.name) };
                    add(&mut builder, &name, &format!("{base}/{name}"), info)?;
                }
            }
        }
        builder.into_inner().map_err(|err| bad(err.to_string()))
    }

    /// Unpacks the tar (or gzipped tar) `archive` into the directory
    /// `path`, made if missing. Everything is checked first (module doc);
    /// a refused archive changes nothing.
    ///
    /// # Errors
    /// [`SessionError::Archive`] naming what was refused; a file error if
    /// the VM refuses a write (what was written before stays, inside
    /// `path`).
    pub fn unpack(&self, path: &str, archive: &[u8]) -> Result<Unpacked, SessionError> {
        let root = self.absolute(path)?;
        let vfs = self.vm.kernel().vfs();
        let (quota, usage) = (vfs.quota(), vfs.usage());
        let free_bytes = quota.max_bytes.saturating_sub(usage.bytes);
        let free_names = quota.max_inodes.saturating_sub(usage.inodes);
        let items = if archive.starts_with(&[0x1f, 0x8b]) {
            // Decompress no further than the VM could store, plus headers
            // (at most 1 KiB an entry, 16 MiB in all) and the end blocks.
            let mut plain = Vec::new();
            let headers = free_names.min(MAX_ENTRIES as u64).saturating_mul(1024).min(16 << 20);
            let cap = free_bytes.saturating_add(headers).saturating_add(1024);
            flate2::read::GzDecoder::new(archive)
                .take(cap.saturating_add(1))
                .read_to_end(&mut plain)
                .map_err(|err| bad(format!("not a gzip stream: {err}")))?;
            if plain.len() as u64 > cap {
                return Err(bad("it unpacks to more than the sandbox may store"));
            }
            check(&plain, free_bytes, free_names)?
        } else {
            check(archive, free_bytes, free_names)?
        };
        self.make_dirs(&root)?;
        self.refuse_symlinks_on_the_way(&root, &items)?;
        let vfs = self.vm.kernel().vfs();
        let cred = self.cred();
        let mut made = Unpacked::default();
        let full = |rel: &str| format!("{}/{rel}", root.trim_end_matches('/'));
        for item in items {
            match item {
                Item::Dir { path, mode } => {
                    let path = full(&path);
                    self.make_dirs(&path)?;
                    vfs.set_mode_at(&cred, &vfs.root(), &path, false, mode).map_err(Self::fail(&path))?;
                }
                Item::File { path, mode, bytes } => {
                    let path = full(&path);
                    if let Ok(existing) = self.stat_as(&path, false)
                        && existing.kind != FileKind::File
                    {
                        return Err(SessionError::File { path, source: KernelError::Exists });
                    }
                    self.write_file(&path, &bytes)?;
                    vfs.set_mode_at(&cred, &vfs.root(), &path, false, mode).map_err(Self::fail(&path))?;
                    made.bytes += bytes.len() as u64;
                }
                Item::Symlink { path, target } => {
                    let path = full(&path);
                    match self.stat_as(&path, false) {
                        Ok(existing) if existing.kind != FileKind::Dir => {
                            vfs.unlink_at(&cred, &vfs.root(), &path).map_err(Self::fail(&path))?;
                        }
                        _ => {}
                    }
                    vfs.symlink_at(&cred, &target, &vfs.root(), &path).map_err(Self::fail(&path))?;
                }
                Item::HardLink { path, target } => {
                    let (path, target) = (full(&path), full(&target));
                    if self.stat_as(&path, false).is_ok() {
                        vfs.unlink_at(&cred, &vfs.root(), &path).map_err(Self::fail(&path))?;
                    }
                    let root_dir = vfs.root();
                    vfs.link_at(&cred, &root_dir, &target, false, &root_dir, &path).map_err(Self::fail(&path))?;
                }
            }
            made.entries += 1;
        }
        Ok(made)
    }

    /// The target of the symlink at `path`.
    ///
    /// # Errors
    /// Not a symlink, or not reachable.
    pub fn read_link(&self, path: &str) -> Result<String, SessionError> {
        let path = self.absolute(path)?;
        let vfs = self.vm.kernel().vfs();
        vfs.readlink_at(&self.cred(), &vfs.root(), &path).map_err(Self::fail(&path))
    }

    /// Refuses the archive if a directory it writes beneath is a symlink
    /// already in the VM (which could lead the write elsewhere).
    fn refuse_symlinks_on_the_way(&self, root: &str, items: &[Item]) -> Result<(), SessionError> {
        let mut checked = HashSet::new();
        for item in items {
            let rel = match item {
                Item::Dir { path, .. }
                | Item::File { path, .. }
                | Item::Symlink { path, .. }
                | Item::HardLink { path, .. } => path,
            };
            let mut prefix = root.trim_end_matches('/').to_string();
            let parts: Vec<&str> = rel.split('/').collect();
            for part in &parts[..parts.len().saturating_sub(1)] {
                prefix.push('/');
                prefix.push_str(part);
                if !checked.insert(prefix.clone()) {
                    continue;
                }
                if let Ok(info) = self.stat_as(&prefix, false)
                    && info.kind == FileKind::Symlink
                {
                    return Err(bad(format!("{rel}: would be written through the symlink {prefix}")));
                }
            }
        }
        Ok(())
    }
}

/// Reads and checks every entry of a plain tar (see the module doc).
fn check(tar_bytes: &[u8], free_bytes: u64, free_names: u64) -> Result<Vec<Item>, SessionError> {
    let mut archive = tar::Archive::new(tar_bytes);
    let entries = archive.entries().map_err(|err| bad(format!("not a tar archive: {err}")))?;
    let mut items = Vec::new();
    let mut links: HashSet<String> = HashSet::new();
    let mut files: HashSet<String> = HashSet::new();
    let (mut bytes, mut names) = (0u64, 0u64);
    for entry in entries {
        let mut entry = entry.map_err(|err| bad(format!("not a tar archive: {err}")))?;
        let raw = entry.path_bytes().into_owned();
        let name = String::from_utf8(raw).map_err(|_| bad("a name is not UTF-8"))?;
        let parts = components(&name)?;
        if parts.is_empty() {
            continue; // "./" itself: the target directory.
        }
        let path = parts.join("/");
        // Written through a symlink the archive itself made?
        for at in 1..parts.len() {
            let prefix = parts[..at].join("/");
            if links.contains(&prefix) {
                return Err(bad(format!("{name:?}: would be written through the archive's symlink {prefix}")));
            }
        }
        let mode = entry.header().mode().map_err(|err| bad(format!("{name:?}: {err}")))? & 0o777;
        names += 1;
        if items.len() >= MAX_ENTRIES {
            return Err(bad(format!("more than {MAX_ENTRIES} entries")));
        }
        let kind = entry.header().entry_type();
        let item = match kind {
            tar::EntryType::Directory => Item::Dir { path, mode },
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.header().size().map_err(|err| bad(format!("{name:?}: {err}")))?;
                bytes = bytes.saturating_add(size);
                if bytes > free_bytes {
                    return Err(bad(format!("it holds more than the sandbox may store ({free_bytes} bytes free)")));
                }
                let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                entry.read_to_end(&mut data).map_err(|err| bad(format!("{name:?}: {err}")))?;
                files.insert(path.clone());
                Item::File { path, mode, bytes: data }
            }
            tar::EntryType::Symlink => {
                let target = link_name(&entry, &name)?;
                if !link_stays_inside(parts.len() - 1, &target) {
                    return Err(bad(format!("{name:?}: a symlink to {target:?} leads outside the directory")));
                }
                links.insert(path.clone());
                Item::Symlink { path, target }
            }
            tar::EntryType::Link => {
                let target = link_name(&entry, &name)?;
                let target_parts = components(&target)
                    .map_err(|_| bad(format!("{name:?}: a hard link to {target:?} leads outside the directory")))?;
                let target = target_parts.join("/");
                if !files.contains(&target) {
                    return Err(bad(format!(
                        "{name:?}: a hard link to {target:?}, which the archive does not hold before it"
                    )));
                }
                Item::HardLink { path, target }
            }
            tar::EntryType::XHeader
            | tar::EntryType::XGlobalHeader
            | tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink => {
                names -= 1;
                continue;
            }
            other => {
                return Err(bad(format!(
                    "{name:?}: a {} is not unpacked (files, directories and links only)",
                    kind_name(other)
                )));
            }
        };
        if names > free_names {
            return Err(bad(format!("it holds more names than the sandbox may make ({free_names} free)")));
        }
        items.push(item);
    }
    Ok(items)
}

fn link_name(entry: &tar::Entry<'_, &[u8]>, name: &str) -> Result<String, SessionError> {
    let target = entry.link_name_bytes().ok_or_else(|| bad(format!("{name:?}: a link without a target")))?.into_owned();
    String::from_utf8(target).map_err(|_| bad(format!("{name:?}: its link target is not UTF-8")))
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Char => "character device",
        tar::EntryType::Block => "block device",
        tar::EntryType::Fifo => "FIFO",
        tar::EntryType::GNUSparse => "sparse file",
        _ => "special entry",
    }
}
