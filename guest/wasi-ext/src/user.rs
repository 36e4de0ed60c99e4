//! Users and groups (`host_user`): the caller's ids, and account lookups in
//! the VM's own `/etc/passwd` and `/etc/group` (never the host's).

use std::io;

use crate::sys;

/// An `/etc/passwd` entry (`name:passwd:uid:gid:gecos:dir:shell`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    /// Login name.
    pub name: String,
    /// Password field (`x`: capsa keeps no passwords).
    pub passwd: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Comment (full name).
    pub gecos: String,
    /// Home directory.
    pub dir: String,
    /// Login shell.
    pub shell: String,
}

impl Passwd {
    /// Parses one `/etc/passwd` line (without its newline).
    ///
    /// # Errors
    /// `ErrorKind::InvalidData` unless the line has exactly seven
    /// `:`-separated fields with numeric ids.
    pub fn parse(line: &str) -> io::Result<Passwd> {
        let fields: Vec<&str> = line.split(':').collect();
        let [name, passwd, uid, gid, gecos, dir, shell] = fields[..] else {
            return Err(invalid(line, "passwd"));
        };
        Ok(Passwd {
            name: name.to_string(),
            passwd: passwd.to_string(),
            uid: uid.parse().map_err(|_| invalid(line, "passwd"))?,
            gid: gid.parse().map_err(|_| invalid(line, "passwd"))?,
            gecos: gecos.to_string(),
            dir: dir.to_string(),
            shell: shell.to_string(),
        })
    }
}

/// An `/etc/group` entry (`name:passwd:gid:member,member…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Password field.
    pub passwd: String,
    /// Group id.
    pub gid: u32,
    /// Supplementary members, by login name.
    pub members: Vec<String>,
}

impl Group {
    /// Parses one `/etc/group` line (without its newline).
    ///
    /// # Errors
    /// `ErrorKind::InvalidData` unless the line has exactly four
    /// `:`-separated fields with a numeric gid.
    pub fn parse(line: &str) -> io::Result<Group> {
        let fields: Vec<&str> = line.split(':').collect();
        let [name, passwd, gid, members] = fields[..] else {
            return Err(invalid(line, "group"));
        };
        Ok(Group {
            name: name.to_string(),
            passwd: passwd.to_string(),
            gid: gid.parse().map_err(|_| invalid(line, "group"))?,
            members: members.split(',').filter(|m| !m.is_empty()).map(str::to_string).collect(),
        })
    }
}

fn invalid(line: &str, what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("malformed /etc/{what} line {line:?}"))
}

/// The caller's user id.
///
/// # Errors
/// None in capsa-abi 0.2; the errno result is passed on all the same.
pub fn getuid() -> io::Result<u32> {
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    sys::out_u32(|out| unsafe { sys::getuid(out) })
}

/// The caller's effective user id (the same as [`getuid`]: capsa processes
/// have no separate effective id).
///
/// # Errors
/// As [`getuid`].
pub fn geteuid() -> io::Result<u32> {
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    sys::out_u32(|out| unsafe { sys::geteuid(out) })
}

/// The caller's group id.
///
/// # Errors
/// As [`getuid`].
pub fn getgid() -> io::Result<u32> {
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    sys::out_u32(|out| unsafe { sys::getgid(out) })
}

/// The caller's effective group id (the same as [`getgid`]).
///
/// # Errors
/// As [`getuid`].
pub fn getegid() -> io::Result<u32> {
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    sys::out_u32(|out| unsafe { sys::getegid(out) })
}

/// Calls a lookup that fills `(buf, buf_len, len_out)` with one line, growing
/// the buffer to the length the host asks for on `ERANGE`.
fn lookup_line(mut call: impl FnMut(&mut [u8], &mut usize) -> i32) -> io::Result<String> {
    // Small to start: a longer line costs one more call, which the host answers
    // with the exact length (and every lookup of user_ids exercises one path
    // or the other).
    let mut buf = vec![0u8; 32];
    // The file may grow between two calls; a few rounds settle it.
    for _ in 0..8 {
        let mut len = 0usize;
        let errno = call(&mut buf, &mut len);
        if errno == i32::from(wasi::ERRNO_RANGE.raw()) && len > buf.len() {
            buf.resize(len, 0);
            continue;
        }
        sys::cvt(errno)?;
        if len > buf.len() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the host reported a line longer than the buffer"));
        }
        buf.truncate(len);
        return String::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e));
    }
    Err(io::Error::from_raw_os_error(i32::from(wasi::ERRNO_RANGE.raw())))
}

/// The VM's `/etc/passwd` entry of `uid`.
///
/// # Errors
/// `ENOENT` (`ErrorKind::NotFound`) if no entry has that uid;
/// `ErrorKind::InvalidData` if the entry is malformed.
pub fn getpwuid(uid: u32) -> io::Result<Passwd> {
    let line = lookup_line(|buf, len| {
        // SAFETY: `buf` is a live buffer of exactly `buf.len()` bytes and
        // `len` a live `usize`; the host writes only inside them.
        unsafe { sys::getpwuid(uid, buf.as_mut_ptr(), buf.len(), len) }
    })?;
    Passwd::parse(&line)
}

/// The VM's `/etc/passwd` entry of the user called `name`.
///
/// # Errors
/// As [`getpwuid`].
pub fn getpwnam(name: &str) -> io::Result<Passwd> {
    let line = lookup_line(|buf, len| {
        // SAFETY: `name` is a live string of `name.len()` bytes, `buf` a live
        // buffer of exactly `buf.len()` bytes and `len` a live `usize`.
        unsafe { sys::getpwnam(name.as_ptr(), name.len(), buf.as_mut_ptr(), buf.len(), len) }
    })?;
    Passwd::parse(&line)
}

/// The VM's `/etc/group` entry of `gid`.
///
/// # Errors
/// `ENOENT` (`ErrorKind::NotFound`) if no group has that gid;
/// `ErrorKind::InvalidData` if the entry is malformed.
pub fn getgrgid(gid: u32) -> io::Result<Group> {
    let line = lookup_line(|buf, len| {
        // SAFETY: `buf` is a live buffer of exactly `buf.len()` bytes and
        // `len` a live `usize`; the host writes only inside them.
        unsafe { sys::getgrgid(gid, buf.as_mut_ptr(), buf.len(), len) }
    })?;
    Group::parse(&line)
}

/// The VM's `/etc/group` entry of the group called `name`.
///
/// `host_user` has no lookup of a group by name, so this reads the VM's
/// `/etc/group` itself (the file `getgrgid` answers from, and which every
/// process may read unless a VM image says otherwise). Malformed lines are
/// skipped.
///
/// # Errors
/// `ErrorKind::NotFound` if no group has that name; the error of reading
/// `/etc/group` (`ENOENT` if the VM has none).
pub fn getgrnam(name: &str) -> io::Result<Group> {
    let text = std::fs::read_to_string("/etc/group")?;
    text.lines()
        .filter(|line| line.split(':').next() == Some(name))
        .find_map(|line| Group::parse(line).ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no group named {name:?}")))
}
