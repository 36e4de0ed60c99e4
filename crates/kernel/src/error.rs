//! The kernel's error type. Every kernel operation returns [`KernelError`];
//! the WASI adapter maps each variant to exactly one errno.

use std::io;

/// Result of a kernel operation.
pub type Result<T, E = KernelError> = std::result::Result<T, E>;

/// Which always-on limit a process ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// The stdout byte cap.
    Stdout,
    /// The stderr byte cap.
    Stderr,
}

/// Why a kernel operation failed. Named after POSIX semantics, not errno numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// ENOENT: no such file or directory.
    #[error("no such file or directory")]
    NotFound,
    /// EEXIST: the name already exists.
    #[error("file exists")]
    Exists,
    /// ENOTDIR: a path component, or a target that must be one, is not a directory.
    #[error("not a directory")]
    NotDir,
    /// EISDIR: the operation needs a non-directory.
    #[error("is a directory")]
    IsDir,
    /// ENOTEMPTY: directory not empty.
    #[error("directory not empty")]
    NotEmpty,
    /// ELOOP: too many symbolic links, or a symlink where O_NOFOLLOW forbids one.
    #[error("too many levels of symbolic links")]
    Loop,
    /// EACCES: mode bits deny the caller, or a capability was not granted.
    #[error("permission denied")]
    AccessDenied,
    /// EPERM: the operation is not permitted, including every attempt to leave
    /// the directory a path is resolved beneath.
    #[error("operation not permitted")]
    NotPermitted,
    /// EROFS: write through a read-only layer or mount.
    #[error("read-only file system")]
    ReadOnly,
    /// ENOSPC: the VFS byte or inode quota is exhausted.
    #[error("no space left on device (quota)")]
    NoSpace,
    /// EBADF: not an open fd, or not open for this kind of access.
    #[error("bad file descriptor")]
    BadFd,
    /// EINVAL: invalid argument.
    #[error("invalid argument")]
    Invalid,
    /// ENAMETOOLONG: a path or a component is too long.
    #[error("file name too long")]
    NameTooLong,
    /// EILSEQ: a path is not valid UTF-8.
    #[error("illegal byte sequence")]
    IllegalSequence,
    /// EXDEV: a link or rename across mounts.
    #[error("cross-device link")]
    CrossDevice,
    /// EBUSY: the resource is in use (e.g. removing a mount point).
    #[error("resource busy")]
    Busy,
    /// ENOTSUP: not supported for this kind of file.
    #[error("operation not supported")]
    NotSupported,
    /// ENOSYS: the function is not implemented, or the capability behind it was not granted.
    #[error("function not implemented")]
    NoSys,
    /// EMFILE: the per-process fd limit is reached.
    #[error("too many open files")]
    TooManyFiles,
    /// ENFILE: the VM holds as many host files open as its budget allows.
    #[error("too many open files in the VM")]
    VmFileLimit,
    /// ENOMEM: the VM's memory budget cannot hold what the call needs.
    #[error("not enough memory (the VM's memory budget)")]
    NoMemory,
    /// ENXIO: a FIFO or socket file in a host mount, which capsa never opens
    /// (opening one could block the host).
    #[error("no such device or address")]
    NoDevice,
    /// EMLINK: too many hard links.
    #[error("too many links")]
    TooManyLinks,
    /// EFBIG: the file would grow past the largest size the VFS allows.
    #[error("file too large")]
    FileTooBig,
    /// EOVERFLOW: a value does not fit (e.g. seek past `i64::MAX`).
    #[error("value too large")]
    Overflow,
    /// EAGAIN: would block on a non-blocking descriptor, or a table is full.
    #[error("resource temporarily unavailable")]
    WouldBlock,
    /// EINTR: interrupted (the process is being killed).
    #[error("interrupted")]
    Interrupted,
    /// EPIPE: write to a pipe with no reader.
    #[error("broken pipe")]
    BrokenPipe,
    /// ESPIPE: seek on a stream.
    #[error("illegal seek")]
    IllegalSeek,
    /// ENOTTY: not a terminal.
    #[error("not a terminal")]
    NotTty,
    /// ENOTSOCK: socket call on a non-socket.
    #[error("not a socket")]
    NotSocket,
    /// EIO: a host I/O error that has no closer meaning.
    #[error("input/output error")]
    Io,
    /// ENOEXEC: the file is neither a wasm module nor a `#!` script.
    #[error("exec format error")]
    NotExecutable,
    /// ECHILD: no child process matches.
    #[error("no child processes")]
    NoChild,
    /// ESRCH: no such process or process group.
    #[error("no such process")]
    NoSuchProcess,
    /// E2BIG: an argument or environment list is too long.
    #[error("argument list too long")]
    ArgListTooLong,
    /// ERANGE: a result does not fit the caller's buffer.
    #[error("result too large")]
    Range,
    /// EADDRINUSE: the address and port are taken (or no ephemeral port is free for a bind).
    #[error("address in use")]
    AddrInUse,
    /// EADDRNOTAVAIL: the address is not one of the VM's own, or no ephemeral
    /// port is free for a connect.
    #[error("address not available")]
    AddrNotAvailable,
    /// EAFNOSUPPORT: the address is not of the socket's family.
    #[error("address family not supported")]
    AddrFamily,
    /// ECONNREFUSED: nothing listens at the destination, or egress policy refused it.
    #[error("connection refused")]
    ConnectionRefused,
    /// ECONNRESET: the peer closed the connection abortively.
    #[error("connection reset by peer")]
    ConnectionReset,
    /// ENOTCONN: the socket is not connected.
    #[error("socket not connected")]
    NotConnected,
    /// EISCONN: the socket is already connected.
    #[error("socket already connected")]
    IsConnected,
    /// EINPROGRESS: a non-blocking connect has begun and will finish later.
    #[error("operation in progress")]
    InProgress,
    /// EALREADY: a connect on this socket is already in progress.
    #[error("operation already in progress")]
    Already,
    /// EDESTADDRREQ: a datagram needs a destination and the socket has no peer.
    #[error("destination address required")]
    DestAddrRequired,
    /// EMSGSIZE: a datagram is larger than the largest one the network carries.
    #[error("message too long")]
    MessageSize,
    /// EPROTO: a TLS handshake failed (the certificate is not trusted for the
    /// name, or the peer does not speak TLS).
    #[error("protocol error")]
    Protocol,
    /// A hard per-instance limit was reached; the process must be ended.
    #[error("{0:?} limit reached")]
    LimitExceeded(LimitKind),
}

