//! Helpers shared by capsa's guest test programs (`src/bin/<area>_<case>.rs`).
//!
//! Every program runs inside a capsa VM, asserts its own expectations (a failed
//! assertion panics, `panic = "abort"` turns that into a wasm trap, and the host
//! test sees the trap) and prints `ok` as its last line.
//!
//! [`p1`] wraps the raw `wasi_snapshot_preview1` imports of the `wasi` crate in
//! safe functions that return the exact [`Errno`], so that programs can check
//! both results and error numbers without `unsafe` of their own.

pub use wasi::{self, Errno, Fd};

pub mod p1;

/// The rights a read-only open asks for: everything but writing, as wasi-libc
/// asks for `O_RDONLY` (it also uses this set for directories).
pub const RIGHTS_READ: wasi::Rights = RIGHTS_ALL
    & !(wasi::RIGHTS_FD_DATASYNC
        | wasi::RIGHTS_FD_WRITE
        | wasi::RIGHTS_FD_ALLOCATE
        | wasi::RIGHTS_FD_FILESTAT_SET_SIZE);

/// The rights a read-write open of a file asks for.
pub const RIGHTS_RW: wasi::Rights = RIGHTS_ALL;

/// The rights a write-only open asks for (wasi-libc's `O_WRONLY`).
pub const RIGHTS_WRITE: wasi::Rights = RIGHTS_ALL & !(wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_READDIR);

/// Every right preview1 defines.
pub const RIGHTS_ALL: wasi::Rights = (1 << 30) - 1;

/// Asserts that a `Result<_, Errno>` is an error with one of the given errnos.
///
/// ```ignore
/// assert_errno!(p1::path_open(dir, 0, "missing", 0, RIGHTS_READ, 0), wasi::ERRNO_NOENT);
/// ```
#[macro_export]
macro_rules! assert_errno {
    ($result:expr, $($errno:expr),+ $(,)?) => {{
        let expected: &[$crate::Errno] = &[$($errno),+];
        match $result {
            Ok(_) => panic!(
                "{} succeeded; expected {}",
                stringify!($result),
                $crate::errno_names(expected),
            ),
            Err(got) => assert!(
                expected.contains(&got),
                "{} failed with {} ({}); expected {}",
                stringify!($result),
                got.name(),
                got.raw(),
                $crate::errno_names(expected),
            ),
        }
    }};
}

/// `"NOENT (44) or PERM (63)"`, for assertion messages.
pub fn errno_names(errnos: &[Errno]) -> String {
    errnos.iter().map(|e| format!("{} ({})", e.name(), e.raw())).collect::<Vec<_>>().join(" or ")
}

/// Asserts that a `std::io::Error` carries this WASI errno (Rust std on
/// wasm32-wasip1 reports the errno as the raw OS error).
#[track_caller]
pub fn assert_io_errno(err: &std::io::Error, errno: Errno) {
    assert_eq!(err.raw_os_error(), Some(i32::from(errno.raw())), "{err}: expected {} ({})", errno.name(), errno.raw());
}

/// Prints the closing `ok` line the host tests look for.
pub fn ok() {
    println!("ok");
}

/// The preopened directories, in fd order: `(fd, name)`.
pub fn preopens() -> Vec<(Fd, String)> {
    let mut found = Vec::new();
    for fd in 3.. {
        let Ok(len) = p1::prestat_dir_len(fd) else {
            break;
        };
        let mut name = vec![0; len];
        p1::prestat_dir_name(fd, &mut name).expect("fd_prestat_dir_name of a preopen");
        found.push((fd, String::from_utf8(name).expect("preopen name is UTF-8")));
    }
    found
}

/// The preopen announced under exactly this name.
#[track_caller]
pub fn preopen(name: &str) -> Fd {
    preopens()
        .into_iter()
        .find(|(_, n)| n == name)
        .unwrap_or_else(|| panic!("no preopen named {name:?}; have {:?}", preopens()))
        .0
}

