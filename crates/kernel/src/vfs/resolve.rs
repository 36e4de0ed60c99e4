//! Path resolution beneath a directory handle, one component at a time. The
//! walk keeps the chain of directories it went through, so `..` pops the chain
//! (and leaving the handle's directory is detected without parent pointers),
//! and a host mount is walked with the same rules: host symlinks are read and
//! interpreted here, never followed by the host.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};

use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::vfs::inode::{Body, MAY_EXEC, ROOT_INO, State};
use crate::vfs::{MAX_NAME, MAX_PATH, SYMLINK_BUDGET, Vfs};

/// Where a walk stands: an in-memory inode, or a path inside a host mount
/// (relative to the mount's root, already free of `.`, `..` and symlinks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Loc {
    Vfs(u64),
    Host { mount: usize, path: PathBuf },
}

impl Loc {
    /// Whether this is the root of a host mount (a mount point, seen from its parent).
    pub(crate) fn is_mount_root(&self) -> bool {
        matches!(self, Loc::Host { path, .. } if path.as_os_str().is_empty())
    }
}

/// What a name in a directory turned out to be.
#[derive(Debug)]
pub(crate) enum Child {
    Missing,
    Dir(Loc),
    Symlink { loc: Loc, target: String },
    Other(Loc),
}

/// The last component of a path, left for the caller to act on.
#[derive(Debug)]
pub(crate) enum Last {
    /// The path named the directory on top of the walk (`.`, `/`, or `x/.`).
    Here,
    /// The path ended in `..`.
    Up,
    /// An ordinary name in the directory on top of the walk.
    Name(String),
}

/// One resolution in progress.
pub(crate) struct Walk<'a> {
    vfs: &'a Vfs,
    cred: &'a Cred,
    /// Directories walked through; `stack[0]` is the handle's directory.
    stack: Vec<Loc>,
    /// The name under which each of `stack[1..]` was entered, so the walk
    /// can say where it stands (`names.len() == stack.len() - 1`).
    names: Vec<String>,
    /// The handle is the VM root: `..` stops there and absolute paths restart there.
    root_mode: bool,
    queue: VecDeque<String>,
    /// The path (after symlink expansion) ends in `/`: the target must be a directory.
    pub(crate) trailing_slash: bool,
    budget: u32,
}

