//! The VM a shell command line runs in, shared by `capsa exec`, `capsa sh`
//! and the differential tests, so that what is tested is what users run.
//!
//! The VM has the suite's layer (`/bin/sh`, coreutils, …), an ordinary
//! environment (`PATH`, `HOME`, `USER`, `SHELL`, `LANG`, `PWD`), and the
//! clock and entropy grants: the suite's Rust tools abort without them
//! (std reads the time and seeds `HashMap`s), and a shell user expects
//! `date` and `mktemp` to work. Nothing else of the host is granted beyond
//! the directories the caller mounts.

use std::sync::Arc;

use capsa_kernel::Layer;
use capsa_runtime::{DirGrant, VmConfig};

use crate::SuiteError;

/// The shell every command line runs in.
pub const SH: &str = "/bin/sh";

/// The `PATH` of a shell VM.
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The home directory of the VM's user (uid 1000, `user`).
pub const HOME: &str = "/home/user";

/// What a shell VM is made of beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct ShellVm {
    /// Host directories to mount; the first becomes the working directory
    /// unless `workdir` says otherwise.
    pub mounts: Vec<DirGrant>,
    /// Extra environment variables (they override the defaults).
    pub env: Vec<(String, String)>,
    /// The working directory (default: the first mount, else `HOME`).
    pub workdir: Option<String>,
    /// Run as root (uid 0) inside the VM.
    pub root: bool,
}

impl ShellVm {
    /// The working directory the shell starts in.
    pub fn workdir(&self) -> String {
        if let Some(dir) = &self.workdir {
            return dir.clone();
        }
        match self.mounts.first() {
            Some(mount) if mount.guest.starts_with('/') => mount.guest.clone(),
            Some(mount) => format!("/{}", mount.guest),
            None if self.root => "/root".into(),
            None => HOME.into(),
        }
    }

    /// The VM's configuration over `base` (whose limits and stdio are kept):
    /// the suite's layer on top of `base.layers`, the mounts, the
    /// environment, the clock and entropy grants.
    ///
    /// # Errors
    /// Only if the suite's layer cannot be built (see [`crate::layer`]).
    pub fn config(&self, mut base: VmConfig) -> Result<VmConfig, SuiteError> {
        let layer: Arc<Layer> = crate::layer()?;
        base.layers.push(layer);
        base.grants.dirs.extend(self.mounts.iter().cloned());
        base.grants.clock = true;
        base.grants.random = true;
        base.root |= self.root;
        let (user, home) = if base.root { ("root", "/root") } else { ("user", HOME) };
        let mut env: Vec<(String, String)> = [
            ("PATH", PATH),
            ("HOME", home),
            ("USER", user),
            ("LOGNAME", user),
            ("SHELL", SH),
            ("LANG", "C.UTF-8"),
            ("TERM", "xterm-256color"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.push(("PWD".into(), self.workdir()));
        for (key, value) in base.grants.env.drain(..).chain(self.env.iter().cloned()) {
            env.retain(|(k, _)| *k != key);
            env.push((key, value));
        }
        base.grants.env = env;
        Ok(base)
    }
}

/// `argv` of `sh -c LINE`.
pub fn sh_c(line: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), line.into()]
}
