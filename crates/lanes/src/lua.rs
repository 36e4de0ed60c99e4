//! The Lua lane (`interpret`): Lua 5.4, built once from its C sources by the
//! C lane — every compile and the link a wasm guest — into `lua.wasm`, which
//! then runs scripts as they are.
//!
//! The sources come from the pinned `lua-src` crate, embedded at build time
//! (`build/lua.rs`); the interpreter's `main` is capsa's own
//! (`lanes/lua/lua_main.c`). Lua raises errors with setjmp/longjmp, which
//! the C lane maps to wasm exception handling. The built module is copied
//! from the artifact store into a directory of its own, so that a VM can be
//! given the interpreter read-only at [`HOME`] without seeing any other
//! artifact.

use std::path::Path;

use capsa_runtime::{DirGrant, Runtime, VmConfig};
use sha2::{Digest, Sha256};

use crate::built::{BuiltCommand, ScriptFile};
use crate::driver::{Cx, Driver, ShellCommands, interpret_script, no_tarball};
use crate::manifest::Manifest;
use crate::toolchain::{self, Toolchain};
use crate::{BuildRequest, LaneError, Lanes, Prepared, Source};

/// Where the interpreter appears in a VM.
pub const HOME: &str = "/usr/lib/capsa/lua";

/// The interpreter's module inside a VM.
pub const EXECUTABLE: &str = "/usr/lib/capsa/lua/lua.wasm";

/// The lane's id (its command directory's name in the cache).
const LANE: &str = "lua";

/// The names the interpreter answers to in a shell VM.
const COMMANDS: &[&str] = &["lua", "lua5.4"];

/// The module's file name in its directory.
const MODULE: &str = "lua.wasm";

/// capsa's interpreter main.
const MAIN: &[u8] = include_bytes!("../../../lanes/lua/lua_main.c");

/// The optimisation level Lua is built with.
const OPTIMIZE: &str = "2";

/// The defines Lua is built with (part of the key). lua-src's WASI build
/// picks sort pivots with arc4random, which traps without capsa's --random
/// grant; rand() cannot trap, and Lua needs no more ("~0 is a good
/// choice", ltablib.c).
const DEFINES: &[&str] = &["l_randomizePivot=rand"];

mod sources {
    include!(concat!(env!("OUT_DIR"), "/lua_sources.rs"));
}

pub use sources::LUA_VERSION;

/// The Lua lane's driver.
pub(crate) struct Lua;

impl Driver for Lua {
    fn ids(&self) -> &'static [&'static str] {
        &[LANE]
    }

    /// Builds the interpreter on first use (with progress unless `quiet`),
    /// grants it and the script's directory.
    fn prepare(
        &self,
        cx: Cx<'_>,
        script: &Path,
        args: &[String],
        config: &mut VmConfig,
        quiet: bool,
    ) -> Result<Option<Prepared>, LaneError> {
        let script = ScriptFile::find(script)?;
        let interpreter = install(cx.runtime, cx.lanes, config, quiet)?;
        Ok(Some(interpret_script(&script, interpreter, grant, "lua", args, config)))
    }

    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
        no_tarball(cx, source)?;
        install(cx.runtime, cx.lanes, &VmConfig::default(), quiet).map(drop)
    }

    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError> {
        Ok(installed(cx.runtime, cx.lanes)?.is_some())
    }

    fn shell_commands(&self) -> Option<ShellCommands> {
        Some(ShellCommands { names: COMMANDS, executable: EXECUTABLE, script: None })
    }

    fn grant_shell_commands(&self, cx: Cx<'_>, config: &mut VmConfig) -> Result<bool, LaneError> {
        let interpreter = installed(cx.runtime, cx.lanes)?;
        interpreter.iter().for_each(|interpreter| grant(interpreter, config));
        Ok(interpreter.is_some())
    }
}

/// The C lane that builds Lua.
fn c_lane(lanes: &Lanes) -> Result<&Manifest, LaneError> {
    lanes.require("c")
}

