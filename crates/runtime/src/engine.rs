//! Wasmtime engines. Engine settings that matter per VM (the wasm stack size,
//! whether fuel is metered) are engine-wide in wasmtime, so the runtime keeps
//! one engine per [`EngineKey`], each with its linker, its compiled modules
//! and an epoch ticker. Fuel metering is compiled into the code (it costs
//! about 15% of compute), so only VMs that ask for it get the metering engine.
//!
//! Instances come from wasmtime's pooling allocator by default
//! ([`InstancePool`]): each engine reserves address space for a fixed number
//! of instances once, and a process start reuses a slot (and, for the same
//! module, its copy-on-write memory image) instead of mapping and unmapping
//! its memory. The pool never limits what a guest may do: a memory slot spans
//! all of wasm32, and growth is limited by the store's `ResourceLimiter`
//! only. When every slot is taken, an instance is made on demand by an
//! unpooled twin of the engine ([`on_demand_twin`]), and when the pool's
//! reservation cannot be made at all the engine is unpooled.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use wasmtime::{
    Config, Engine, EngineWeak, InstanceAllocationStrategy, InstancePre, Linker, Module, PoolingAllocationConfig,
};

use crate::RuntimeError;
use crate::memo::Memo;
use crate::process::ProcessData;

/// How often the epoch advances; the granularity of wall-clock limits and kills.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Instance slots per pooled engine by default (wasmtime's own default). Each
/// reserves ~4 GiB of address space (not memory) for its linear memory: 1000
/// slots take ~4 TiB of the 128 TiB a 64-bit Linux process has.
pub const DEFAULT_POOL_SLOTS: u32 = 1000;

/// Most elements a table may have (also the store limit of every process).
pub const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Most pre-linked programs an engine keeps in memory.
pub const PROGRAM_MEMO_ENTRIES: usize = 512;
/// Most bytes of compiled code an engine keeps in memory for them.
pub const PROGRAM_MEMO_BYTES: u64 = 2 << 30;
/// Most programs an engine's unpooled twin keeps re-linked.
const TWIN_PROGRAMS: usize = 64;

/// How the engines of a runtime allocate instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstancePool {
    /// wasmtime's on-demand allocator: every instance maps its own memory
    /// and unmaps it when the process ends.
    OnDemand,
    /// wasmtime's pooling allocator with this many instance slots per engine
    /// (one linear memory and one table each): slots are reserved once and
    /// reused. Past `slots` live instances, the next ones are made on demand.
    Pooling {
        /// Instances (and memories, and tables) per engine.
        slots: u32,
    },
}

impl Default for InstancePool {
    /// `Pooling { slots: DEFAULT_POOL_SLOTS }`.
    fn default() -> Self {
        InstancePool::Pooling { slots: DEFAULT_POOL_SLOTS }
    }
}

/// One engine and what is built on it.
pub struct EngineEntry {
    /// The engine.
    pub engine: Engine,
    /// The linker with every host function capsa provides.
    pub linker: Linker<ProcessData>,
    /// Checked, pre-linked commands of modules the host vouches for, by
    /// sha256 of their bytes; bounded ([`PROGRAM_MEMO_ENTRIES`],
    /// [`PROGRAM_MEMO_BYTES`] of compiled code), least recently used first out.
    pub programs: Mutex<Memo<InstancePre<ProcessData>>>,
    /// sha256 of module bytes shared with a filesystem layer, by the address of
    /// those bytes: spawning a command from a layer then hashes nothing. The
    /// bytes are kept so the address cannot be reused by other bytes.
    pub shared_digests: Mutex<HashMap<usize, SharedDigest>>,
    /// Hex digest of the engine's compatibility hash: names the on-disk cache dir.
    pub fingerprint: String,
    /// Whether instances come from a pool (else on demand).
    pub pooled: bool,
}

/// Module bytes shared with a layer (kept alive) and their sha256.
pub type SharedDigest = (capsa_kernel::SharedBytes, [u8; 32]);

