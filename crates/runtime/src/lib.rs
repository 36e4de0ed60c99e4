//! capsa's runtime: the wasmtime engine, the content-addressed module store,
//! limits, and VMs that run guest programs on a virtual kernel. It owns the
//! lifecycle of VMs and processes; the kernel ([`capsa_kernel`]) owns their
//! state and the adapter ([`capsa_wasi`]) their system calls.
//!
//! ```no_run
//! use capsa_runtime::{Output, Runtime, RuntimeOptions, VmConfig};
//!
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let mut config = VmConfig::default();
//! config.grants.stdout = Output::Capture;
//! let wasm = std::fs::read("hello.wasm")?;
//! let outcome = runtime.vm(config)?.run(&wasm, &["hello".to_string()])?;
//! print!("{}", outcome.stdout_str());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Unsafe code is denied here except at the three places wasmtime asks us
//! to vouch for a compiled artifact (`Module::deserialize*`), each allowed
//! by name with a `SAFETY:` note.

#![deny(unsafe_code)]

pub mod base;
mod compile;
pub mod config;
pub mod engine;
mod host;
pub mod identity;
pub mod limiter;
pub mod manifest;
pub mod memo;
pub mod modules;
mod net;
pub mod outcome;
pub mod process;
pub mod programs;
pub mod stop;
pub mod streams;
pub mod vm;
mod workers;

use std::path::PathBuf;
use std::sync::Arc;

use capsa_kernel::Layer;

pub use capsa_wasi::ext::{Tool, ToolDefinitionError, ToolError, Tools};
pub use config::{DirGrant, Grants, Input, Limits, NetAllow, NetGrantError, NetGrants, Output, Publish, VmConfig};
pub use engine::InstancePool;
pub use host::{GrantError, Stream};
pub use identity::Identity;
pub use net::HOST_LOOPBACK_ALIAS;
pub use outcome::{ExitStatus, Limit, Outcome};
pub use stop::StopHandle;
pub use vm::{Interrupter, RunOptions, Vm};

/// Why the runtime could not run something. A guest's own failure is not an
/// error: it is an [`Outcome`].
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine could not be configured.
    #[error("cannot configure the engine: {0}")]
    Engine(String),
    /// The module cache directory is unusable.
    #[error("module cache {0}: {1}")]
    Cache(PathBuf, String),
    /// The bytes are not a valid WebAssembly module.
    #[error("invalid wasm module: {0}")]
    InvalidModule(String),
    /// The module imports functions capsa does not provide.
    #[error("unknown imports (capsa does not provide them): {}", .0.join(", "))]
    UnknownImports(Vec<String>),
    /// The module is not a WASI command.
    #[error("not a WASI command module: {0}")]
    NotCommand(String),
    /// The module could not be instantiated.
    #[error("cannot instantiate: {0}")]
    Instantiate(String),
    /// A grant could not be honoured.
    #[error("grant: {0}")]
    Grant(#[from] host::GrantError),
    /// A failure inside capsa itself.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Options of a [`Runtime`].
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// Directory of the compiled-module cache; `None` picks `$XDG_CACHE_HOME/capsa`
    /// or `~/.cache/capsa`.
    pub cache_dir: Option<PathBuf>,
    /// Most bytes the compiled-module cache keeps on disk; `None` is
    /// [`modules::DEFAULT_CACHE_BYTES`]. The least recently used go first.
    pub module_cache_bytes: Option<u64>,
}

/// What all VMs of a runtime share.
pub(crate) struct RuntimeInner {
    engines: engine::Engines,
    modules: modules::ModuleStore,
    base_layer: Arc<Layer>,
    cache_root: PathBuf,
}

/// The engines, module store and base layer, shared by all VMs of a host process.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

impl Runtime {
    /// Creates the runtime.
    ///
    /// # Errors
    /// If the cache directory cannot be created.
    pub fn new(options: RuntimeOptions) -> Result<Runtime, RuntimeError> {
        Runtime::with_instance_pool(options, InstancePool::default())
    }

    /// Creates the runtime with instances allocated as `pool` says
    /// ([`Runtime::new`] pools [`engine::DEFAULT_POOL_SLOTS`] per engine).
    ///
    /// # Errors
    /// If the cache directory cannot be created.
    pub fn with_instance_pool(options: RuntimeOptions, pool: InstancePool) -> Result<Runtime, RuntimeError> {
        let cache = options.cache_dir.unwrap_or_else(default_cache_dir);
        let max_bytes = options.module_cache_bytes.unwrap_or(modules::DEFAULT_CACHE_BYTES);
        let modules = modules::ModuleStore::new(cache.join("modules"), max_bytes)?;
        let base_layer = base::base_layer().map_err(|e| RuntimeError::Internal(format!("base layer: {e}")))?;
        let engines = engine::Engines::new(pool);
        Ok(Runtime { inner: Arc::new(RuntimeInner { engines, modules, base_layer, cache_root: cache }) })
    }

    /// Boots a VM with these grants and limits.
    ///
    /// # Errors
    /// A grant that cannot be honoured (a host dir that does not exist…).
    pub fn vm(&self, config: VmConfig) -> Result<Vm, RuntimeError> {
        Vm::boot(self.inner.clone(), config)
    }

    /// The module cache directory.
    pub fn cache_dir(&self) -> &std::path::Path {
        self.inner.modules.dir()
    }

    /// capsa's cache directory, of which the module cache is one part; other
    /// layers of capsa (toolchains, build artifacts) keep theirs beside it.
    pub fn cache_root(&self) -> &std::path::Path {
        &self.inner.cache_root
    }
}

/// `$XDG_CACHE_HOME/capsa`, else `$HOME/.cache/capsa`, else a dir under the temp dir.
fn default_cache_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("capsa");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".cache").join("capsa");
    }
    std::env::temp_dir().join("capsa-cache")
}