/// A directory fd for an absolute guest path: the preopen itself if `path`
/// names one, else a fresh `path_open` of the rest beneath the preopen with the
/// longest matching prefix (the rule wasi-libc uses).
#[track_caller]
pub fn open_dir(path: &str) -> Fd {
    let (fd, name) = preopens()
        .into_iter()
        .filter(|(_, name)| is_prefix(name, path))
        .max_by_key(|(_, name)| name.len())
        .unwrap_or_else(|| panic!("no preopen contains {path:?}"));
    let rest = path[name.len()..].trim_start_matches('/');
    if rest.is_empty() {
        return fd;
    }
    p1::path_open(fd, wasi::LOOKUPFLAGS_SYMLINK_FOLLOW, rest, wasi::OFLAGS_DIRECTORY, RIGHTS_READ, 0)
        .unwrap_or_else(|e| panic!("opening directory {path:?}: {e:?}"))
}

fn is_prefix(preopen: &str, path: &str) -> bool {
    if preopen == "/" {
        return path.starts_with('/');
    }
    path == preopen || path.strip_prefix(preopen).is_some_and(|rest| rest.starts_with('/'))
}

/// The directory a program works in: its first argument (`/scratch` for a
/// host mount, `/tmp` for the VM's own filesystem), opened with [`open_dir`].
pub fn work_dir() -> Fd {
    let dir = std::env::args().nth(1).expect("usage: <program> <work directory>");
    open_dir(&dir)
}

/// Creates (or truncates) `path` beneath `dir` with these contents.
#[track_caller]
pub fn create_file(dir: Fd, path: &str, contents: &[u8]) {
    let fd = p1::path_open(dir, 0, path, wasi::OFLAGS_CREAT | wasi::OFLAGS_TRUNC, RIGHTS_RW, 0)
        .unwrap_or_else(|e| panic!("creating {path:?}: {e:?}"));
    write_all(fd, contents);
    p1::fd_close(fd).expect("closing a new file");
}

/// The whole contents of `path` beneath `dir`.
#[track_caller]
pub fn read_file(dir: Fd, path: &str) -> Vec<u8> {
    let fd = p1::path_open(dir, wasi::LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0, RIGHTS_READ, 0)
        .unwrap_or_else(|e| panic!("opening {path:?}: {e:?}"));
    let contents = read_to_end(fd);
    p1::fd_close(fd).expect("closing a file");
    contents
}

/// Writes all of `data` at the fd's position.
#[track_caller]
pub fn write_all(fd: Fd, mut data: &[u8]) {
    while !data.is_empty() {
        let n = p1::fd_write(fd, &[data]).expect("fd_write");
        assert!(n > 0, "fd_write wrote nothing");
        data = &data[n..];
    }
}

/// Writes all of `bufs` in order with `fd_write`, one vectored call after
/// another: a short count (the spec allows one; wasmtime writes only the first
/// non-empty iovec) continues where it stopped. Returns the number of calls.
#[track_caller]
pub fn write_vectored_all(fd: Fd, bufs: &[&[u8]]) -> usize {
    let mut rest: Vec<&[u8]> = bufs.iter().copied().filter(|b| !b.is_empty()).collect();
    let mut calls = 0;
    while !rest.is_empty() {
        let mut n = p1::fd_write(fd, &rest).expect("fd_write");
        calls += 1;
        assert!(n > 0, "fd_write wrote nothing");
        while n > 0 {
            let take = n.min(rest[0].len());
            rest[0] = &rest[0][take..];
            n -= take;
            if rest[0].is_empty() {
                rest.remove(0);
            }
        }
    }
    calls
}

/// Fills all of `bufs` in order with `fd_read` (or `fd_pread` from `offset`),
/// continuing after short counts; stops early at end of file. Returns the
/// number of bytes read.
#[track_caller]
pub fn read_vectored_full(fd: Fd, bufs: &mut [&mut [u8]], offset: Option<u64>) -> usize {
    let mut total = 0;
    let mut rest: Vec<&mut [u8]> = bufs.iter_mut().map(|b| &mut **b).filter(|b| !b.is_empty()).collect();
    while !rest.is_empty() {
        let n = match offset {
            None => p1::fd_read(fd, &mut rest).expect("fd_read"),
            Some(off) => p1::fd_pread(fd, &mut rest, off + total as u64).expect("fd_pread"),
        };
        if n == 0 {
            break;
        }
        total += n;
        let mut n = n;
        while n > 0 {
            let first = rest.remove(0);
            let take = n.min(first.len());
            n -= take;
            if take < first.len() {
                rest.insert(0, &mut first[take..]);
            }
        }
    }
    total
}

