//! The content-addressed module store: sha256 of a module's bytes names its
//! compiled artifact in the cache directory, so a module is compiled once per
//! engine configuration and then loaded in milliseconds.
//!
//! Artifacts are only ever read from our own cache directory, written by this
//! code (to a temporary name, then renamed into place). The directory is
//! bounded ([`DEFAULT_CACHE_BYTES`] unless the runtime says otherwise): after
//! each new artifact, the least recently used others are removed until the
//! total fits, so compiling ever new modules cannot grow the host's disk
//! without bound. Using an artifact marks it (its modification time).
//!
//! Only modules the host vouches for are stored here (an embedder's, a
//! toolchain's, the command suite's): a module compiled from bytes a guest
//! wrote is kept in its VM's memory only (see `vm.rs`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use wasmtime::Module;

use crate::RuntimeError;
use crate::engine::EngineEntry;

/// How stale a cache file's mark of use may get before it is renewed.
const MARK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// The compiled-module cache's default bound on disk.
pub const DEFAULT_CACHE_BYTES: u64 = 4 << 30;

/// sha256 of `bytes`.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The compiled-module cache on disk.
#[derive(Debug, Clone)]
pub struct ModuleStore {
    dir: PathBuf,
    max_bytes: u64,
}

impl ModuleStore {
    /// A store under `dir` (created if missing) holding at most `max_bytes`.
    ///
    /// # Errors
    /// If the directory cannot be created.
    pub fn new(dir: PathBuf, max_bytes: u64) -> Result<Self, RuntimeError> {
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::Cache(dir.clone(), e.to_string()))?;
        Ok(ModuleStore { dir, max_bytes })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether `sha`'s module is compiled for `entry` on disk.
    pub fn is_cached(&self, entry: &EngineEntry, sha: &[u8; 32]) -> bool {
        self.artifact_path(entry, sha).is_file()
    }

    fn artifact_path(&self, entry: &EngineEntry, sha: &[u8; 32]) -> PathBuf {
        self.dir.join(&entry.fingerprint).join(format!("{}.cwasm", hex::encode(sha)))
    }

    /// The compiled module for `sha` if the disk cache has it (loading it
    /// takes milliseconds; nothing is compiled).
    pub fn load_cached(&self, entry: &EngineEntry, sha: &[u8; 32]) -> Option<Module> {
        self.deserialize(entry, &self.artifact_path(entry, sha))
    }

    /// The compiled module for the bytes whose sha256 is `sha`: from the
    /// disk cache, else compiled now from what `wasm` returns (called only
    /// then) and cached.
    ///
    /// # Errors
    /// `InvalidModule` if the bytes are not a valid module, or whatever
    /// `wasm` fails with. A cache that cannot be written is not an error.
    pub fn load<'a>(
        &self,
        entry: &EngineEntry,
        sha: &[u8; 32],
        wasm: &mut dyn FnMut() -> Result<std::borrow::Cow<'a, [u8]>, RuntimeError>,
    ) -> Result<Module, RuntimeError> {
        let path = self.artifact_path(entry, sha);
        match self.deserialize(entry, &path) {
            Some(module) => Ok(module),
            None => self.compile(entry, &wasm()?, &path),
        }
    }

    #[allow(unsafe_code)]
    fn deserialize(&self, entry: &EngineEntry, path: &Path) -> Option<Module> {
        let meta = std::fs::metadata(path).ok().filter(std::fs::Metadata::is_file)?;
        // SAFETY: `deserialize_file` trusts the file to be wasmtime's own output.
        // This path is inside our cache dir and only `compile` below writes it,
        // atomically (temp file + rename), from `Engine::precompile_module`. A
        // file from another wasmtime build fails wasmtime's own version check
        // and is recompiled.
        match unsafe { Module::deserialize_file(&entry.engine, path) } {
            Ok(module) => {
                // Recency to the hour is enough for eviction, and spares a
                // syscall on every start.
                let stale = meta.modified().ok().and_then(|m| m.elapsed().ok()).is_none_or(|age| age > MARK_EVERY);
                if stale {
                    mark_used(path);
                }
                Some(module)
            }
            Err(err) => {
                tracing::debug!("recompiling {}: {err}", path.display());
                None
            }
        }
    }

    #[allow(unsafe_code)]
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
        match write() {
            Ok(()) => evict_least_recent(path.parent().unwrap_or(&self.dir), self.max_bytes, path),
            // The cache is an optimisation: run from memory and say why it was not kept.
            Err(err) => tracing::warn!("cannot cache {}: {err}", path.display()),
        }
        // SAFETY: `artifact` was produced just now by `precompile_module` on this engine.
        unsafe { Module::deserialize(&entry.engine, &artifact) }
            .map_err(|e| RuntimeError::InvalidModule(format!("{e:#}")))
    }
}

/// Marks the cache file `path` as just used (its modification time), so
/// [`evict_least_recent`] removes it last.
pub fn mark_used(path: &Path) {
    if let Ok(file) = std::fs::File::options().write(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Removes the least recently used files of the cache directory `dir`
/// (by modification time, see [`mark_used`]) until they hold at most
/// `max_bytes`; `kept` (just written) stays, and so do other writers'
/// temporary files (`.tmp-*`). Shared by every bounded cache of capsa's.
pub fn evict_least_recent(dir: &Path, max_bytes: u64, kept: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter(|item| !item.file_name().to_string_lossy().starts_with(".tmp-"))
        .filter_map(|item| {
            let meta = item.metadata().ok().filter(std::fs::Metadata::is_file)?;
            Some((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len(), item.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if path != kept && std::fs::remove_file(&path).is_ok() {
            tracing::debug!("evicted {} from a cache", path.display());
            total = total.saturating_sub(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_files_are_evicted_first() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str, secs: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, [0u8; 10]).unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
            path
        };
        let (old, used, new) = (at("old", 1), at("used", 2), at("new", 3));
        at(".tmp-writer", 0);
        mark_used(&used);
        evict_least_recent(dir.path(), 25, &new);
        assert!(!old.exists() && used.exists() && new.exists());
        evict_least_recent(dir.path(), 0, &new);
        assert!(!used.exists() && new.exists() && dir.path().join(".tmp-writer").exists());
    }
}
