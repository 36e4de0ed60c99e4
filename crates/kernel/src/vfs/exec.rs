//! Finding a program to run: the lookup half of `execve`, which resolves a
//! path with symlinks followed, checks that the result is a regular file the
//! caller may execute, and hands back its bytes without copying a layer's.

use crate::bytes::SharedBytes;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use cap_std::fs::MetadataExt as _;

use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::types::OpenOptions;
use crate::vfs::Vfs;
use crate::vfs::host::{self, HOST_GID, HOST_UID};
use crate::vfs::inode::{Body, Contents, MAY_EXEC, ROOT_INO, State, mode_permits};
use crate::vfs::resolve::{Child, Last, Loc, Walk, host_path};

/// Largest program file read from a host mount (`FileTooBig` past it).
/// Files of the VM itself are bounded by the quota or shared with a layer.
pub const MAX_EXECUTABLE_SIZE: u64 = 512 << 20;

/// The most bytes of host programs kept in [`HOST_PROGRAMS`]; past it,
/// programs are read on every spawn as before.
const HOST_PROGRAM_CACHE_BYTES: u64 = 1 << 30;

/// A host file as it was when read: unchanged while all of these are.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct HostFileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// Digests of host programs the host vouched for ([`vouch_for_program`]),
/// by the file's identity then: such a file, found on a read-only mount,
/// is read only if its compiled module is not cached.
static VOUCHED: Mutex<BTreeMap<HostFileId, [u8; 32]>> = Mutex::new(BTreeMap::new());

/// Records that the host file at `path` has sha256 `digest` (a lane's
/// toolchain, whose digest it wrote at install) for as long as it is
/// unchanged: same device, inode, length, modification and change times.
/// A VM that runs it from a read-only mount then needs neither to read nor
/// to hash it when its compiled module is cached.
///
/// # Errors
/// The file cannot be stat'ed.
pub fn vouch_for_program(path: &std::path::Path, digest: [u8; 32]) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path)?;
    let id = HostFileId {
        dev: meta.dev(),
        ino: meta.ino(),
        len: meta.len(),
        mtime: (meta.mtime(), meta.mtime_nsec()),
        ctime: (meta.ctime(), meta.ctime_nsec()),
    };
    VOUCHED.lock().unwrap_or_else(PoisonError::into_inner).insert(id, digest);
    Ok(())
}

/// Bytes of a module's header: enough to tell a module from a script.
const HEAD: usize = 4;

/// Programs read from read-only mounts, shared by every VM of the process:
/// a lane's toolchain (LLVM is 75 MB) is then read once, not on each spawn,
/// and the runtime, which remembers the digest of shared bytes by their
/// address, hashes it once. Entries are never evicted (the total is
/// bounded by [`HOST_PROGRAM_CACHE_BYTES`]); a changed file has a new id.
static HOST_PROGRAMS: Mutex<(BTreeMap<HostFileId, SharedBytes>, u64)> = Mutex::new((BTreeMap::new(), 0));

/// A program file found and permitted, before its bytes are read.
enum Found {
    /// In-memory: the bytes are already at hand; `written` unless they are
    /// still a read-only layer's.
    Bytes { bytes: SharedBytes, written: bool },
    /// In a host mount: read after the VFS lock is released.
    Host { mount: usize, path: PathBuf },
}

/// A program file's bytes, and whether the VM could have written them: in
/// its own writable filesystem or a writable mount, as opposed to a
/// read-only layer or mount the host provided.
pub(crate) struct ProgramBytes {
    pub(crate) bytes: SharedBytes,
    pub(crate) guest_written: bool,
}

impl Vfs {
    /// Resolves absolute `path` beneath the VM root with every symlink
    /// followed, and returns the resolved path and the file's bytes.
    ///
    /// # Errors
    /// Resolution errors (`NotFound`, `NotDir`, `Loop`, `AccessDenied` for
    /// search permission, …); `AccessDenied` if the target is not a regular
    /// file or has no x bit for `cred`; `FileTooBig` for a host file larger
    /// than [`MAX_EXECUTABLE_SIZE`].
    pub(crate) fn exec_lookup(&self, cred: &Cred, path: &str) -> Result<(String, ProgramBytes)> {
        let mut walk = Walk::new(self, cred, Loc::Vfs(ROOT_INO), path)?;
        let mut st = self.lock();
        let (path, found) = loop {
            let name = match walk.walk_to_last(&mut st)? {
                // `.` or `..`: a directory, which execve refuses with EACCES.
                Last::Here | Last::Up => return Err(KernelError::AccessDenied),
                Last::Name(name) => name,
            };
            let parent = walk.top();
            match walk.lookup(&mut st, &parent, &name)? {
                Child::Missing => return Err(KernelError::NotFound),
                Child::Dir(_) => return Err(KernelError::AccessDenied),
                Child::Symlink { target, .. } => walk.follow(&target)?,
                Child::Other(_) if walk.trailing_slash => return Err(KernelError::NotDir),
                Child::Other(loc) => {
                    let mut full = walk.dir_path();
                    if !full.ends_with('/') {
                        full.push('/');
                    }
                    full.push_str(&name);
                    break (full, self.check_exec(&st, cred, loc)?);
                }
            }
        };
        drop(st);
        let program = match found {
            Found::Bytes { bytes, written } => ProgramBytes { bytes, guest_written: written },
            Found::Host { mount, path } => ProgramBytes {
                bytes: self.read_host_program(mount, &path)?,
                guest_written: !self.mount(mount)?.read_only,
            },
        };
        Ok((path, program))
    }