impl From<io::Error> for KernelError {
    /// Maps a host I/O error (from a host mount or a host stream) onto the kernel's
    /// vocabulary. The raw OS error is preferred; the kind is the fallback.
    fn from(err: io::Error) -> Self {
        if let Some(code) = err.raw_os_error()
            && let Some(mapped) = from_os_code(code)
        {
            return mapped;
        }
        match err.kind() {
            io::ErrorKind::NotFound => KernelError::NotFound,
            io::ErrorKind::PermissionDenied => KernelError::NotPermitted,
            io::ErrorKind::AlreadyExists => KernelError::Exists,
            io::ErrorKind::WouldBlock => KernelError::WouldBlock,
            io::ErrorKind::InvalidInput => KernelError::Invalid,
            io::ErrorKind::Interrupted => KernelError::Interrupted,
            io::ErrorKind::BrokenPipe => KernelError::BrokenPipe,
            io::ErrorKind::NotADirectory => KernelError::NotDir,
            io::ErrorKind::IsADirectory => KernelError::IsDir,
            io::ErrorKind::DirectoryNotEmpty => KernelError::NotEmpty,
            io::ErrorKind::ReadOnlyFilesystem => KernelError::ReadOnly,
            io::ErrorKind::StorageFull => KernelError::NoSpace,
            io::ErrorKind::CrossesDevices => KernelError::CrossDevice,
            io::ErrorKind::InvalidFilename => KernelError::NameTooLong,
            io::ErrorKind::Unsupported => KernelError::NotSupported,
            io::ErrorKind::AddrInUse => KernelError::AddrInUse,
            io::ErrorKind::AddrNotAvailable => KernelError::AddrNotAvailable,
            io::ErrorKind::ConnectionRefused => KernelError::ConnectionRefused,
            io::ErrorKind::ConnectionReset => KernelError::ConnectionReset,
            io::ErrorKind::NotConnected => KernelError::NotConnected,
            _ => KernelError::Io,
        }
    }
}