/// What distinguishes one engine from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EngineKey {
    /// Wasm stack, in bytes.
    pub stack: usize,
    /// Whether fuel is metered.
    pub fuel: bool,
}

/// Engines by [`EngineKey`].
#[derive(Default)]
pub struct Engines {
    by_key: Mutex<HashMap<EngineKey, Arc<EngineEntry>>>,
    pool: InstancePool,
}

impl Engines {
    /// No engines yet; those created will allocate instances as `pool` says.
    pub fn new(pool: InstancePool) -> Engines {
        Engines { by_key: Mutex::default(), pool }
    }

    /// The engine for `key`, created on first use.
    ///
    /// # Errors
    /// If wasmtime rejects the configuration.
    pub fn get(&self, key: EngineKey) -> Result<Arc<EngineEntry>, RuntimeError> {
        let mut by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = by_key.get(&key) {
            return Ok(entry.clone());
        }
        let entry = Arc::new(new_engine(key, self.pool)?);
        start_ticker(Arc::downgrade(&entry));
        by_key.insert(key, entry.clone());
        Ok(entry)
    }
}

/// The settings every engine shares; only the allocation strategy differs
/// between a pooled engine and its twin, so their compiled code is the same.
fn base_config(key: EngineKey) -> Config {
    let mut config = Config::new();
    config
        .consume_fuel(key.fuel)
        .epoch_interruption(true)
        .max_wasm_stack(key.stack)
        // wasmtime refuses a wasm stack larger than the async stack (2 MiB by
        // default) even without async: compilers need 16 MiB.
        .async_stack_size(key.stack.max(2 << 20))
        .wasm_exceptions(true)
        .parallel_compilation(true)
        // A backtrace is captured and symbolized whenever a host call returns
        // an error, and `proc_exit` is one: most commands end that way, and a
        // large module paid ~10% of a short command's time for a backtrace
        // nobody prints (a trap is reported by its reason alone).
        .wasm_backtrace_max_frames(None);
    config
}

/// The pooling allocator's settings for `slots` instances. Nothing here is
/// tighter than what an unpooled engine allows a guest: memories span all of
/// wasm32 (the `ResourceLimiter` alone limits growth), tables hold as many
/// elements as the store limit, and the per-module counts are generous
/// (wasip1 programs have one memory and one table). Slots are given back
/// decommitted (`madvise`), so an idle pool holds no memory.
fn pool_config(slots: u32) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .total_gc_heaps(slots)
        .max_memory_size(1 << 32)
        .table_elements(MAX_TABLE_ELEMENTS)
        .max_memories_per_module(4)
        .max_tables_per_module(4)
        .max_core_instance_size(64 << 20);
    pool
}

fn new_engine(key: EngineKey, pool: InstancePool) -> Result<EngineEntry, RuntimeError> {
    let pooled = match pool {
        InstancePool::Pooling { slots } if slots > 0 => {
            let mut config = base_config(key);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool_config(slots)));
            match Engine::new(&config) {
                Ok(engine) => Some(engine),
                Err(err) => {
                    // A process limited in address space (ulimit -v) cannot
                    // reserve the pool; on-demand allocation still works.
                    tracing::warn!("instance pool unavailable, allocating on demand: {err:#}");
                    None
                }
            }
        }
        InstancePool::Pooling { .. } | InstancePool::OnDemand => None,
    };
    let is_pooled = pooled.is_some();
    let engine = match pooled {
        Some(engine) => engine,
        None => Engine::new(&base_config(key)).map_err(|e| RuntimeError::Engine(e.to_string()))?,
    };
    let linker = new_linker(&engine)?;
    if is_pooled {
        register_twin(&engine, key);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    Ok(EngineEntry {
        engine,
        linker,
        programs: Mutex::new(Memo::new(PROGRAM_MEMO_ENTRIES, PROGRAM_MEMO_BYTES)),
        shared_digests: Mutex::new(HashMap::new()),
        fingerprint: format!("{:016x}", hasher.finish()),
        pooled: is_pooled,
    })
}