/// The key of this capsa's Lua build: the sources, the main, the flags and
/// the C toolchain's pinned integrity. It names the interpreter's directory
/// under `<cache>/lanes/lua`, so a new capsa or toolchain builds it anew.
fn key(c: &Manifest) -> String {
    let mut hasher = Sha256::new();
    let parts = ["capsa lua lane 2", LUA_VERSION, OPTIMIZE, &c.version, c.integrity.as_deref().unwrap_or_default()];
    for part in parts.into_iter().chain(DEFINES.iter().copied()) {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for (name, bytes) in sources::LUA_SOURCES.iter().chain(&[("lua_main.c", MAIN)]) {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex::encode(hasher.finalize())
}

/// The interpreter under `<cache>/lanes/lua`, named by its key.
fn command(runtime: &Runtime, c: &Manifest) -> BuiltCommand {
    BuiltCommand::new(runtime, LANE, MODULE, key(c))
}

/// The built interpreter, if it is in the cache (nothing is built).
fn installed(runtime: &Runtime, lanes: &Lanes) -> Result<Option<Toolchain>, LaneError> {
    command(runtime, c_lane(lanes)?).get()
}

/// Builds `lua.wasm` unless it is built: installs the C lane if needed,
/// stages the embedded sources, compiles and links them with C-lane guests
/// (progress unless `quiet`), and compiles the module for VMs of `config`'s
/// wasm stack size.
fn install(runtime: &Runtime, lanes: &Lanes, config: &VmConfig, quiet: bool) -> Result<Toolchain, LaneError> {
    let c = c_lane(lanes)?;
    let command = command(runtime, c);
    let interpreter = match command.get()? {
        Some(interpreter) => interpreter,
        None => build(runtime, c, &command, quiet)?,
    };
    let mut precompile = VmConfig::default();
    precompile.limits.stack = config.limits.stack;
    toolchain::precompile(runtime, &interpreter, precompile, true)?;
    Ok(interpreter)
}

fn build(runtime: &Runtime, c: &Manifest, command: &BuiltCommand, quiet: bool) -> Result<Toolchain, LaneError> {
    if !quiet {
        eprintln!(
            "capsa: building Lua {LUA_VERSION} from its {} C sources with the C lane (once)",
            sources::LUA_SOURCES.iter().filter(|(name, _)| name.ends_with(".c")).count() + 1
        );
    }
    let staging = command.staging()?;
    let src = staging.path().join("lua");
    std::fs::create_dir_all(&src).map_err(|e| LaneError::io(&src, e))?;
    for (name, bytes) in sources::LUA_SOURCES.iter().chain(&[("lua_main.c", MAIN)]) {
        let path = src.join(name);
        std::fs::write(&path, bytes).map_err(|e| LaneError::io(&path, e))?;
    }
    let request = BuildRequest {
        inputs: vec![src],
        lang: Some("c".into()),
        optimize: Some(OPTIMIZE.into()),
        libs: vec!["m".into()],
        defines: DEFINES.iter().map(|d| d.to_string()).collect(),
        quiet,
        ..BuildRequest::default()
    };
    let artifact = crate::clang::build(runtime, c, &request)?;
    let interpreter = command.place(&artifact.path)?;
    if !quiet {
        eprintln!("capsa: built lua.wasm (sha256 {})", artifact.sha256);
    }
    Ok(interpreter)
}

/// Grants the interpreter's directory read-only at [`HOME`] in `config`.
fn grant(interpreter: &Toolchain, config: &mut VmConfig) {
    config.grants.dirs.push(DirGrant { host: interpreter.sysroot.clone(), guest: HOME.into(), read_only: true });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sources_are_lua_5_4_without_a_main() {
        assert_eq!(LUA_VERSION, "5.4.9");
        let units: Vec<&str> =
            sources::LUA_SOURCES.iter().map(|(name, _)| *name).filter(|n| n.ends_with(".c")).collect();
        assert_eq!(units.len(), 32, "{units:?}");
        assert!(!units.contains(&"lua.c") && !units.contains(&"luac.c"));
        for header in ["lua.h", "luaconf.h", "lualib.h", "lauxlib.h"] {
            assert!(sources::LUA_SOURCES.iter().any(|(name, _)| *name == header), "{header}");
        }
        assert!(std::str::from_utf8(MAIN).is_ok_and(|main| main.contains("luaL_traceback")));
    }

    #[test]
    fn the_key_follows_the_c_toolchain() {
        let lanes = Lanes::builtin().unwrap();
        let mut c = c_lane(&lanes).unwrap().clone();
        let before = key(&c);
        assert_eq!(before, key(&c));
        c.integrity = Some("sha512-other".into());
        assert_ne!(before, key(&c));
    }
}