/// Linux errno values a host mount can produce, mapped by meaning.
fn from_os_code(code: i32) -> Option<KernelError> {
    Some(match code {
        1 => KernelError::NotPermitted,        // EPERM
        2 => KernelError::NotFound,            // ENOENT
        3 => KernelError::NoSuchProcess,       // ESRCH
        4 => KernelError::Interrupted,         // EINTR
        6 => KernelError::NoDevice,            // ENXIO
        7 => KernelError::ArgListTooLong,      // E2BIG
        8 => KernelError::NotExecutable,       // ENOEXEC
        9 => KernelError::BadFd,               // EBADF
        10 => KernelError::NoChild,            // ECHILD
        11 => KernelError::WouldBlock,         // EAGAIN
        12 => KernelError::NoMemory,           // ENOMEM
        13 => KernelError::AccessDenied,       // EACCES
        16 => KernelError::Busy,               // EBUSY
        17 => KernelError::Exists,             // EEXIST
        18 => KernelError::CrossDevice,        // EXDEV
        20 => KernelError::NotDir,             // ENOTDIR
        21 => KernelError::IsDir,              // EISDIR
        22 => KernelError::Invalid,            // EINVAL
        23 => KernelError::VmFileLimit,        // ENFILE
        24 => KernelError::TooManyFiles,       // EMFILE
        27 => KernelError::FileTooBig,         // EFBIG
        28 => KernelError::NoSpace,            // ENOSPC
        29 => KernelError::IllegalSeek,        // ESPIPE
        30 => KernelError::ReadOnly,           // EROFS
        31 => KernelError::TooManyLinks,       // EMLINK
        32 => KernelError::BrokenPipe,         // EPIPE
        34 => KernelError::Range,              // ERANGE
        36 => KernelError::NameTooLong,        // ENAMETOOLONG
        38 => KernelError::NoSys,              // ENOSYS
        39 => KernelError::NotEmpty,           // ENOTEMPTY
        40 => KernelError::Loop,               // ELOOP
        71 => KernelError::Protocol,           // EPROTO
        75 => KernelError::Overflow,           // EOVERFLOW
        84 => KernelError::IllegalSequence,    // EILSEQ
        88 => KernelError::NotSocket,          // ENOTSOCK
        89 => KernelError::DestAddrRequired,   // EDESTADDRREQ
        90 => KernelError::MessageSize,        // EMSGSIZE
        95 => KernelError::NotSupported,       // EOPNOTSUPP
        97 => KernelError::AddrFamily,         // EAFNOSUPPORT
        98 => KernelError::AddrInUse,          // EADDRINUSE
        99 => KernelError::AddrNotAvailable,   // EADDRNOTAVAIL
        104 => KernelError::ConnectionReset,   // ECONNRESET
        106 => KernelError::IsConnected,       // EISCONN
        107 => KernelError::NotConnected,      // ENOTCONN
        111 => KernelError::ConnectionRefused, // ECONNREFUSED
        114 => KernelError::Already,           // EALREADY
        115 => KernelError::InProgress,        // EINPROGRESS
        _ => return None,
    })
}
