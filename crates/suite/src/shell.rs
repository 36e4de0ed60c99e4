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

use capsa_kernel::{Layer, LayerBuilder, Meta};
use capsa_runtime::{DirGrant, Identity, VmConfig};

use crate::SuiteError;

/// The shell every command line runs in.
pub const SH: &str = "/bin/sh";

/// The `PATH` of a shell VM.
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// What a shell VM is made of beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct ShellVm {
    /// Host directories to mount; the first becomes the working directory
    /// unless `workdir` says otherwise.
    pub mounts: Vec<DirGrant>,
    /// Extra environment variables (they override the defaults).
    pub env: Vec<(String, String)>,
    /// The working directory (default: the first mount, else the user's home).
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
            None => Identity::of(self.root).home.into(),
        }
    }

    /// The VM's configuration over `base` (whose limits and stdio are kept):
    /// the suite's layer on top of `base.layers`, the mounts, the VM's own
    /// filesystem as `/`, the environment, the clock and entropy grants.
    ///
    /// # Errors
    /// Only if the suite's layer cannot be built (see [`crate::layer`]).
    pub fn config(&self, mut base: VmConfig) -> Result<VmConfig, SuiteError> {
        let layer: Arc<Layer> = crate::layer()?;
        base.layers.push(layer);
        base.grants.dirs.extend(self.mounts.iter().cloned());
        base.grants.vm_fs = true;
        base.grants.clock = true;
        base.grants.random = true;
        base.root |= self.root;
        let identity = base.identity();
        let (user, home) = (identity.user, identity.home);
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

/// Makes `commands` in `/bin` and `/usr/bin` symlinks to `executable`, a VM
/// path (an interpreter's read-only host mount, which the caller grants),
/// in a layer over the suite's.
pub fn add_commands(config: &mut VmConfig, commands: &[&str], executable: &str) {
    config.layers.push(command_layer(commands, |builder, link| builder.symlink(link, executable).map(drop)));
}

/// Makes `commands` scripts that say how to install `lane` and exit 127, as
/// a missing command does.
pub fn add_missing_commands(config: &mut VmConfig, commands: &[&str], lane: &str) {
    let first = commands.first().copied().unwrap_or(lane);
    let text = format!(
        "#!/bin/sh\necho 'capsa: {first} is not installed; on the host run: capsa lanes install {lane}' >&2\nexit 127\n"
    );
    add_script_commands(config, commands, &text);
}

/// Makes each of `commands` the executable script `text` (its `#!` line
/// names what runs it).
pub fn add_script_commands(config: &mut VmConfig, commands: &[&str], text: &str) {
    let script: Arc<[u8]> = Arc::from(text.as_bytes());
    config
        .layers
        .push(command_layer(commands, |builder, path| builder.file(path, script.clone(), Meta::root(0o755)).map(drop)));
}

/// A layer with `entry` made for each of `commands` in every bin directory.
fn command_layer(
    commands: &[&str],
    mut entry: impl FnMut(&mut LayerBuilder, &str) -> Result<(), capsa_kernel::KernelError>,
) -> Arc<Layer> {
    let mut builder = LayerBuilder::new();
    // Every path is a constant, so these cannot fail; a failure would only
    // leave the command out.
    let _ = builder.dir("/usr", Meta::root(0o755));
    for dir in crate::BIN_DIRS {
        let _ = builder.dir(dir, Meta::root(0o755));
        for command in commands {
            let _ = entry(&mut builder, &format!("{dir}/{command}"));
        }
    }
    builder.build()
}

/// `argv` of `sh -c LINE`.
pub fn sh_c(line: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), line.into()]
}