impl<'a> Walk<'a> {
    /// Starts resolving `path` beneath `base`.
    pub(crate) fn new(vfs: &'a Vfs, cred: &'a Cred, base: Loc, path: &str) -> Result<Walk<'a>> {
        validate_path(path)?;
        let root_mode = base == Loc::Vfs(ROOT_INO);
        if path.starts_with('/') && !root_mode {
            return Err(KernelError::NotPermitted);
        }
        Ok(Walk {
            vfs,
            cred,
            stack: vec![base],
            names: Vec::new(),
            root_mode,
            queue: split(path),
            trailing_slash: path.ends_with('/'),
            budget: SYMLINK_BUDGET,
        })
    }

    /// The directory the walk stands in.
    pub(crate) fn top(&self) -> Loc {
        self.stack.last().cloned().unwrap_or(Loc::Vfs(ROOT_INO))
    }

    /// Where the walk stands, as a path from the handle's directory
    /// (absolute when resolving beneath the VM root): `/` then each name.
    pub(crate) fn dir_path(&self) -> String {
        let mut path = String::new();
        for name in &self.names {
            path.push('/');
            path.push_str(name);
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    /// Walks every component but the last.
    pub(crate) fn walk_to_last(&mut self, st: &mut State) -> Result<Last> {
        while self.queue.len() > 1 {
            let Some(component) = self.queue.pop_front() else {
                break;
            };
            self.step(st, &component)?;
        }
        let last = match self.queue.pop_front() {
            None => Last::Here,
            Some(name) if name == "." => Last::Here,
            // A final `..` that would climb out of the handle's directory is
            // an escape like any other, whatever the operation would do there.
            Some(name) if name == ".." && self.stack.len() <= 1 && !self.root_mode => {
                return Err(KernelError::NotPermitted);
            }
            Some(name) if name == ".." => Last::Up,
            Some(name) => Last::Name(name),
        };
        self.search(st, &self.top())?;
        Ok(last)
    }

    /// Goes to the parent directory, within the walk's bounds.
    pub(crate) fn up(&mut self) -> Result<()> {
        if self.stack.len() > 1 {
            self.stack.pop();
            self.names.pop();
            Ok(())
        } else if self.root_mode {
            Ok(())
        } else {
            Err(KernelError::NotPermitted)
        }
    }

    /// Continues the walk through a symlink's target, spending budget.
    pub(crate) fn follow(&mut self, target: &str) -> Result<()> {
        self.budget = self.budget.checked_sub(1).ok_or(KernelError::Loop)?;
        validate_path(target)?;
        if target.starts_with('/') {
            if !self.root_mode {
                return Err(KernelError::NotPermitted);
            }
            self.stack.truncate(1);
            self.names.clear();
        }
        if self.queue.is_empty() {
            self.trailing_slash |= target.ends_with('/');
        }
        for component in split(target).into_iter().rev() {
            self.queue.push_front(component);
        }
        Ok(())
    }

    /// Resolves the whole path to an existing object; `follow_last` decides
    /// for a symlink as last component (a trailing slash always follows).
    pub(crate) fn resolve(&mut self, st: &mut State, follow_last: bool) -> Result<Loc> {
        loop {
            match self.walk_to_last(st)? {
                Last::Here => return Ok(self.top()),
                Last::Up => {
                    self.up()?;
                    return Ok(self.top());
                }
                Last::Name(name) => match self.lookup(st, &self.top(), &name)? {
                    Child::Missing => return Err(KernelError::NotFound),
                    Child::Dir(loc) => return Ok(loc),
                    Child::Symlink { loc, target } => {
                        if follow_last || self.trailing_slash {
                            self.follow(&target)?;
                        } else {
                            return Ok(loc);
                        }
                    }
                    Child::Other(loc) => {
                        if self.trailing_slash {
                            return Err(KernelError::NotDir);
                        }
                        return Ok(loc);
                    }
                },
            }
        }
    }

    /// What `name` is in directory `parent` (search permission checked).
    pub(crate) fn lookup(&self, st: &mut State, parent: &Loc, name: &str) -> Result<Child> {
        match parent {
            Loc::Vfs(dir) => {
                st.get(*dir)?.check(self.cred, MAY_EXEC)?;
                let Some(ino) = st.lookup(*dir, name)? else {
                    return Ok(Child::Missing);
                };
                Ok(match &st.get(ino)?.body {
                    Body::Dir(data) => match data.mount {
                        Some(mount) => Child::Dir(Loc::Host { mount, path: PathBuf::new() }),
                        None => Child::Dir(Loc::Vfs(ino)),
                    },
                    Body::Symlink(target) => Child::Symlink { loc: Loc::Vfs(ino), target: target.clone() },
                    Body::File(_) | Body::Device(_) => Child::Other(Loc::Vfs(ino)),
                })
            }
            Loc::Host { mount, path } => {
                let dir = &self.vfs.mount(*mount)?.dir;
                let path = path.join(name);
                let meta = match dir.symlink_metadata(&path) {
                    Ok(meta) => meta,
                    Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Child::Missing),
                    Err(err) => return Err(err.into()),
                };
                let loc = Loc::Host { mount: *mount, path: path.clone() };
                if meta.is_symlink() {
                    let target = dir.read_link_contents(&path)?;
                    let target = target.into_os_string().into_string().map_err(|_| KernelError::IllegalSequence)?;
                    Ok(Child::Symlink { loc, target })
                } else if meta.is_dir() {
                    Ok(Child::Dir(loc))
                } else {
                    Ok(Child::Other(loc))
                }
            }
        }
    }

    fn step(&mut self, st: &mut State, component: &str) -> Result<()> {
        match component {
            "." => self.search(st, &self.top()),
            ".." => {
                self.search(st, &self.top())?;
                self.up()
            }
            name => match self.lookup(st, &self.top(), name)? {
                Child::Missing => Err(KernelError::NotFound),
                Child::Dir(loc) => {
                    self.stack.push(loc);
                    self.names.push(name.to_owned());
                    Ok(())
                }
                Child::Symlink { target, .. } => self.follow(&target),
                Child::Other(_) => Err(KernelError::NotDir),
            },
        }
    }

    /// Search permission on a directory of the walk (host mounts leave it to the host).
    fn search(&self, st: &State, loc: &Loc) -> Result<()> {
        match loc {
            Loc::Vfs(ino) => st.get(*ino)?.check(self.cred, MAY_EXEC),
            Loc::Host { .. } => Ok(()),
        }
    }
}

/// The path as cap-std wants it: the mount root is `.`.
pub(crate) fn host_path(path: &Path) -> &Path {
    if path.as_os_str().is_empty() { Path::new(".") } else { path }
}

/// Rejects what no resolution may see: empty, overlong, NUL bytes.
pub(crate) fn validate_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(KernelError::NotFound);
    }
    if path.len() > MAX_PATH {
        return Err(KernelError::NameTooLong);
    }
    if path.contains('\0') {
        return Err(KernelError::Invalid);
    }
    if path.split('/').any(|component| component.len() > MAX_NAME) {
        return Err(KernelError::NameTooLong);
    }
    Ok(())
}

fn split(path: &str) -> VecDeque<String> {
    path.split('/').filter(|component| !component.is_empty()).map(str::to_owned).collect()
}
