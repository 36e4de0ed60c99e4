//! The content-addressed artifact store: a built program is kept as
//! `<cache>/artifacts/<key>.wasm`, where the key hashes everything that
//! went into it, so identical input is never compiled twice.
//!
//! Programs are built from code capsa did not write, so the store is
//! bounded: one artifact may hold at most [`MAX_ARTIFACT_BYTES`], the store
//! at most [`STORE_BYTES`], and after each new artifact the least recently
//! used others are removed until it fits. Using an artifact marks it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::LaneError;

/// Largest program the store takes.
pub const MAX_ARTIFACT_BYTES: u64 = 512 << 20;
/// Most bytes the store keeps.
pub const STORE_BYTES: u64 = 2 << 30;

/// The artifact store under capsa's cache.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store of `cache_root`.
    pub fn new(cache_root: &Path) -> Store {
        Store { dir: cache_root.join("artifacts") }
    }

    /// Where the artifact with `key` is (or will be).
    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.wasm"))
    }

    /// The stored artifact for `key`, with its sha256, if present.
    pub fn get(&self, key: &str) -> Option<(PathBuf, String)> {
        let path = self.path(key);
        let bytes = std::fs::read(&path).ok()?;
        capsa_runtime::modules::mark_used(&path);
        Some((path, hex::encode(Sha256::digest(&bytes))))
    }

    /// Stores the program `wasm` under `key` (temp file, then rename);
    /// returns its path and sha256.
    ///
    /// # Errors
    /// The program is larger than [`MAX_ARTIFACT_BYTES`]; the store cannot be written.
    pub fn put(&self, key: &str, wasm: &[u8]) -> Result<(PathBuf, String), LaneError> {
        if wasm.len() as u64 > MAX_ARTIFACT_BYTES {
            return Err(LaneError::Input(format!(
                "the built program is {} MiB; capsa keeps programs of at most {} MiB",
                wasm.len() >> 20,
                MAX_ARTIFACT_BYTES >> 20
            )));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| LaneError::io(&self.dir, e))?;
        let path = self.path(key);
        let tmp = self.dir.join(format!(".tmp-{key}-{}", std::process::id()));
        std::fs::write(&tmp, wasm).map_err(|e| LaneError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| LaneError::io(&path, e))?;
        capsa_runtime::modules::evict_least_recent(&self.dir, STORE_BYTES, &path);
        Ok((path, hex::encode(Sha256::digest(wasm))))
    }
}
