//! Wasmtime engines. Engine settings that matter per VM (the wasm stack size)
//! are engine-wide in wasmtime, so the runtime keeps one engine per stack size,
//! each with its linker, its compiled modules and an epoch ticker.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use wasmtime::{Config, Engine, InstancePre, Linker, Module};

use crate::RuntimeError;
use crate::process::ProcessData;

/// How often the epoch advances; the granularity of wall-clock limits and kills.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// One engine and what is built on it.
pub struct EngineEntry {
    /// The engine.
    pub engine: Engine,
    /// The linker with every host function capsa provides.
    pub linker: Linker<ProcessData>,
    /// Modules compiled for this engine, by sha256 of their bytes.
    pub modules: Mutex<HashMap<[u8; 32], Module>>,
    /// Checked, pre-linked commands, by sha256 of their module bytes.
    pub programs: Mutex<HashMap<[u8; 32], InstancePre<ProcessData>>>,
    /// sha256 of module bytes shared with a filesystem layer, by the address of
    /// those bytes: spawning a command from a layer then hashes nothing. The
    /// `Arc` is kept so the address cannot be reused by other bytes.
    pub shared_digests: Mutex<HashMap<usize, SharedDigest>>,
    /// Hex digest of the engine's compatibility hash: names the on-disk cache dir.
    pub fingerprint: String,
}

/// Module bytes shared with a layer (kept alive) and their sha256.
pub type SharedDigest = (Arc<[u8]>, [u8; 32]);

/// Engines by wasm stack size.
#[derive(Default)]
pub struct Engines {
    by_stack: Mutex<HashMap<usize, Arc<EngineEntry>>>,
}

impl Engines {
    /// The engine for `stack` bytes of wasm stack, created on first use.
    ///
    /// # Errors
    /// If wasmtime rejects the configuration.
    pub fn get(&self, stack: usize) -> Result<Arc<EngineEntry>, RuntimeError> {
        let mut by_stack = self.by_stack.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = by_stack.get(&stack) {
            return Ok(entry.clone());
        }
        let entry = Arc::new(new_engine(stack)?);
        start_ticker(Arc::downgrade(&entry));
        by_stack.insert(stack, entry.clone());
        Ok(entry)
    }
}

fn new_engine(stack: usize) -> Result<EngineEntry, RuntimeError> {
    let mut config = Config::new();
    config
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(stack)
        .wasm_exceptions(true)
        .parallel_compilation(true);
    let engine = Engine::new(&config).map_err(|e| RuntimeError::Engine(e.to_string()))?;
    let mut linker = Linker::new(&engine);
    capsa_wasi::add_to_linker(&mut linker).map_err(|e| RuntimeError::Engine(e.to_string()))?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    Ok(EngineEntry {
        engine,
        linker,
        modules: Mutex::new(HashMap::new()),
        programs: Mutex::new(HashMap::new()),
        shared_digests: Mutex::new(HashMap::new()),
        fingerprint: format!("{:016x}", hasher.finish()),
    })
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
