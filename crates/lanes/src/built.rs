//! What the interpreted lanes share: a command capsa builds itself with the
//! C lane (Lua's `lua.wasm`, QuickJS's `qjs.wasm`), kept executable in a
//! directory of its own under `<cache>/lanes/<lane>/` that VMs mount
//! read-only; and a script handed to `capsa run`, granted to its VM by its
//! directory.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use capsa_runtime::{DirGrant, Runtime, VmConfig};
use sha2::{Digest, Sha256};

use crate::LaneError;
use crate::toolchain::{self, Toolchain};
use crate::user_files::{Kind, Tree};

/// A command built by a lane, named by the key of everything it was built from.
#[derive(Debug, Clone)]
pub(crate) struct BuiltCommand {
    dir: PathBuf,
    module: &'static str,
    key: String,
}

impl BuiltCommand {
    /// The command `module` of `lane` built from what `key` (hex sha256) names.
    pub(crate) fn new(runtime: &Runtime, lane: &str, module: &'static str, key: String) -> Self {
        let dir = runtime.cache_root().join("lanes").join(lane).join(key.get(..16).unwrap_or(&key));
        BuiltCommand { dir, module, key }
    }

    /// The command, if it is built (nothing is built here). Its digest was
    /// recorded when it was placed: every shell VM asks for its commands at
    /// start, and the Go runner is 36 MB.
    ///
    /// # Errors
    /// The digest file is unreadable or malformed.
    pub(crate) fn get(&self) -> Result<Option<Toolchain>, LaneError> {
        let module = self.dir.join(self.module);
        let digest_file = self.dir.join(toolchain::DIGEST_FILE);
        if !module.is_file() || !digest_file.is_file() {
            return Ok(None);
        }
        let sha256 = toolchain::read_digest(&digest_file)?;
        Ok(Some(Toolchain { module, sha256, sysroot: self.dir.clone(), integrity: self.key.clone() }))
    }

    /// A directory beside the command's for building it in.
    ///
    /// # Errors
    /// If it cannot be created.
    pub(crate) fn staging(&self) -> Result<tempfile::TempDir, LaneError> {
        Ok(capsa_provision::staging_beside(&self.dir)?)
    }

    /// Makes the built module `artifact` this command: copied into a
    /// directory of its own, executable (a VM runs only files whose mode
    /// says so; the artifact store keeps them 0644), renamed into place.
    ///
    /// # Errors
    /// Copying or renaming failed.
    pub(crate) fn place(&self, artifact: &Path) -> Result<Toolchain, LaneError> {
        let staging = self.staging()?;
        let module = staging.path().join(self.module);
        std::fs::copy(artifact, &module).map_err(|e| LaneError::io(&module, e))?;
        let executable = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&module, executable).map_err(|e| LaneError::io(&module, e))?;
        let bytes = std::fs::read(&module).map_err(|e| LaneError::io(&module, e))?;
        toolchain::write_digest(staging.path(), &Sha256::digest(&bytes).into())?;
        let built = staging.keep();
        if std::fs::rename(&built, &self.dir).is_err() {
            if self.get()?.is_none() {
                // Left by a capsa that recorded no digest: replaced.
                let _ = std::fs::remove_dir_all(&self.dir);
                let _ = std::fs::rename(&built, &self.dir);
            }
            // Else built meanwhile by another capsa: theirs is the same.
            let _ = std::fs::remove_dir_all(&built);
        }
        self.get()?.ok_or_else(|| LaneError::io(&self.dir, format!("cannot move the built {} into place", self.module)))
    }
}

/// A script for `capsa run`, found on the host.
#[derive(Debug, Clone)]
pub(crate) struct ScriptFile {
    /// Its absolute path, which is also its path in the VM.
    path: String,
    dir: PathBuf,
}

impl ScriptFile {
    /// Finds `script`.
    ///
    /// # Errors
    /// Missing, not a file, or a path that is not UTF-8.
    pub(crate) fn find(script: &Path) -> Result<ScriptFile, LaneError> {
        // The directory is taken as the user named it; the script's own name
        // is never followed on the host: a link out of the directory is
        // refused here, and one inside is for the VM to resolve.
        let (tree, name) = Tree::of_file(script)?;
        match tree.target_kind(&name)? {
            Kind::File => {}
            Kind::Dir | Kind::Symlink | Kind::Special => {
                return Err(LaneError::Input(format!("{}: not a regular file", script.display())));
            }
        }
        let parent = script.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let dir = std::fs::canonicalize(parent).map_err(|e| LaneError::io(parent, e))?;
        let absolute = dir.join(&name);
        let path = absolute.to_str().ok_or_else(|| LaneError::Input(format!("{}: not UTF-8", script.display())))?;
        Ok(ScriptFile { path: path.to_string(), dir })
    }

    /// Grants the script's directory read-only at its own absolute path, so
    /// that the interpreter's messages name the host's file.
    pub(crate) fn grant(&self, config: &mut VmConfig) {
        let guest = self.dir.to_string_lossy().into_owned();
        if !config.grants.dirs.iter().any(|d| d.guest == guest) {
            config.grants.dirs.push(DirGrant { host: self.dir.clone(), guest, read_only: true });
        }
    }

    /// Its absolute path, which is also its path in the VM.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// `argv0 SCRIPT ARGS…`.
    pub(crate) fn argv(&self, argv0: &str, args: &[String]) -> Vec<String> {
        [argv0.to_string(), self.path.clone()].into_iter().chain(args.iter().cloned()).collect()
    }
}
