//! What the commands that show or change modes and owners share (`ls`,
//! `stat`, `chmod`, `chown`, `chgrp`, `test`): `ls`-style mode strings,
//! user and group names with a cache, and the recursive walk of `-R`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::path::Path;

use wasi_ext::fs::{self as xfs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK, S_ISGID, S_ISUID};

/// The `ls -l` letter of a file type (`-` regular, `d`, `l`, `c`, `b`, `p`, `s`).
pub fn type_char(mode: u32) -> char {
    match mode & S_IFMT {
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        _ => '-',
    }
}

/// The nine permission characters of `ls -l` (`rwxr-x--T`): `s`/`S` for
/// set-id bits with or without the `x` under them, `t`/`T` for sticky.
pub fn perm_string(mode: u32) -> String {
    let mut out = String::with_capacity(9);
    let special = [S_ISUID, S_ISGID, xfs::S_ISVTX];
    for (i, (set, unset)) in [('s', 'S'), ('s', 'S'), ('t', 'T')].into_iter().enumerate() {
        let bits = (mode >> (6 - 3 * i)) & 0o7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        out.push(match (bits & 1 != 0, mode & special[i] != 0) {
            (true, true) => set,
            (false, true) => unset,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    out
}

/// The ten-character mode of `ls -l` and `stat %A` (`-rw-r--r--`).
pub fn mode_string(mode: u32) -> String {
    let mut out = String::with_capacity(10);
    out.push(type_char(mode));
    out.push_str(&perm_string(mode));
    out
}

/// User and group names by id, looked up once each (`/etc/passwd` and
/// `/etc/group` of the VM, through `host_user`).
#[derive(Default)]
pub struct Names {
    users: BTreeMap<u32, Option<String>>,
    groups: BTreeMap<u32, Option<String>>,
}

impl Names {
    /// The login name of `uid`, if it has one.
    pub fn user(&mut self, uid: u32) -> Option<&str> {
        self.users.entry(uid).or_insert_with(|| wasi_ext::getpwuid(uid).ok().map(|p| p.name)).as_deref()
    }

    /// The name of group `gid`, if it has one.
    pub fn group(&mut self, gid: u32) -> Option<&str> {
        self.groups.entry(gid).or_insert_with(|| wasi_ext::getgrgid(gid).ok().map(|g| g.name)).as_deref()
    }

    /// The login name of `uid`, or the number.
    pub fn user_or_id(&mut self, uid: u32) -> String {
        self.user(uid).map_or_else(|| uid.to_string(), str::to_string)
    }

    /// The name of `gid`, or the number.
    pub fn group_or_id(&mut self, gid: u32) -> String {
        self.group(gid).map_or_else(|| gid.to_string(), str::to_string)
    }
}

/// `stat` (`follow`) or `lstat` of `path`, with mode, owner and group.
///
/// # Errors
/// The errno of the lookup.
pub fn stat(path: &Path, follow: bool) -> io::Result<xfs::Stat> {
    if follow { xfs::stat(path) } else { xfs::lstat(path) }
}

/// Whether `path` is the root directory (same device and inode, as GNU's
/// `--preserve-root` checks).
pub fn is_root(path: &Path) -> bool {
    match (xfs::stat(path), xfs::stat("/")) {
        (Ok(a), Ok(b)) => (a.dev, a.ino) == (b.dev, b.ino),
        _ => false,
    }
}

/// The entries of directory `dir` (without `.` and `..`), sorted by name
/// bytewise, as the C locale sorts.
///
/// # Errors
/// The error of opening or reading the directory.
pub fn sorted_entries(dir: &Path) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name());
    }
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    Ok(names)
}

/// What a recursive walk tells its visitor about each file it reaches.
pub struct Visit<'a> {
    /// The path as given or joined beneath an operand.
    pub path: &'a Path,
    /// The file's status (`lstat` unless the walk follows this symlink), or
    /// `None` if it could not be read (the walk has reported why).
    pub stat: Option<xfs::Stat>,
}

/// How [`walk`] goes: whether it recurses and which symlinks it follows.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Walk directories' contents (`-R`).
    pub recurse: bool,
    /// Follow a symlink given as the operand (the default without `-R`,
    /// and `-H`).
    pub follow_top: bool,
    /// Follow every symlink met beneath it (`-L`).
    pub follow_all: bool,
    /// Do not report errors (`-f`); they still count.
    pub quiet: bool,
    /// Visit a directory after its contents (`chown`), not before (`chmod`).
    pub post_order: bool,
}

/// Walks `top` and, if `o.recurse`, everything beneath it (entries sorted
/// by name), calling `visit` on each file before its directory's contents,
/// or after them with `o.post_order` (GNU's `chmod` changes a directory
/// before reading it, `chown` after). Errors of reaching a file or reading
/// a directory are reported as `<cmd>: cannot access 'x': …` /
/// `cannot read directory 'x': …` unless `o.quiet`, a file that cannot be
/// reached is still visited (with no status); the walk goes on. A directory met again beneath itself
/// (through a followed symlink) is reported and not entered. Returns 1 if
/// anything failed (including a visit that returned 1), else 0.
pub fn walk(cmd: &str, top: &Path, o: WalkOptions, visit: &mut dyn FnMut(&Visit) -> i32) -> i32 {
    let mut walker = Walker { cmd, o, visit, ancestors: Vec::new() };
    walker.walk(top, o.follow_top)
}

struct Walker<'a> {
    cmd: &'a str,
    o: WalkOptions,
    visit: &'a mut dyn FnMut(&Visit) -> i32,
    /// `(dev, ino)` of the directories being walked, to stop at a cycle.
    ancestors: Vec<(u64, u64)>,
}

impl Walker<'_> {
    fn fail(&self, what: &str, path: &Path, err: &io::Error) -> i32 {
        if !self.o.quiet {
            let path = crate::util::quote(path.as_os_str());
            crate::util::fail(self.cmd, format!("{what} {path}: {}", crate::util::errmsg(err)));
        }
        1
    }

    fn walk(&mut self, path: &Path, follow_this: bool) -> i32 {
        let stat = match stat(path, follow_this) {
            Ok(stat) => stat,
            Err(err) => return self.fail("cannot access", path, &err) | (self.visit)(&Visit { path, stat: None }),
        };
        if !self.o.recurse || !stat.is_dir() {
            return (self.visit)(&Visit { path, stat: Some(stat) });
        }
        let mut status = 0;
        if !self.o.post_order {
            status |= (self.visit)(&Visit { path, stat: Some(stat) });
        }
        if self.ancestors.contains(&(stat.dev, stat.ino)) {
            if !self.o.quiet {
                let path = crate::util::quote(path.as_os_str());
                crate::util::fail(self.cmd, format!("WARNING: Circular directory structure: {path}"));
            }
            return 1;
        }
        match sorted_entries(path) {
            Ok(names) => {
                self.ancestors.push((stat.dev, stat.ino));
                for name in names {
                    status |= self.walk(&path.join(&name), self.o.follow_all);
                }
                self.ancestors.pop();
            }
            Err(err) => status |= self.fail("cannot read directory", path, &err),
        }
        if self.o.post_order {
            status |= (self.visit)(&Visit { path, stat: Some(stat) });
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings() {
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o106744), "-rwsr-Sr--");
        assert_eq!(mode_string(0o104644), "-rwSr--r--");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o101000), "---------T");
    }
}
