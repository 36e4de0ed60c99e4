//! WASI preview1 errno values and the one mapping from kernel errors onto them.

use capsa_kernel::KernelError;

/// A `wasi_snapshot_preview1` errno. The discriminants are the ABI values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
#[allow(missing_docs)] // The names are the preview1 names; the spec documents them.
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Acces = 2,
    AddrInUse = 3,
    AddrNotAvail = 4,
    AfNoSupport = 5,
    Again = 6,
    Already = 7,
    Badf = 8,
    BadMsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    ConnAborted = 13,
    ConnRefused = 14,
    ConnReset = 15,
    Deadlk = 16,
    DestAddrReq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    HostUnreach = 23,
    Idrm = 24,
    Ilseq = 25,
    InProgress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    IsConn = 30,
    IsDir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    MsgSize = 35,
    Multihop = 36,
    NameTooLong = 37,
    NetDown = 38,
    NetReset = 39,
    NetUnreach = 40,
    Nfile = 41,
    NoBufs = 42,
    NoDev = 43,
    NoEnt = 44,
    NoExec = 45,
    NoLck = 46,
    NoLink = 47,
    NoMem = 48,
    NoMsg = 49,
    NoProtoOpt = 50,
    NoSpc = 51,
    NoSys = 52,
    NotConn = 53,
    NotDir = 54,
    NotEmpty = 55,
    NotRecoverable = 56,
    NotSock = 57,
    NotSup = 58,
    NoTty = 59,
    Nxio = 60,
    Overflow = 61,
    OwnerDead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    ProtoNoSupport = 66,
    ProtoType = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    TimedOut = 73,
    TxtBsy = 74,
    Xdev = 75,
    NotCapable = 76,
}

impl Errno {
    /// The ABI value returned to the guest.
    pub fn raw(self) -> i32 {
        self as u16 as i32
    }
}

/// Maps a kernel error to its errno. Exhaustive on purpose: a new kernel error
/// must be given a meaning here. `LimitExceeded` never reaches the guest (the
/// adapter ends the process first); its errno is only a fallback.
pub fn errno_of(err: &KernelError) -> Errno {
    match err {
        KernelError::NotFound => Errno::NoEnt,
        KernelError::Exists => Errno::Exist,
        KernelError::NotDir => Errno::NotDir,
        KernelError::IsDir => Errno::IsDir,
        KernelError::NotEmpty => Errno::NotEmpty,
        KernelError::Loop => Errno::Loop,
        KernelError::AccessDenied => Errno::Acces,
        KernelError::NotPermitted => Errno::Perm,
        KernelError::ReadOnly => Errno::Rofs,
        KernelError::NoSpace => Errno::NoSpc,
        KernelError::BadFd => Errno::Badf,
        KernelError::Invalid => Errno::Inval,
        KernelError::NameTooLong => Errno::NameTooLong,
        KernelError::IllegalSequence => Errno::Ilseq,
        KernelError::CrossDevice => Errno::Xdev,
        KernelError::Busy => Errno::Busy,
        KernelError::NotSupported => Errno::NotSup,
        KernelError::NoSys => Errno::NoSys,
        KernelError::TooManyFiles => Errno::Mfile,
        KernelError::VmFileLimit => Errno::Nfile,
        KernelError::NoMemory => Errno::NoMem,
        KernelError::NoDevice => Errno::Nxio,
        KernelError::TooManyLinks => Errno::Mlink,
        KernelError::FileTooBig => Errno::Fbig,
        KernelError::Overflow => Errno::Overflow,
        KernelError::WouldBlock => Errno::Again,
        KernelError::Interrupted => Errno::Intr,
        KernelError::BrokenPipe => Errno::Pipe,
        KernelError::IllegalSeek => Errno::Spipe,
        KernelError::NotTty => Errno::NoTty,
        KernelError::NotSocket => Errno::NotSock,
        KernelError::Io => Errno::Io,
        KernelError::NotExecutable => Errno::NoExec,
        KernelError::NoChild => Errno::Child,
        KernelError::NoSuchProcess => Errno::Srch,
        KernelError::ArgListTooLong => Errno::TooBig,
        KernelError::Range => Errno::Range,
        KernelError::AddrInUse => Errno::AddrInUse,
        KernelError::AddrNotAvailable => Errno::AddrNotAvail,
        KernelError::AddrFamily => Errno::AfNoSupport,
        KernelError::ConnectionRefused => Errno::ConnRefused,
        KernelError::ConnectionReset => Errno::ConnReset,
        KernelError::NotConnected => Errno::NotConn,
        KernelError::IsConnected => Errno::IsConn,
        KernelError::InProgress => Errno::InProgress,
        KernelError::Already => Errno::Already,
        KernelError::DestAddrRequired => Errno::DestAddrReq,
        KernelError::MessageSize => Errno::MsgSize,
        KernelError::Protocol => Errno::Proto,
        KernelError::LimitExceeded(_) => Errno::Fbig,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capsa_kernel::LimitKind;

    /// Every kernel error maps to a distinct errno (apart from the fallback
    /// for limits, which never reaches a guest), and none maps to success.
    #[test]
    fn every_kernel_error_has_its_own_errno() {
        let all = [
            KernelError::NotFound,
            KernelError::Exists,
            KernelError::NotDir,
            KernelError::IsDir,
            KernelError::NotEmpty,
            KernelError::Loop,
            KernelError::AccessDenied,
            KernelError::NotPermitted,
            KernelError::ReadOnly,
            KernelError::NoSpace,
            KernelError::BadFd,
            KernelError::Invalid,
            KernelError::NameTooLong,
            KernelError::IllegalSequence,
            KernelError::CrossDevice,
            KernelError::Busy,
            KernelError::NotSupported,
            KernelError::NoSys,
            KernelError::TooManyFiles,
            KernelError::VmFileLimit,
            KernelError::NoMemory,
            KernelError::NoDevice,
            KernelError::TooManyLinks,
            KernelError::FileTooBig,
            KernelError::Overflow,
            KernelError::WouldBlock,
            KernelError::Interrupted,
            KernelError::BrokenPipe,
            KernelError::IllegalSeek,
            KernelError::NotTty,
            KernelError::NotSocket,
            KernelError::Io,
            KernelError::NotExecutable,
            KernelError::NoChild,
            KernelError::NoSuchProcess,
            KernelError::ArgListTooLong,
            KernelError::Range,
            KernelError::AddrInUse,
            KernelError::AddrNotAvailable,
            KernelError::AddrFamily,
            KernelError::ConnectionRefused,
            KernelError::ConnectionReset,
            KernelError::NotConnected,
            KernelError::IsConnected,
            KernelError::InProgress,
            KernelError::Already,
            KernelError::DestAddrRequired,
            KernelError::MessageSize,
            KernelError::Protocol,
        ];
        let mut seen = std::collections::HashSet::new();
        for err in &all {
            let errno = errno_of(err);
            assert_ne!(errno, Errno::Success, "{err:?}");
            assert!(seen.insert(errno), "{err:?} shares errno {errno:?}");
        }
        assert_eq!(errno_of(&KernelError::LimitExceeded(LimitKind::Stdout)), Errno::Fbig);
        assert_eq!(Errno::NotCapable.raw(), 76);
        assert_eq!(Errno::NoSys.raw(), 52);
    }
}
