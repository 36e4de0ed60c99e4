//! The path every host call takes: find the guest's memory, run the
//! implementation, and turn its result into an errno or a trap. Shared by
//! preview1 and capsa's extension modules.

use capsa_kernel::KernelError;
use wasmtime::{Caller, Extern};

use crate::ctx::{WasiCtx, WasiView};
use crate::errno::{Errno, errno_of};
use crate::exit::{GuestExit, KillReason};
use crate::memory::{BadPointer, GuestMemory};

/// How a host call fails.
#[derive(Debug)]
pub enum SysError {
    /// Return this errno to the guest.
    Errno(Errno),
    /// Unwind the guest with this error.
    Trap(wasmtime::Error),
}

/// Result of a host call's implementation.
pub type SysResult<T> = Result<T, SysError>;

impl From<Errno> for SysError {
    fn from(errno: Errno) -> Self {
        SysError::Errno(errno)
    }
}

impl From<KernelError> for SysError {
    fn from(err: KernelError) -> Self {
        match err {
            KernelError::LimitExceeded(kind) => {
                SysError::Trap(wasmtime::Error::new(GuestExit::Killed(KillReason::Output(kind))))
            }
            other => SysError::Errno(errno_of(&other)),
        }
    }
}

impl From<BadPointer> for SysError {
    fn from(err: BadPointer) -> Self {
        SysError::Trap(wasmtime::Error::new(err))
    }
}

impl From<KillReason> for SysError {
    fn from(reason: KillReason) -> Self {
        SysError::Trap(wasmtime::Error::new(GuestExit::Killed(reason)))
    }
}

/// Runs one call: finds the guest's memory, runs `body`, converts the result.
pub(crate) fn syscall<T: WasiView>(
    caller: &mut Caller<'_, T>,
    name: &'static str,
    body: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> SysResult<()>,
) -> wasmtime::Result<i32> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(wasmtime::Error::msg(format!("{name}: the module exports no memory")));
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    let mut mem = GuestMemory::new(bytes);
    let ctx = data.wasi();
    let _span = tracing::trace_span!("syscall", call = name).entered();
    let result = body(ctx, &mut mem);
    finish(ctx, name, result)
}

/// Runs a call that needs no guest memory.
pub(crate) fn syscall_nomem<T: WasiView>(
    caller: &mut Caller<'_, T>,
    name: &'static str,
    body: impl FnOnce(&mut WasiCtx) -> SysResult<()>,
) -> wasmtime::Result<i32> {
    let _span = tracing::trace_span!("syscall", call = name).entered();
    let ctx = caller.data_mut().wasi();
    let result = body(ctx);
    finish(ctx, name, result)
}

/// Converts a call's result. An `EINTR` while the process has a kill pending
/// means the kernel gave up a blocking wait because of that kill: the process
/// ends instead of seeing the errno.
fn finish(ctx: &WasiCtx, name: &'static str, result: SysResult<()>) -> wasmtime::Result<i32> {
    match result {
        Ok(()) => Ok(Errno::Success.raw()),
        Err(SysError::Errno(Errno::Intr)) if ctx.control.pending().is_some() => {
            let reason = ctx.control.pending().unwrap_or(KillReason::WallClock);
            Err(wasmtime::Error::new(GuestExit::Killed(reason)))
        }
        Err(SysError::Errno(errno)) => {
            tracing::trace!(call = name, ?errno, "errno");
            Ok(errno.raw())
        }
        Err(SysError::Trap(err)) => Err(err),
    }
}

/// The open file at `fd`, if the fd still has every right in `need`
/// (checked first: `ENOTCAPABLE` otherwise; `EBADF` for no such fd).
pub(crate) fn file_of(ctx: &WasiCtx, fd: u32, need: u64) -> SysResult<std::sync::Arc<capsa_kernel::OpenFile>> {
    let entry = ctx.fds.get(fd)?;
    if entry.rights.base & need != need {
        return Err(Errno::NotCapable.into());
    }
    Ok(entry.file.clone())
}

/// The directory an fd names, for use as the base of a path, if the fd has
/// the rights `need` (`ENOTCAPABLE` otherwise; `ENOTDIR` for a non-directory).
pub(crate) fn dir_of(ctx: &WasiCtx, fd: u32, need: u64) -> SysResult<std::sync::Arc<capsa_kernel::OpenFile>> {
    let file = file_of(ctx, fd, need)?;
    if !file.is_dir() {
        return Err(Errno::NotDir.into());
    }
    Ok(file)
}

/// Decodes lookup flags (bit 0: follow a final symlink; any other bit is `EINVAL`),
/// shared by preview1's `lookupflags` and `host_fs`.
pub(crate) fn follow(flags: u32) -> SysResult<bool> {
    const SYMLINK_FOLLOW: u32 = 1;
    if flags & !SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval.into());
    }
    Ok(flags & SYMLINK_FOLLOW != 0)
}

/// Reads a guest string as UTF-8 (`EILSEQ` otherwise).
pub(crate) fn read_str<'m>(mem: &'m GuestMemory<'_>, ptr: u32, len: u32) -> SysResult<&'m str> {
    let bytes = mem.slice(ptr, len)?;
    std::str::from_utf8(bytes).map_err(|_| SysError::Errno(Errno::Ilseq))
}

/// Registers a host function `$name` in import module `$import`, whose params
/// are listed as `name: type` and whose body is `$module::$func(ctx, mem, params…)`.
macro_rules! register {
    ($linker:ident, $import:expr, $name:literal, $module:ident :: $func:ident ( $($arg:ident : $ty:ty),* )) => {
        $linker.func_wrap($import, $name, |mut caller: Caller<'_, T>, $($arg: $ty),*| {
            syscall(&mut caller, $name, |ctx, mem| $module::$func(ctx, mem, $($arg),*))
        })?;
    };
}
pub(crate) use register;
