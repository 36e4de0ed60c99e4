//! The SQLite lane (`interpret`): SQLite's own command-line shell, built
//! once by the C lane from the public-domain sources (`shell.c` and the
//! `sqlite3.c` amalgamation) into `sqlite3.wasm`, which VMs run as
//! `sqlite3`.
//!
//! The sources come from a pinned npm package (`sqlite3`, the Node binding,
//! which carries SQLite's autoconf tarball for its own builds): fetched and
//! checked by `capsa-provision` like the C toolchain, then only the three
//! files the shell needs are read out of the nested tarball. Nothing of the
//! package runs. SQLite supports WASI itself (`SQLITE_WASI`: no WAL, no
//! `popen`); the defines below leave out what a VM cannot do.

use std::path::{Path, PathBuf};

use capsa_provision::NpmPackage;
use capsa_runtime::{DirGrant, Runtime, VmConfig};
use sha2::{Digest, Sha256};

use crate::built::{BuiltCommand, ScriptFile};
use crate::driver::{Cx, Driver, ShellCommands};
use crate::manifest::Manifest;
use crate::toolchain::{self, Toolchain};
use crate::{BuildRequest, LaneError, Lanes, Prepared, Source};

/// Where the shell appears in a VM.
pub const HOME: &str = "/usr/lib/capsa/sqlite";

/// The shell's module inside a VM.
pub const EXECUTABLE: &str = "/usr/lib/capsa/sqlite/sqlite3.wasm";

/// The lane's id (its command directory's name in the cache).
const LANE: &str = "sqlite";

/// The names the shell answers to in a shell VM.
const COMMANDS: &[&str] = &["sqlite3"];

/// The module's file name in its directory.
const MODULE: &str = "sqlite3.wasm";

/// SQLite's sources inside the npm package, and their directory inside it.
const SOURCES_TARBALL: &str = "deps/sqlite-autoconf-3520000.tar.gz";
const SOURCES_DIR: &str = "sqlite-autoconf-3520000";
/// The files built: the shell, the library, its header.
const SOURCE_FILES: &[&str] = &["shell.c", "sqlite3.c", "sqlite3.h"];

/// capsa's addition: a constructor that enters `$PWD` (a prebuilt wasi-libc
/// program starts in `/`).
const PWD_INIT: &[u8] = include_bytes!("../../../lanes/sqlite/sqlite_pwd.c");

/// The optimisation level SQLite is built with.
const OPTIMIZE: &str = "2";

/// Compile-time options (part of the key): no threads, no loadable
/// extensions, no `system()`, as a VM has none of them; FTS5 and the math
/// functions, as Debian's `sqlite3` has them.
const DEFINES: &[&str] = &[
    "SQLITE_THREADSAFE=0",
    "SQLITE_OMIT_LOAD_EXTENSION",
    "SQLITE_NOHAVE_SYSTEM",
    "SQLITE_ENABLE_FTS5",
    "SQLITE_ENABLE_MATH_FUNCTIONS",
    "SQLITE_ENABLE_DBSTAT_VTAB",
];

/// The SQLite lane's driver.
pub(crate) struct Sqlite;

impl Driver for Sqlite {
    fn ids(&self) -> &'static [&'static str] {
        &[LANE]
    }

    /// `capsa run query.sql`: the script against an in-memory database.
    fn prepare(
        &self,
        cx: Cx<'_>,
        script: &Path,
        args: &[String],
        config: &mut VmConfig,
        quiet: bool,
    ) -> Result<Option<Prepared>, LaneError> {
        if !args.is_empty() {
            return Err(LaneError::Input(
                "`capsa run query.sql` reads the script into an in-memory database and takes no arguments; \
                 for a database file, run sqlite3 in `capsa exec`"
                    .into(),
            ));
        }
        let script = ScriptFile::find(script)?;
        let shell = install(cx, Source::Registry, config, quiet)?;
        grant(&shell, config);
        script.grant(config);
        let read = format!(".read \"{}\"", script.path().replace('\\', "\\\\").replace('"', "\\\""));
        // `-init /dev/null`: no ~/.sqliterc to look for (a `capsa run` VM has no HOME).
        let argv = ["sqlite3", "-init", "/dev/null", "-bail", ":memory:", &read].map(String::from).to_vec();
        Ok(Some(Prepared { toolchain: shell, argv }))
    }

    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
        install(cx, source, &VmConfig::default(), quiet).map(drop)
    }

    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError> {
        Ok(installed(cx.runtime, cx.lanes, cx.lane)?.is_some())
    }

    fn shell_commands(&self) -> Option<ShellCommands> {
        Some(ShellCommands { names: COMMANDS, executable: EXECUTABLE, script: None })
    }

    fn grant_shell_commands(&self, cx: Cx<'_>, config: &mut VmConfig) -> Result<bool, LaneError> {
        let shell = installed(cx.runtime, cx.lanes, cx.lane)?;
        shell.iter().for_each(|shell| grant(shell, config));
        Ok(shell.is_some())
    }
}

