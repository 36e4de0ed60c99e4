//! The content-addressed artifact store: a built program is kept as
//! `<cache>/artifacts/<key>.wasm`, where the key hashes everything that
//! went into it, so identical input is never compiled twice.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::LaneError;

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
        Some((path, hex::encode(Sha256::digest(&bytes))))
    }

    /// Stores `wasm` under `key` (temp file, then rename); returns its path
    /// and sha256.
    pub fn put(&self, key: &str, wasm: &Path) -> Result<(PathBuf, String), LaneError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| LaneError::io(&self.dir, e))?;
        let bytes = std::fs::read(wasm).map_err(|e| LaneError::io(wasm, e))?;
        let path = self.path(key);
        let tmp = self.dir.join(format!(".tmp-{key}-{}", std::process::id()));
        std::fs::write(&tmp, &bytes).map_err(|e| LaneError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| LaneError::io(&path, e))?;
        Ok((path, hex::encode(Sha256::digest(&bytes))))
    }
}