/// Reads from the fd's position to end of file.
#[track_caller]
pub fn read_to_end(fd: Fd) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = p1::fd_read(fd, &mut [&mut buf]).expect("fd_read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Whether `path` beneath `dir` exists (without following a final symlink).
pub fn exists(dir: Fd, path: &str) -> bool {
    match p1::path_filestat_get(dir, 0, path) {
        Ok(_) => true,
        Err(wasi::ERRNO_NOENT) => false,
        Err(e) => panic!("path_filestat_get({path:?}): {e:?}"),
    }
}

/// One entry decoded from an `fd_readdir` buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Cookie of the entry after this one.
    pub next: wasi::Dircookie,
    /// Inode number.
    pub ino: wasi::Inode,
    /// File type.
    pub kind: wasi::Filetype,
    /// Name (as many bytes of it as fit in the buffer).
    pub name: Vec<u8>,
    /// `d_namlen`: the full length of the name, even where `name` is cut short.
    pub namlen: usize,
}

impl DirEntry {
    /// The name as a string (lossy).
    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// Size of a `dirent` header in an `fd_readdir` buffer.
pub const DIRENT_SIZE: usize = 24;

/// Decodes the used part of an `fd_readdir` buffer. Entries whose header is cut
/// short are dropped; an entry whose name is cut short keeps the bytes present.
pub fn parse_dirents(mut buf: &[u8]) -> Vec<DirEntry> {
    let mut entries = Vec::new();
    while buf.len() >= DIRENT_SIZE {
        let next = u64::from_le_bytes(buf[0..8].try_into().unwrap());
        let ino = u64::from_le_bytes(buf[8..16].try_into().unwrap());
        let namlen = u32::from_le_bytes(buf[16..20].try_into().unwrap()) as usize;
        let kind = match buf[20] {
            0 => wasi::FILETYPE_UNKNOWN,
            1 => wasi::FILETYPE_BLOCK_DEVICE,
            2 => wasi::FILETYPE_CHARACTER_DEVICE,
            3 => wasi::FILETYPE_DIRECTORY,
            4 => wasi::FILETYPE_REGULAR_FILE,
            5 => wasi::FILETYPE_SOCKET_DGRAM,
            6 => wasi::FILETYPE_SOCKET_STREAM,
            7 => wasi::FILETYPE_SYMBOLIC_LINK,
            other => panic!("bad d_type {other}"),
        };
        let rest = &buf[DIRENT_SIZE..];
        let take = namlen.min(rest.len());
        entries.push(DirEntry { next, ino, kind, name: rest[..take].to_vec(), namlen });
        buf = &rest[take..];
    }
    entries
}

/// Every entry of a directory (including `.` and `..`), read with a buffer of
/// `buf_len` bytes and continued by cookie; a name cut short by the buffer is
/// read again from its own cookie.
#[track_caller]
pub fn read_dir_all(dir: Fd, buf_len: usize) -> Vec<DirEntry> {
    let mut all = Vec::new();
    let mut cookie = wasi::DIRCOOKIE_START;
    let mut buf = vec![0u8; buf_len];
    loop {
        let used = p1::fd_readdir(dir, &mut buf, cookie).expect("fd_readdir");
        assert!(used <= buf_len, "fd_readdir used {used} of {buf_len} bytes");
        let mut entries = parse_dirents(&buf[..used]);
        let full = used == buf_len;
        if full {
            // The last entry may be cut short; re-read it from its cookie.
            if entries.last().is_some_and(|e| e.name.len() < e.namlen) {
                entries.pop();
            }
            assert!(!entries.is_empty(), "buffer of {buf_len} bytes is too small for one entry");
        }
        if let Some(last) = entries.last() {
            cookie = last.next;
        }
        all.extend(entries);
        if !full {
            return all;
        }
    }
}

/// Sorted names of a directory's entries, without `.` and `..`.
#[track_caller]
pub fn list_names(dir: Fd) -> Vec<String> {
    let mut names: Vec<String> =
        read_dir_all(dir, 4096).into_iter().map(|e| e.name_str()).filter(|n| n != "." && n != "..").collect();
    names.sort();
    names
}