fn new_linker(engine: &Engine) -> Result<Linker<ProcessData>, RuntimeError> {
    let mut linker = Linker::new(engine);
    capsa_wasi::add_to_linker(&mut linker).map_err(|e| RuntimeError::Engine(e.to_string()))?;
    Ok(linker)
}

/// The unpooled twin of a pooled engine, made when its pool is first full.
struct Twin {
    key: EngineKey,
    built: OnceLock<Result<(Engine, Linker<ProcessData>), String>>,
    /// Programs re-linked on the twin, with the pooled module they came from.
    programs: Mutex<Vec<(Module, InstancePre<ProcessData>)>>,
}

/// Twins by their pooled engine (held weakly: a dropped runtime's engines go).
static TWINS: Mutex<Vec<(EngineWeak, Arc<Twin>)>> = Mutex::new(Vec::new());

fn register_twin(engine: &Engine, key: EngineKey) {
    let twin = Arc::new(Twin { key, built: OnceLock::new(), programs: Mutex::new(Vec::new()) });
    let mut twins = TWINS.lock().unwrap_or_else(|p| p.into_inner());
    twins.retain(|(weak, _)| weak.upgrade().is_some());
    twins.push((engine.weak(), twin));
}

/// `program` (of a pooled engine whose pool is full) linked on that engine's
/// unpooled twin, to instantiate on demand instead. The twin's engine, the
/// module and the linking are made once and kept.
///
/// # Errors
/// `Instantiate` if `program`'s engine is not pooled, or the twin cannot be
/// built or load the module.
pub fn on_demand_twin(program: &InstancePre<ProcessData>) -> Result<InstancePre<ProcessData>, RuntimeError> {
    let module = program.module();
    let twin = {
        let twins = TWINS.lock().unwrap_or_else(|p| p.into_inner());
        twins
            .iter()
            .find(|(weak, _)| weak.upgrade().is_some_and(|engine| Engine::same(&engine, module.engine())))
            .map(|(_, twin)| twin.clone())
    }
    .ok_or_else(|| RuntimeError::Instantiate("the instance pool is full and the engine has no twin".into()))?;
    let (engine, linker) = twin
        .built
        .get_or_init(|| {
            let engine = Engine::new(&base_config(twin.key)).map_err(|e| format!("{e:#}"))?;
            let linker = new_linker(&engine).map_err(|e| e.to_string())?;
            Ok((engine, linker))
        })
        .as_ref()
        .map_err(|e| RuntimeError::Engine(e.clone()))?;
    let mut programs = twin.programs.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, pre)) = programs.iter().find(|(pooled, _)| Module::same(pooled, module)) {
        return Ok(pre.clone());
    }
    let bytes = module.serialize().map_err(|e| RuntimeError::Instantiate(format!("{e:#}")))?;
    // SAFETY: `bytes` is wasmtime's own serialization of a module compiled
    // for an engine with the same settings as `engine` (`base_config`; the
    // allocation strategy does not change compiled code), made just now in
    // this process; deserialization re-checks the compatibility anyway.
    #[allow(unsafe_code)]
    let twin_module =
        unsafe { Module::deserialize(engine, &bytes) }.map_err(|e| RuntimeError::Instantiate(format!("{e:#}")))?;
    let pre = linker.instantiate_pre(&twin_module).map_err(|e| RuntimeError::Instantiate(format!("{e:#}")))?;
    if programs.len() >= TWIN_PROGRAMS {
        programs.remove(0);
    }
    programs.push((module.clone(), pre.clone()));
    Ok(pre)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn start_ticker(entry: Weak<EngineEntry>) {
    let spawned = std::thread::Builder::new().name("capsa-epoch".into()).spawn(move || {
        while let Some(entry) = entry.upgrade() {
            entry.engine.increment_epoch();
            drop(entry);
            std::thread::sleep(EPOCH_TICK);
        }
    });
    if let Err(err) = spawned {
        // Without a ticker, wall-clock limits fall back to fuel; say so.
        tracing::warn!("cannot start the epoch ticker: {err}");
    }
}
