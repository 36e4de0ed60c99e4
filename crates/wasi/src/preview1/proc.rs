//! `proc_raise` and `sched_yield` (`proc_exit` is registered directly: it only unwinds).

use super::{SysError, SysResult};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::exit::GuestExit;

/// What a signal does to a process that cannot install handlers (preview1
/// guests cannot): nothing, stop, or terminate.
enum Disposition {
    Ignore,
    Stop,
    Terminate(u8),
}

/// Default disposition of a preview1 signal number; terminating signals carry
/// their Linux number (used for the exit status 128+n).
fn disposition(signal: u32) -> Result<Disposition, Errno> {
    Ok(match signal {
        // 1..=15 are numbered as on Linux.
        1..=15 => Disposition::Terminate(signal as u8),
        16 | 17 | 22 | 27 => Disposition::Ignore, // CHLD CONT URG WINCH
        18..=21 => Disposition::Stop,             // STOP TSTP TTIN TTOU
        23 => Disposition::Terminate(24),         // XCPU
        24 => Disposition::Terminate(25),         // XFSZ
        25 => Disposition::Terminate(26),         // VTALRM
        26 => Disposition::Terminate(27),         // PROF
        28 => Disposition::Terminate(29),         // POLL
        29 => Disposition::Terminate(30),         // PWR
        30 => Disposition::Terminate(31),         // SYS
        _ => return Err(Errno::Inval),
    })
}

/// `proc_raise(sig)`: signal 0 checks nothing and succeeds; an ignored signal
/// succeeds; a terminating signal ends the process as killed by it. Job-control
/// stops are not supported (ENOTSUP).
pub fn proc_raise(_ctx: &mut WasiCtx, signal: u32) -> SysResult<()> {
    if signal == 0 {
        return Ok(());
    }
    match disposition(signal)? {
        Disposition::Ignore => Ok(()),
        Disposition::Stop => Err(Errno::NotSup.into()),
        Disposition::Terminate(linux) => Err(SysError::Trap(wasmtime::Error::new(GuestExit::Signal(linux)))),
    }
}

/// `sched_yield()`: yields the host thread running this process.
pub fn sched_yield(_ctx: &mut WasiCtx) -> SysResult<()> {
    std::thread::yield_now();
    Ok(())
}
