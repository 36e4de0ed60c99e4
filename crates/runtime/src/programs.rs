//! Making a module ready to run: compiled, checked (imports, an entry) and
//! pre-linked, once, and kept where its origin says.
//!
//! - A module the host vouches for (an embedder's module,
//!   a toolchain, the command suite, a file of a read-only mount) is cached
//!   on disk ([`crate::modules`]) and in its engine's bounded memo, shared by
//!   every VM.
//! - A module a guest could have written (a file of the
//!   VM's own filesystem or of a writable mount) is compiled at its VM's
//!   expense: at most [`MAX_GUEST_MODULE`] bytes; a small one compiled by
//!   the spawning thread, a larger one on the compile pool, one at a time
//!   per VM, while the spawning process waits within its own limits (either
//!   way the compile's CPU time is the VM's); kept in that VM's memory only
//!   (`GuestPrograms`), its
//!   bytes and compiled code charged to the VM's memory budget for as long
//!   as the VM keeps it or a process runs it. Nothing a guest writes reaches
//!   the disk cache or another VM.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use capsa_kernel::{Kernel, KillReason, MemoryCharge, ProcessControl, SharedBytes};
use wasmtime::{ExternType, InstancePre, Module};

use crate::RuntimeError;
use crate::compile::{self, Gate};
use crate::engine::EngineEntry;
use crate::memo::Memo;
use crate::modules::{ModuleStore, digest};
use crate::process::{ProcessData, thread_cpu};

/// Largest module a guest may have compiled, in bytes: compile time and
/// memory grow with it, and the compiler cannot be stopped once it starts.
pub const MAX_GUEST_MODULE: usize = 64 << 20;
/// Most guest-written modules one VM keeps compiled.
const GUEST_PROGRAMS: usize = 32;
/// Largest module compiled on the requesting thread itself, in bytes:
/// Cranelift takes a fraction of a second for it, so even past a deadline
/// the requester stops soon after. Larger ones go to the compile pool.
pub const INLINE_COMPILE: usize = 1 << 20;

/// A runnable command: a pre-linked module and, for a guest's, its charge to
/// the VM's memory budget (held by the VM's memo and by each process running it).
#[derive(Clone)]
pub(crate) struct Program {
    pub(crate) pre: InstancePre<ProcessData>,
    pub(crate) charge: Option<Arc<MemoryCharge>>,
}

/// Why a module could not be made ready.
#[derive(Debug)]
pub(crate) enum PrepareError {
    /// Not a runnable module, or the runtime failed.
    Runtime(RuntimeError),
    /// The requester was killed or reached its deadline while waiting.
    Stopped(KillReason),
    /// A guest's module is too large, or its VM's memory budget cannot hold it.
    Budget,
}

impl From<RuntimeError> for PrepareError {
    fn from(err: RuntimeError) -> Self {
        PrepareError::Runtime(err)
    }
}

/// What a wait on the compile pool ended with, as a [`PrepareError`].
fn stopped(reason: Option<KillReason>) -> PrepareError {
    match reason {
        Some(reason) => PrepareError::Stopped(reason),
        None => PrepareError::Runtime(RuntimeError::Internal("a compile job panicked".into())),
    }
}

/// A host module known by `sha` made ready on this thread: from the
/// engine's memo, else from the disk cache or compiled (`wasm` is called
/// for the bytes only then), checked and pre-linked. For what must be ready
/// before any deadline applies (a toolchain, the command suite).
///
/// # Errors
/// Not a runnable module; `wasm`'s own error.
pub(crate) fn host_program<'a>(
    store: &ModuleStore,
    engine: &EngineEntry,
    sha: &[u8; 32],
    wasm: &mut dyn FnMut() -> Result<Cow<'a, [u8]>, RuntimeError>,
) -> Result<InstancePre<ProcessData>, RuntimeError> {
    if let Some(program) = engine.programs.lock().unwrap_or_else(|p| p.into_inner()).get(sha) {
        return Ok(program);
    }
    compile_host(store, engine, sha, wasm)
}

