//! Running one guest process: a wasmtime store with the process's WASI context
//! and limits, on a thread of its own, and the classification of how it ended.

use std::thread::JoinHandle;

use capsa_kernel::{LimitKind, WaitStatus};
use capsa_wasi::{GuestExit, KillReason, WasiCtx, WasiView};
use wasmtime::{InstancePre, Store, StoreLimits, StoreLimitsBuilder, Trap, UpdateDeadline};

use crate::RuntimeError;
use crate::config::Limits;
use crate::outcome::{ExitStatus, Limit};

/// Host stack kept for the host's own frames beyond the wasm stack.
const HOST_STACK_MARGIN: usize = 4 << 20;
/// Most table elements an instance may have.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// The data of a process's wasmtime store.
pub struct ProcessData {
    /// The WASI context.
    pub wasi: WasiCtx,
    limits: StoreLimits,
}

impl WasiView for ProcessData {
    fn wasi(&mut self) -> &mut WasiCtx {
        &mut self.wasi
    }
}

/// Runs `module` as a process with `ctx` under `limits`, on a thread of its
/// own (wasm runs on the native stack, which must outgrow the wasm stack).
/// `on_exit` runs on that thread with the outcome, before the thread ends.
///
/// # Errors
/// `Internal` if the thread cannot be started.
pub fn start(
    program: InstancePre<ProcessData>,
    ctx: WasiCtx,
    limits: Limits,
    on_exit: impl FnOnce(&Result<ExitStatus, RuntimeError>) + Send + 'static,
) -> Result<JoinHandle<Result<ExitStatus, RuntimeError>>, RuntimeError> {
    let stack = limits.stack.saturating_add(HOST_STACK_MARGIN);
    std::thread::Builder::new()
        .name(format!("capsa-pid-{}", ctx.pid))
        .stack_size(stack)
        .spawn(move || {
            capsa_kernel::control::set_current(ctx.control.clone());
            let result = execute(&program, ctx, &limits);
            on_exit(&result);
            result
        })
        .map_err(|e| RuntimeError::Internal(format!("cannot start a process thread: {e}")))
}

/// What a parent's `waitpid` sees for a process that ended this way: traps
/// look like SIGABRT, limit kills like SIGKILL.
pub fn wait_status(result: &Result<ExitStatus, RuntimeError>) -> WaitStatus {
    match result {
        Ok(ExitStatus::Exited(code)) => WaitStatus::Exited(*code),
        Ok(ExitStatus::Signaled(signal)) => WaitStatus::Signaled(*signal),
        Ok(ExitStatus::Killed(_)) => WaitStatus::Signaled(SIGKILL),
        Ok(ExitStatus::Trapped(_)) | Err(_) => WaitStatus::Signaled(SIGABRT),
    }
}

const SIGABRT: u8 = 6;
const SIGKILL: u8 = 9;

fn execute(program: &InstancePre<ProcessData>, ctx: WasiCtx, limits: &Limits) -> Result<ExitStatus, RuntimeError> {
    let control = ctx.control.clone();
    let store_limits = StoreLimitsBuilder::new()
        .memory_size(usize::try_from(limits.memory).unwrap_or(usize::MAX))
        .table_elements(MAX_TABLE_ELEMENTS)
        .instances(1)
        .trap_on_grow_failure(false)
        .build();
    let mut store = Store::new(program.module().engine(), ProcessData { wasi: ctx, limits: store_limits });
    store.limiter(|data| &mut data.limits);
    store.set_fuel(limits.fuel).map_err(|e| RuntimeError::Internal(e.to_string()))?;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| match control.pending() {
        Some(reason) => Err(wasmtime::Error::new(GuestExit::Killed(reason))),
        None => Ok(UpdateDeadline::Continue(1)),
    });

    let instance = match program.instantiate(&mut store) {
        Ok(instance) => instance,
        Err(err) => {
            // A start function that traps or exits is the guest's doing;
            // anything else (limits on the declared minimums) is not runnable.
            return match classify(&err, limits) {
                Some(status) => Ok(status),
                None => Err(RuntimeError::Instantiate(format!("{err:#}"))),
            };
        }
    };
    let start =
        instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(|e| RuntimeError::NotCommand(e.to_string()))?;
    let status = match start.call(&mut store, ()) {
        Ok(()) => ExitStatus::Exited(0),
        Err(err) => classify(&err, limits).unwrap_or_else(|| ExitStatus::Trapped(format!("{err:#}"))),
    };
    Ok(status)
}

/// What a guest's error means, if it came from the guest or its limits.
fn classify(err: &wasmtime::Error, limits: &Limits) -> Option<ExitStatus> {
    if let Some(exit) = err.downcast_ref::<GuestExit>() {
        return Some(match *exit {
            GuestExit::Exit(code) => ExitStatus::Exited(code),
            GuestExit::Signal(signal) | GuestExit::Killed(KillReason::Signal(signal)) => ExitStatus::Signaled(signal),
            GuestExit::Killed(KillReason::WallClock) => ExitStatus::Killed(Limit::WallClock(limits.wall)),
            GuestExit::Killed(KillReason::Output(LimitKind::Stdout)) => {
                ExitStatus::Killed(Limit::Stdout(limits.stdout_bytes))
            }
            GuestExit::Killed(KillReason::Output(LimitKind::Stderr)) => {
                ExitStatus::Killed(Limit::Stderr(limits.stderr_bytes))
            }
        });
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        return Some(match trap {
            Trap::OutOfFuel => ExitStatus::Killed(Limit::Fuel(limits.fuel)),
            Trap::Interrupt => ExitStatus::Killed(Limit::WallClock(limits.wall)),
            other => ExitStatus::Trapped(other.to_string()),
        });
    }
    if let Some(bad) = err.downcast_ref::<capsa_wasi::memory::BadPointer>() {
        return Some(ExitStatus::Trapped(bad.to_string()));
    }
    None
}