/// The pinned npm package that carries the sources.
fn package(lane: &Manifest) -> Result<NpmPackage<'_>, LaneError> {
    match (&lane.npm, &lane.integrity) {
        (Some(npm), Some(integrity)) => Ok(NpmPackage { name: &npm.name, version: &npm.version, integrity }),
        _ => Err(LaneError::Unavailable { lane: lane.id.clone(), reason: "its manifest names no npm package".into() }),
    }
}

/// The key of this capsa's SQLite build: the pinned sources, the flags and
/// the C toolchain's pinned integrity.
fn key(lane: &Manifest, c: &Manifest) -> String {
    let mut hasher = Sha256::new();
    let parts = [
        "capsa sqlite lane 2",
        lane.integrity.as_deref().unwrap_or_default(),
        OPTIMIZE,
        &c.version,
        c.integrity.as_deref().unwrap_or_default(),
    ];
    for part in parts.into_iter().chain(DEFINES.iter().copied()) {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(PWD_INIT);
    hex::encode(hasher.finalize())
}

/// The shell under `<cache>/lanes/sqlite`, named by its key.
fn command(runtime: &Runtime, lanes: &Lanes, lane: &Manifest) -> Result<BuiltCommand, LaneError> {
    Ok(BuiltCommand::new(runtime, LANE, MODULE, key(lane, lanes.require("c")?)))
}

/// The built shell, if it is in the cache (nothing is fetched or built).
fn installed(runtime: &Runtime, lanes: &Lanes, lane: &Manifest) -> Result<Option<Toolchain>, LaneError> {
    command(runtime, lanes, lane)?.get()
}

/// Builds `sqlite3.wasm` unless it is built (fetching the sources and the C
/// lane if needed), and compiles it for VMs of `config`'s wasm stack size.
fn install(cx: Cx<'_>, source: Source<'_>, config: &VmConfig, quiet: bool) -> Result<Toolchain, LaneError> {
    let command = command(cx.runtime, cx.lanes, cx.lane)?;
    let shell = match command.get()? {
        Some(shell) => shell,
        None => build(cx, source, &command, quiet)?,
    };
    let mut precompile = VmConfig::default();
    precompile.limits.stack = config.limits.stack;
    toolchain::precompile(cx.runtime, &shell, precompile, true)?;
    Ok(shell)
}

fn build(cx: Cx<'_>, source: Source<'_>, command: &BuiltCommand, quiet: bool) -> Result<Toolchain, LaneError> {
    let package_dir = package(cx.lane)?.install(cx.runtime.cache_root(), source, quiet)?;
    if !quiet {
        eprintln!("capsa: building SQLite's shell from shell.c and sqlite3.c with the C lane (once, about a minute)");
    }
    let staging = command.staging()?;
    let src = unpack_sources(&package_dir, staging.path())?;
    let request = BuildRequest {
        inputs: vec![src],
        lang: Some("c".into()),
        optimize: Some(OPTIMIZE.into()),
        libs: vec!["m".into()],
        defines: DEFINES.iter().map(|d| d.to_string()).collect(),
        quiet,
        ..BuildRequest::default()
    };
    let artifact = crate::clang::build(cx.runtime, cx.lanes.require("c")?, &request)?;
    let shell = command.place(&artifact.path)?;
    if !quiet {
        eprintln!("capsa: built sqlite3.wasm (sha256 {})", artifact.sha256);
    }
    Ok(shell)
}

/// Unpacks SQLite's tarball from the package into `staging` and gathers the
/// files the build needs in a directory of their own; returns it.
fn unpack_sources(package_dir: &Path, staging: &Path) -> Result<PathBuf, LaneError> {
    let tarball = package_dir.join(SOURCES_TARBALL);
    let unpacked = staging.join("unpacked");
    capsa_provision::unpack_tgz(&tarball, &unpacked)?;
    let src = staging.join("sqlite");
    std::fs::create_dir_all(&src).map_err(|e| LaneError::io(&src, e))?;
    for name in SOURCE_FILES {
        let from = unpacked.join(SOURCES_DIR).join(name);
        let to = src.join(name);
        std::fs::rename(&from, &to).map_err(|e| LaneError::io(&from, e))?;
    }
    let pwd_init = src.join("sqlite_pwd.c");
    std::fs::write(&pwd_init, PWD_INIT).map_err(|e| LaneError::io(&pwd_init, e))?;
    Ok(src)
}

/// Grants the shell's directory read-only at [`HOME`] in `config`.
fn grant(shell: &Toolchain, config: &mut VmConfig) {
    config.grants.dirs.push(DirGrant { host: shell.sysroot.clone(), guest: HOME.into(), read_only: true });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_pins_the_package_and_the_key_follows_the_c_toolchain() {
        let lanes = Lanes::builtin().unwrap();
        let lane = lanes.get(LANE).unwrap();
        let npm = package(lane).unwrap();
        assert_eq!((npm.name, npm.version), ("sqlite3", "6.0.1"));
        assert!(npm.integrity.starts_with("sha512-"));
        let mut c = lanes.get("c").unwrap().clone();
        let before = key(lane, &c);
        c.integrity = Some("sha512-other".into());
        assert_ne!(before, key(lane, &c));
        assert!(EXECUTABLE.starts_with(HOME) && EXECUTABLE.ends_with(MODULE));
    }
}