/// [`host_program`] for a requester with a deadline (`until`, its process):
/// what takes milliseconds (the memo, the disk cache, a module of at most
/// [`INLINE_COMPILE`] bytes) happens here; a larger compile happens on the
/// compile pool while the requester waits only as long as it may go on.
/// `shared` is `wasm` when its owner already holds it shared (no copy).
///
/// # Errors
/// As [`PrepareError`].
pub(crate) fn host_program_within(
    store: &ModuleStore,
    engine: &Arc<EngineEntry>,
    sha: &[u8; 32],
    wasm: Wasm<'_>,
    until: &ProcessControl,
) -> Result<InstancePre<ProcessData>, PrepareError> {
    if let Some(program) = engine.programs.lock().unwrap_or_else(|p| p.into_inner()).get(sha) {
        return Ok(program);
    }
    // A cached module is loaded without looking at the bytes (a vouched-for
    // host program is then never read).
    if store.is_cached(engine, sha) || wasm.len() <= INLINE_COMPILE {
        return Ok(compile_host(store, engine, sha, &mut || Ok(Cow::Borrowed(wasm.bytes())))?);
    }
    let owned = wasm.to_shared();
    let (store, engine, sha) = (store.clone(), engine.clone(), *sha);
    let ticket = compile::submit(move || compile_host(&store, &engine, &sha, &mut || Ok(Cow::Borrowed(&owned))));
    Ok(ticket.wait(until).map_err(stopped)??)
}

/// A host module's bytes, as the caller has them.
#[derive(Clone, Copy)]
pub(crate) enum Wasm<'a> {
    /// Plain bytes.
    Slice(&'a [u8]),
    /// Shared bytes, possibly not read yet.
    Shared(&'a SharedBytes),
}

impl Wasm<'_> {
    fn len(&self) -> usize {
        match self {
            Wasm::Slice(bytes) => bytes.len(),
            Wasm::Shared(bytes) => bytes.len(),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Wasm::Slice(bytes) => bytes,
            Wasm::Shared(bytes) => bytes,
        }
    }

    fn to_shared(self) -> SharedBytes {
        match self {
            Wasm::Slice(bytes) => SharedBytes::from(bytes.to_vec()),
            Wasm::Shared(bytes) => bytes.clone(),
        }
    }
}

fn compile_host<'a>(
    store: &ModuleStore,
    engine: &EngineEntry,
    sha: &[u8; 32],
    wasm: &mut dyn FnMut() -> Result<Cow<'a, [u8]>, RuntimeError>,
) -> Result<InstancePre<ProcessData>, RuntimeError> {
    // Processes that want the same new module wait for the first to
    // compile it instead of all compiling it at once; other modules
    // compile meanwhile.
    let slot = CompileSlot::take(sha);
    let _one_at_a_time = slot.lock.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(program) = engine.programs.lock().unwrap_or_else(|p| p.into_inner()).get(sha) {
        return Ok(program);
    }
    let module = store.load(engine, sha, wasm)?;
    let program = link(engine, &module)?;
    engine.programs.lock().unwrap_or_else(|p| p.into_inner()).insert(*sha, program.clone(), image_bytes(&module));
    Ok(program)
}

/// The lock that serialises compilations of one module (by digest) in this
/// host process. It lives in a table while someone holds or waits for it,
/// and leaves the table with its last holder, so the table stays as small
/// as the set of compilations in progress.
struct CompileSlot {
    sha: [u8; 32],
    lock: Arc<Mutex<()>>,
}

static SLOTS: Mutex<BTreeMap<[u8; 32], Arc<Mutex<()>>>> = Mutex::new(BTreeMap::new());

impl CompileSlot {
    fn take(sha: &[u8; 32]) -> CompileSlot {
        let lock = SLOTS.lock().unwrap_or_else(|p| p.into_inner()).entry(*sha).or_default().clone();
        CompileSlot { sha: *sha, lock }
    }
}

impl Drop for CompileSlot {
    fn drop(&mut self) {
        let mut slots = SLOTS.lock().unwrap_or_else(|p| p.into_inner());
        // The table's reference and this one: nobody else waits for it.
        if Arc::strong_count(&self.lock) <= 2 {
            slots.remove(&self.sha);
        }
    }
}

/// One VM's guest-written modules: its own memo, its turn at the compile
/// pool, and the budget their compiled forms are charged to.
pub(crate) struct GuestPrograms {
    memo: Mutex<Memo<Program>>,
    gate: Arc<Gate>,
    /// The VM's kernel: its budget pays for the compiles and their results.
    kernel: Arc<Kernel>,
}