    /// Checks that `loc` is a regular file `cred` may execute.
    fn check_exec(&self, st: &State, cred: &Cred, loc: Loc) -> Result<Found> {
        match loc {
            Loc::Vfs(ino) => {
                let inode = st.get(ino)?;
                let Body::File(contents) = &inode.body else {
                    return Err(KernelError::AccessDenied);
                };
                inode.check(cred, MAY_EXEC)?;
                Ok(match contents {
                    // The layer's own allocation: the runtime caches compiled
                    // modules by this pointer, so it must not be copied. A
                    // counted inode is the guest's even when its bytes are
                    // shared (a snapshot's), and compiles at its expense.
                    Contents::Shared(bytes) => Found::Bytes { bytes: bytes.clone(), written: inode.counted },
                    Contents::Owned(bytes) => Found::Bytes { bytes: SharedBytes::from(bytes.clone()), written: true },
                })
            }
            Loc::Host { mount, path } => {
                let meta = self.mount(mount)?.dir.symlink_metadata(host_path(&path))?;
                if !meta.is_file() {
                    return Err(KernelError::AccessDenied);
                }
                if !mode_permits(cred, meta.mode(), HOST_UID, HOST_GID, false, MAY_EXEC) {
                    return Err(KernelError::AccessDenied);
                }
                Ok(Found::Host { mount, path })
            }
        }
    }

    /// Reads a program file from a host mount, bounded by [`MAX_EXECUTABLE_SIZE`].
    fn read_host_program(&self, mount: usize, path: &std::path::Path) -> Result<SharedBytes> {
        let opts = OpenOptions { read: true, ..OpenOptions::default() };
        let entry = self.mount(mount)?;
        let mut file = host::open_file(entry, path, &opts)?;
        let meta = file.metadata()?;
        let len = meta.len();
        if len > MAX_EXECUTABLE_SIZE {
            return Err(KernelError::FileTooBig);
        }
        // Only a read-only mount's: a writable one's may change under the
        // same id within a timestamp's granularity by the guest's own hand.
        let id = entry.read_only.then(|| HostFileId {
            dev: meta.dev(),
            ino: meta.ino(),
            len,
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        });
        let cache = || HOST_PROGRAMS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = id
            && let Some(bytes) = cache().0.get(&id)
        {
            return Ok(bytes.clone());
        }
        let vouched = id.and_then(|id| VOUCHED.lock().unwrap_or_else(PoisonError::into_inner).get(&id).copied());
        let bytes = match vouched {
            Some(digest) => lazy_program(file.into_std(), len, digest)?,
            None => {
                let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                file.by_ref().take(MAX_EXECUTABLE_SIZE.saturating_add(1)).read_to_end(&mut bytes)?;
                if bytes.len() as u64 > MAX_EXECUTABLE_SIZE {
                    return Err(KernelError::FileTooBig);
                }
                SharedBytes::from(bytes)
            }
        };
        if let Some(id) = id {
            let mut cache = cache();
            let (programs, total) = &mut *cache;
            // Another spawn may have read it meanwhile: keep one copy.
            if let Some(kept) = programs.get(&id) {
                return Ok(kept.clone());
            }
            if bytes.len() as u64 == len && *total + len <= HOST_PROGRAM_CACHE_BYTES {
                programs.insert(id, bytes.clone());
                *total += len;
            }
        }
        Ok(bytes)
    }
}

/// A vouched-for program's bytes, read from the open `file` on first use;
/// its first bytes are read now. A file that no longer has `len` bytes
/// reads as none (and so fails to compile).
fn lazy_program(file: std::fs::File, len: u64, digest: [u8; 32]) -> Result<SharedBytes> {
    use std::os::unix::fs::FileExt as _;
    let mut head = vec![0; HEAD];
    let got = file.read_at(&mut head, 0)?;
    head.truncate(got);
    let size = usize::try_from(len).map_err(|_| KernelError::FileTooBig)?;
    let load = move || {
        let mut bytes = Vec::with_capacity(size);
        (&file).take(len.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() != size {
            return Err(std::io::Error::other("the program changed while it was being run"));
        }
        Ok(bytes)
    };
    Ok(SharedBytes::lazy(size, head, load).with_sha256(digest))
}
