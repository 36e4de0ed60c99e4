//! Plain data the kernel exchanges with its callers: file types, stat results,
//! open options, directory entries, readiness.

/// Nanoseconds since the Unix epoch (as WASI counts time).
pub type Timestamp = u64;

/// The kind of a file, as `stat` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// A regular file.
    RegularFile,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A character device (`/dev/null`, a terminal).
    CharDevice,
    /// A block device (only seen through host mounts).
    BlockDevice,
    /// A pipe.
    Fifo,
    /// A stream socket.
    SocketStream,
    /// A datagram socket.
    SocketDgram,
    /// A host stream whose kind is not known (a redirected stdout, say).
    Unknown,
}

/// What `stat` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Device id: one per VFS, one per host mount.
    pub dev: u64,
    /// Inode number, unique within `dev`.
    pub ino: u64,
    /// File type.
    pub file_type: FileType,
    /// Number of hard links.
    pub nlink: u64,
    /// Size in bytes (symlinks: length of the target).
    pub size: u64,
    /// Last access.
    pub atime: Timestamp,
    /// Last data modification.
    pub mtime: Timestamp,
    /// Last status change.
    pub ctime: Timestamp,
    /// Permission bits (`0o7777` range, no file-type bits).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// How to change one timestamp in a `set_times` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it unchanged.
    Keep,
    /// Set it to the kernel's current time.
    Now,
    /// Set it to this value.
    At(Timestamp),
}

/// Options for opening a path (the union of WASI's oflags, fdflags and rights).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create the file if it does not exist (O_CREAT).
    pub create: bool,
    /// With `create`: fail with `Exists` if it exists (O_EXCL).
    pub exclusive: bool,
    /// Truncate to zero length (O_TRUNC); needs `write`.
    pub truncate: bool,
    /// Fail with `NotDir` unless the target is a directory (O_DIRECTORY).
    pub directory: bool,
    /// Follow a symlink in the last component (WASI `lookupflags::SYMLINK_FOLLOW`).
    /// Without it, a symlink as last component gives `Loop` (O_NOFOLLOW).
    pub follow: bool,
    /// Every write appends (O_APPEND).
    pub append: bool,
    /// Reads and writes never block (O_NONBLOCK).
    pub nonblock: bool,
    /// Permission bits for a created file, before the umask.
    pub mode: u32,
}

/// Status flags of an open-file description that can change after open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusFlags {
    /// O_APPEND.
    pub append: bool,
    /// O_NONBLOCK.
    pub nonblock: bool,
    /// O_SYNC / O_DSYNC / O_RSYNC as requested; recorded, all writes are synchronous anyway.
    pub sync: bool,
    /// O_DSYNC.
    pub dsync: bool,
    /// O_RSYNC.
    pub rsync: bool,
}

/// One directory entry as `readdir` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Cookie to pass to `readdir` to continue after this entry.
    pub next_cookie: u64,
    /// Inode number.
    pub ino: u64,
    /// File type (symlinks are not followed).
    pub file_type: FileType,
    /// Name (`.` and `..` included).
    pub name: String,
}

/// Readiness of an open file for `poll`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    /// A read would not block; `Some(n)` if `n` bytes are known to be available.
    pub readable: Option<u64>,
    /// A write would not block; `Some(n)` bytes of room if known.
    pub writable: Option<u64>,
    /// The other end is gone (EOF on read, EPIPE on write).
    pub hangup: bool,
}

/// The clocks a guest can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockId {
    /// Wall-clock time.
    Realtime,
    /// Monotonic time since an arbitrary origin.
    Monotonic,
    /// CPU time of the process (approximated by the time since it started).
    ProcessCpuTime,
    /// CPU time of the thread (same approximation).
    ThreadCpuTime,
}
