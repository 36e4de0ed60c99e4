//! The content-addressed module store: sha256 of a module's bytes names its
//! compiled artifact in the cache directory, so a module is compiled once per
//! engine configuration and then loaded in milliseconds.
//!
//! Artifacts are only ever read from our own cache directory, written by this
//! code (to a temporary name, then renamed into place).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Module;

use crate::RuntimeError;
use crate::engine::EngineEntry;

/// sha256 of `bytes`.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The compiled-module cache on disk.
#[derive(Debug, Clone)]
pub struct ModuleStore {
    dir: PathBuf,
}

impl ModuleStore {
    /// A store under `dir` (created if missing).
    ///
    /// # Errors
    /// If the directory cannot be created.
    pub fn new(dir: PathBuf) -> Result<Self, RuntimeError> {
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::Cache(dir.clone(), e.to_string()))?;
        Ok(ModuleStore { dir })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether `sha`'s module is compiled for `entry`, in memory or on disk.
    pub fn is_cached(&self, entry: &EngineEntry, sha: &[u8; 32]) -> bool {
        entry.modules.lock().unwrap_or_else(|p| p.into_inner()).contains_key(sha)
            || self.artifact_path(entry, sha).is_file()
    }

    fn artifact_path(&self, entry: &EngineEntry, sha: &[u8; 32]) -> PathBuf {
        self.dir.join(&entry.fingerprint).join(format!("{}.cwasm", hex::encode(sha)))
    }

    /// The compiled module for `wasm`: from memory, else from the disk cache,
    /// else compiled now and cached.
    ///
    /// # Errors
    /// `InvalidModule` if the bytes are not a valid module; `Cache` if the
    /// artifact cannot be written.
    pub fn load(&self, entry: &EngineEntry, wasm: &[u8]) -> Result<Module, RuntimeError> {
        self.load_digested(entry, wasm, &digest(wasm))
    }

    /// [`ModuleStore::load`] for bytes whose sha256 is already known.
    ///
    /// # Errors
    /// As [`ModuleStore::load`].
    pub fn load_digested(&self, entry: &EngineEntry, wasm: &[u8], sha: &[u8; 32]) -> Result<Module, RuntimeError> {
        self.load_lazily(entry, sha, &mut || Ok(std::borrow::Cow::Borrowed(wasm)))
    }

    /// [`ModuleStore::load_digested`] for bytes fetched by `wasm` only when
    /// they must be compiled: a cached module is loaded without them.
    ///
    /// # Errors
    /// As [`ModuleStore::load`], or whatever `wasm` fails with.
    pub fn load_lazily<'a>(
        &self,
        entry: &EngineEntry,
        sha: &[u8; 32],
        wasm: &mut dyn FnMut() -> Result<std::borrow::Cow<'a, [u8]>, RuntimeError>,
    ) -> Result<Module, RuntimeError> {
        if let Some(module) = entry.modules.lock().unwrap_or_else(|p| p.into_inner()).get(sha) {
            return Ok(module.clone());
        }
        let path = self.artifact_path(entry, sha);
        let module = match self.deserialize(entry, &path) {
            Some(module) => module,
            None => self.compile(entry, &wasm()?, &path)?,
        };
        entry.modules.lock().unwrap_or_else(|p| p.into_inner()).insert(*sha, module.clone());
        Ok(module)
    }

    fn deserialize(&self, entry: &EngineEntry, path: &Path) -> Option<Module> {
        if !path.is_file() {
            return None;
        }
        // SAFETY: `deserialize_file` trusts the file to be wasmtime's own output.
        // This path is inside our cache dir and only `compile` below writes it,
        // atomically (temp file + rename), from `Engine::precompile_module`. A
        // file from another wasmtime build fails wasmtime's own version check
        // and is recompiled.
        match unsafe { Module::deserialize_file(&entry.engine, path) } {
            Ok(module) => Some(module),
            Err(err) => {
                tracing::debug!("recompiling {}: {err}", path.display());
                None
            }
        }
    }

    fn compile(&self, entry: &EngineEntry, wasm: &[u8], path: &Path) -> Result<Module, RuntimeError> {
        let artifact =
            entry.engine.precompile_module(wasm).map_err(|e| RuntimeError::InvalidModule(format!("{e:#}")))?;
        let write = || -> std::io::Result<()> {
            let parent = path.parent().unwrap_or(&self.dir);
            std::fs::create_dir_all(parent)?;
            let tmp = parent.join(format!(".tmp-{}-{:?}", std::process::id(), std::thread::current().id()));
            std::fs::write(&tmp, &artifact)?;
            std::fs::rename(&tmp, path)
        };
        if let Err(err) = write() {
            // The cache is an optimisation: run from memory and say why it was not kept.
            tracing::warn!("cannot cache {}: {err}", path.display());
        }
        // SAFETY: `artifact` was produced just now by `precompile_module` on this engine.
        unsafe { Module::deserialize(&entry.engine, &artifact) }
            .map_err(|e| RuntimeError::InvalidModule(format!("{e:#}")))
    }
}