impl GuestPrograms {
    pub(crate) fn new(kernel: Arc<Kernel>) -> Self {
        GuestPrograms { memo: Mutex::new(Memo::new(GUEST_PROGRAMS, u64::MAX)), gate: Arc::default(), kernel }
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Memo<Program>> {
        self.memo.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A module a guest of this VM wrote, made ready at the VM's expense.
    /// The host's copy is used when the host already has the same bytes
    /// compiled (a guest copying an installed command).
    ///
    /// # Errors
    /// `Budget` for a module over [`MAX_GUEST_MODULE`] or beyond the VM's
    /// memory budget; `Stopped` if the requester must stop meanwhile; an
    /// invalid module.
    pub(crate) fn prepare(
        &self,
        engine: &Arc<EngineEntry>,
        bytes: &SharedBytes,
        until: &ProcessControl,
    ) -> Result<Program, PrepareError> {
        if bytes.len() > MAX_GUEST_MODULE {
            return Err(PrepareError::Budget);
        }
        let sha = digest(bytes);
        if let Some(program) = self.memo().get(&sha) {
            return Ok(program);
        }
        if let Some(pre) = engine.programs.lock().unwrap_or_else(|p| p.into_inner()).get(&sha) {
            return Ok(Program { pre, charge: None });
        }
        let (pre, image) = if bytes.len() <= INLINE_COMPILE {
            compile_guest(engine, bytes)?
        } else {
            let turn = self.gate.enter(until).map_err(PrepareError::Stopped)?;
            let (job_engine, job_bytes, kernel) = (engine.clone(), bytes.clone(), self.kernel.clone());
            let ticket = compile::submit(move || {
                let _turn = turn;
                // The compile thread's time is the VM's, as its own threads' is.
                let started = thread_cpu();
                let compiled = compile_guest(&job_engine, &job_bytes);
                kernel.charge_cpu(thread_cpu().saturating_sub(started));
                compiled
            });
            ticket.wait(until).map_err(stopped)??
        };
        let charge = Arc::new(self.charge(bytes.len() as u64 + image)?);
        let program = Program { pre, charge: Some(charge) };
        // Evicted programs give their charge back once no process runs them.
        drop(self.memo().insert(sha, program.clone(), 0));
        Ok(program)
    }

    /// Charges `bytes` to the VM, letting the VM's least recently used
    /// compiled modules go to make room if need be.
    fn charge(&self, bytes: u64) -> Result<MemoryCharge, PrepareError> {
        loop {
            if let Ok(charge) = self.kernel.budget().charge_memory(bytes) {
                return Ok(charge);
            }
            if self.memo().pop_oldest().is_none() {
                return Err(PrepareError::Budget);
            }
        }
    }
}

/// Compiles a guest's module (never cached on disk) and pre-links it;
/// also says how many bytes its compiled form holds.
fn compile_guest(engine: &EngineEntry, wasm: &[u8]) -> Result<(InstancePre<ProcessData>, u64), RuntimeError> {
    let module = Module::new(&engine.engine, wasm).map_err(|e| RuntimeError::InvalidModule(format!("{e:#}")))?;
    Ok((link(engine, &module)?, image_bytes(&module)))
}

/// Checks a compiled module is a program capsa can run — a command, or a
/// reactor with a `run` entry ([`crate::process`]) — and pre-links it.
fn link(engine: &EngineEntry, module: &Module) -> Result<InstancePre<ProcessData>, RuntimeError> {
    check_imports(module)?;
    let is_func = |name| matches!(module.get_export(name), Some(ExternType::Func(_)));
    if !is_func("_start") && !is_func(crate::process::REACTOR_RUN) {
        return Err(RuntimeError::NotCommand(format!(
            "it exports no `_start` function (nor a reactor's `{}`)",
            crate::process::REACTOR_RUN
        )));
    }
    engine.linker.instantiate_pre(module).map_err(|e| RuntimeError::Instantiate(format!("{e:#}")))
}

/// Bytes of compiled code and data a module holds in memory.
fn image_bytes(module: &Module) -> u64 {
    let range = module.image_range();
    (range.end as usize).saturating_sub(range.start as usize) as u64
}

/// Fails with every import capsa does not provide, named `module::name`.
fn check_imports(module: &Module) -> Result<(), RuntimeError> {
    let missing: Vec<String> = module
        .imports()
        .filter(|import| {
            let (m, n) = (import.module(), import.name());
            let preview1 = m == capsa_wasi::preview1::MODULE && capsa_wasi::preview1::FUNCTIONS.contains(&n);
            let ext = capsa_wasi::ext::FUNCTIONS.contains(&(m, n));
            !(preview1 || ext)
        })
        .map(|import| format!("{}::{}", import.module(), import.name()))
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(RuntimeError::UnknownImports(missing)) }
}
