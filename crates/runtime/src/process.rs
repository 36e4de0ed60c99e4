//! Running one guest process: a wasmtime store with the process's WASI context
//! and limits, on a thread of its own, and the classification of how it ended.

use std::thread::JoinHandle;

use capsa_kernel::{LimitKind, WaitStatus};
use capsa_wasi::{GuestExit, KillReason, WasiCtx, WasiView};
use wasmtime::{Instance, InstancePre, PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};

use crate::RuntimeError;
use crate::config::Limits;
use crate::engine::on_demand_twin;
use crate::limiter::VmLimiter;
use crate::outcome::{ExitStatus, Limit};

/// Host stack kept for the host's own frames beyond the wasm stack.
const HOST_STACK_MARGIN: usize = 4 << 20;

/// The data of a process's wasmtime store.
pub struct ProcessData {
    /// The WASI context.
    pub wasi: WasiCtx,
    limiter: VmLimiter,
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

/// Like [`start`], on a thread that ran an earlier process with the same
/// stack size when one is waiting (see `workers`), which saves most of the
/// cost of a spawn. The thread outlives the process; `on_exit` still runs
/// when the process ends, and [`ProcessHandle::join`] returns its result.
///
/// # Errors
/// `Internal` if no thread waits and none can be started.
pub fn start_pooled(
    program: InstancePre<ProcessData>,
    ctx: WasiCtx,
    limits: Limits,
    on_exit: impl FnOnce(&Result<ExitStatus, RuntimeError>) + Send + 'static,
) -> Result<ProcessHandle, RuntimeError> {
    let stack = limits.stack.saturating_add(HOST_STACK_MARGIN);
    let (sender, result) = std::sync::mpsc::sync_channel(1);
    let job = move || {
        capsa_kernel::control::set_current(ctx.control.clone());
        let outcome = execute(&program, ctx, &limits);
        on_exit(&outcome);
        capsa_kernel::control::clear_current();
        // Nobody listens for a detached child: that is fine.
        let _ = sender.send(outcome);
    };
    crate::workers::run(stack, Box::new(job))
        .map_err(|e| RuntimeError::Internal(format!("cannot start a process thread: {e}")))?;
    Ok(ProcessHandle { result })
}

/// The end of a process started by [`start_pooled`]: like a thread's
/// `JoinHandle`, dropping it detaches the process.
#[derive(Debug)]
pub struct ProcessHandle {
    result: std::sync::mpsc::Receiver<Result<ExitStatus, RuntimeError>>,
}

impl ProcessHandle {
    /// Waits for the process to end and returns how it ended; `Err` (as
    /// from `JoinHandle::join`) if the runtime panicked while running it.
    pub fn join(self) -> std::thread::Result<Result<ExitStatus, RuntimeError>> {
        self.result.recv().map_err(|_| Box::new("a process thread panicked") as Box<dyn std::any::Any + Send>)
    }
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
    let mut store = new_store(program, ctx, limits)?;
    let instance = match program.instantiate(&mut store) {
        Ok(instance) => instance,
        Err(err) if err.downcast_ref::<PoolConcurrencyLimitError>().is_some() => {
            // Every slot of the engine's pool is taken: this process gets
            // its instance on demand from the engine's unpooled twin.
            tracing::debug!("instance pool full ({err}); instantiating on demand");
            let twin = on_demand_twin(program)?;
            store = new_store(&twin, store.into_data().wasi, limits)?;
            match twin.instantiate(&mut store) {
                Ok(instance) => instance,
                Err(err) => return instantiate_failed(&err, limits),
            }
        }
        Err(err) => return instantiate_failed(&err, limits),
    };
    run_start(instance, &mut store, limits)
}

/// A store for one process of `program`'s engine, with its limits, fuel and
/// epoch deadline set.
fn new_store(
    program: &InstancePre<ProcessData>,
    ctx: WasiCtx,
    limits: &Limits,
) -> Result<Store<ProcessData>, RuntimeError> {
    let control = ctx.control.clone();
    // Memories, GC heaps and tables are charged to the VM, not the process.
    let limiter = VmLimiter::new(ctx.kernel.budget().clone());
    let mut store = Store::new(program.module().engine(), ProcessData { wasi: ctx, limiter });
    store.limiter(|data| &mut data.limiter);
    store.set_fuel(limits.fuel).map_err(|e| RuntimeError::Internal(e.to_string()))?;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| match control.pending() {
        Some(reason) => Err(wasmtime::Error::new(GuestExit::Killed(reason))),
        None => Ok(UpdateDeadline::Continue(1)),
    });
    Ok(store)
}

/// A start function that traps or exits is the guest's doing; anything else
/// (limits on the declared minimums) is not runnable.
fn instantiate_failed(err: &wasmtime::Error, limits: &Limits) -> Result<ExitStatus, RuntimeError> {
    match classify(err, limits) {
        Some(status) => Ok(status),
        None => Err(RuntimeError::Instantiate(format!("{err:#}"))),
    }
}

/// Calls the command's `_start` and says how the process ended.
fn run_start(instance: Instance, store: &mut Store<ProcessData>, limits: &Limits) -> Result<ExitStatus, RuntimeError> {
    let start = instance
        .get_typed_func::<(), ()>(&mut *store, "_start")
        .map_err(|e| RuntimeError::NotCommand(e.to_string()))?;
    let status = match start.call(&mut *store, ()) {
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
