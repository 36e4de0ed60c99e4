//! The JavaScript lane (`embed-interpreter`): QuickJS-ng, from the C
//! sources the pinned `rquickjs-sys` crate vendors, is compiled by the C lane
//! into a cached object library once per toolchain. Each program's JS is
//! then embedded as a byte array in a generated `js_src.c`, compiled with
//! capsa's harness (`lanes/javascript/js_main.c`, `prelude.js`) and linked
//! with the library into one standalone, content-addressed `.wasm`.
//!
//! `capsa lanes install javascript` also links QuickJS's own `qjs` command
//! the same way; VMs see it read-only at [`EXECUTABLE`] as `/bin/qjs` and
//! `/bin/js`.

use capsa_runtime::{DirGrant, Runtime, VmConfig};
use sha2::{Digest, Sha256};

use crate::built::BuiltCommand;
use crate::clang::{self, LibrarySpec, ObjectLibrary};
use crate::driver::{Cx, Driver, ShellCommands, no_tarball};
use crate::manifest::Manifest;
use crate::toolchain::{self, Toolchain};
use crate::{Artifact, BuildRequest, LaneError, Lanes, Source, user_files};

/// The QuickJS-ng sources (see `build/quickjs.rs`).
mod sources {
    include!(concat!(env!("OUT_DIR"), "/quickjs_sources.rs"));
}

pub use sources::QUICKJS_VERSION;

/// Where the `qjs` command appears in a VM.
pub const HOME: &str = "/usr/lib/capsa/javascript";

/// The `qjs` command's module inside a VM.
pub const EXECUTABLE: &str = "/usr/lib/capsa/javascript/qjs.wasm";

/// The lane's id (its command directory's name in the cache).
const LANE: &str = "javascript";

/// The names the `qjs` command answers to in a shell VM.
const COMMANDS: &[&str] = &["qjs", "js"];

/// The command's file name in its directory.
const MODULE: &str = "qjs.wasm";

/// Every program's main, and the globals it sets up before the program.
const HARNESS: &[u8] = include_bytes!("../../../lanes/javascript/js_main.c");
const PRELUDE: &[u8] = include_bytes!("../../../lanes/javascript/prelude.js");
/// The clocks QuickJS reads, tolerant of a VM without the clock grant.
const COMPAT: &[u8] = include_bytes!("../../../lanes/javascript/js_compat.c");

/// The units of the `qjs` command (the rest of the sources are the library).
const COMMAND_UNITS: &[&str] = &["qjs.c", "gen_repl.c", "gen_standalone.c"];

/// QuickJS's own build defines `_GNU_SOURCE`; its clock reads go through
/// `js_compat.c`.
const LIBRARY_FLAGS: &[&str] =
    &["-O2", "-D_GNU_SOURCE", "-Dclock_gettime=capsa_clock_gettime", "-Dgettimeofday=capsa_gettimeofday"];

/// The JavaScript lane's driver.
pub(crate) struct JavaScript;

impl Driver for JavaScript {
    fn ids(&self) -> &'static [&'static str] {
        &[LANE]
    }

    fn build(&self, cx: Cx<'_>, request: &BuildRequest) -> Result<Artifact, LaneError> {
        build(cx.runtime, cx.lanes, request)
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
        let qjs = installed(cx.runtime, cx.lanes)?;
        qjs.iter().for_each(|qjs| grant(qjs, config));
        Ok(qjs.is_some())
    }
}

/// The C lane that builds QuickJS and the programs.
fn c_lane(lanes: &Lanes) -> Result<&Manifest, LaneError> {
    lanes.require("c")
}

/// QuickJS-ng compiled once per toolchain (every `.c` but the command's).
fn library(runtime: &Runtime, c: &Manifest, request: &BuildRequest) -> Result<ObjectLibrary, LaneError> {
    let toolchain = clang::toolchain(runtime, c, request)?;
    let mut units: Vec<(&str, &[u8])> =
        sources::QUICKJS_SOURCES.iter().filter(|(name, _)| !COMMAND_UNITS.contains(name)).copied().collect();
    units.push(("js_compat.c", COMPAT));
    let spec = LibrarySpec {
        name: "quickjs",
        label: "QuickJS",
        mount: "/opt/quickjs",
        headers: sources::QUICKJS_HEADERS,
        sources: &units,
        flags: LIBRARY_FLAGS,
    };
    if !request.quiet && !object_library_is_cached(runtime) {
        eprintln!("capsa: compiling QuickJS-ng {QUICKJS_VERSION} with the C lane (once per toolchain)");
    }
    clang::object_library(runtime, &toolchain, &request.budget, &spec)
}

/// Whether some QuickJS library was compiled before (only for the progress line).
fn object_library_is_cached(runtime: &Runtime) -> bool {
    let dir = runtime.cache_root().join("lanes").join("quickjs");
    std::fs::read_dir(dir)
        .is_ok_and(|mut entries| entries.any(|e| e.is_ok_and(|e| e.path().join(".complete").is_file())))
}

/// `name[] = {bytes…, 0}; name_len = n;` — NUL-terminated, as QuickJS's
/// parser requires.
fn c_array(out: &mut String, name: &str, bytes: &[u8], with_len: bool) {
    use std::fmt::Write as _;
    let _ = write!(out, "const char {name}[] = {{");
    for (i, byte) in bytes.iter().enumerate() {
        if i % 32 == 0 {
            out.push('\n');
        }
        let _ = write!(out, "{},", *byte as i8);
    }
    out.push_str("0};\n");
    if with_len {
        let _ = writeln!(out, "const unsigned int {name}_len = {};", bytes.len());
    }
}

/// The generated `js_src.c` of a program.
fn js_src(name: &str, source: &[u8]) -> String {
    let mut out = String::from("/* Generated by capsa's JavaScript lane: the program and the prelude. */\n");
    c_array(&mut out, "capsa_js_source", source, true);
    c_array(&mut out, "capsa_js_name", name.as_bytes(), false);
    c_array(&mut out, "capsa_js_prelude", PRELUDE, true);
    out
}

/// Builds `capsa build app.js`: one `.js` or `.mjs` file, embedded with the
/// harness and linked with QuickJS.
fn build(runtime: &Runtime, lanes: &Lanes, request: &BuildRequest) -> Result<Artifact, LaneError> {
    let [input] = request.inputs.as_slice() else {
        return Err(LaneError::Input("the JavaScript lane builds one .js or .mjs file at a time".into()));
    };
    if !request.includes.is_empty() || !request.defines.is_empty() || !request.libs.is_empty() {
        return Err(LaneError::Input("-I, -D and -l are C flags; the JavaScript lane takes none".into()));
    }
    let source = user_files::read_named_file(input, user_files::MAX_SCRIPT_BYTES)?;
    let name = input.file_name().map_or_else(|| "main.js".into(), |n| n.to_string_lossy().into_owned());
    build_source(runtime, lanes, request, &name, &source)
}

/// Builds the JavaScript `source`, named `name` in its errors and stacks.
pub(crate) fn build_source(
    runtime: &Runtime,
    lanes: &Lanes,
    request: &BuildRequest,
    name: &str,
    source: &[u8],
) -> Result<Artifact, LaneError> {
    // The array is NUL-terminated for QuickJS's parser.
    if source.contains(&0) {
        return Err(LaneError::Input(format!("{name}: not JavaScript text (it holds a NUL byte)")));
    }
    let c = c_lane(lanes)?;
    let lib = library(runtime, c, request)?;
    program(runtime, c, request, &lib, &[("js_main.c", HARNESS.to_vec()), ("js_src.c", js_src(name, source).into())])
}

/// Links `units` (file name, bytes; staged into one directory) with `lib`.
fn program(
    runtime: &Runtime,
    c: &Manifest,
    request: &BuildRequest,
    lib: &ObjectLibrary,
    units: &[(&str, Vec<u8>)],
) -> Result<Artifact, LaneError> {
    let staging = clang::job_dir(runtime)?;
    for (name, bytes) in units {
        let path = staging.path().join(name);
        std::fs::write(&path, bytes).map_err(|e| LaneError::io(&path, e))?;
    }
    let c_request = BuildRequest {
        inputs: vec![staging.path().to_path_buf()],
        lang: Some("c".into()),
        optimize: request.optimize.clone(),
        libs: vec!["m".into()],
        ..request.clone()
    };
    clang::build_with(runtime, c, &c_request, Some(lib))
}

/// The `qjs` command under `<cache>/lanes/javascript`, named by its key:
/// the C toolchain's pinned integrity and every source, so a new capsa or
/// toolchain builds it anew.
fn command(runtime: &Runtime, c: &Manifest) -> BuiltCommand {
    let mut hasher = Sha256::new();
    for part in ["capsa javascript lane 2", &c.version, c.integrity.as_deref().unwrap_or_default()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let extra: [(&str, &[u8]); 1] = [("js_compat.c", COMPAT)];
    for (name, bytes) in sources::QUICKJS_HEADERS.iter().chain(sources::QUICKJS_SOURCES).chain(&extra) {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    for flag in LIBRARY_FLAGS {
        hasher.update(flag.as_bytes());
        hasher.update([0]);
    }
    BuiltCommand::new(runtime, LANE, MODULE, hex::encode(hasher.finalize()))
}

/// The built `qjs` command, if it is in the cache (nothing is built).
pub(crate) fn installed(runtime: &Runtime, lanes: &Lanes) -> Result<Option<Toolchain>, LaneError> {
    command(runtime, c_lane(lanes)?).get()
}

/// Builds the `qjs` command unless it is built (the C lane and the QuickJS
/// library first, if needed), and compiles it into the module cache for
/// VMs of `config`'s wasm stack size; progress unless `quiet`.
pub(crate) fn install(
    runtime: &Runtime,
    lanes: &Lanes,
    config: &VmConfig,
    quiet: bool,
) -> Result<Toolchain, LaneError> {
    let c = c_lane(lanes)?;
    let command = command(runtime, c);
    let qjs = if let Some(qjs) = command.get()? {
        qjs
    } else {
        let request = BuildRequest { quiet, ..BuildRequest::default() };
        let lib = library(runtime, c, &request)?;
        let units: Vec<(&str, Vec<u8>)> = sources::QUICKJS_SOURCES
            .iter()
            .filter(|(name, _)| COMMAND_UNITS.contains(name))
            .map(|(name, bytes)| (*name, bytes.to_vec()))
            .collect();
        let request = BuildRequest { defines: vec!["_GNU_SOURCE".into()], ..request };
        let artifact = program(runtime, c, &request, &lib, &units)?;
        let qjs = command.place(&artifact.path)?;
        if !quiet {
            eprintln!("capsa: built qjs (QuickJS-ng {QUICKJS_VERSION}, sha256 {})", artifact.sha256);
        }
        qjs
    };
    let mut precompile = VmConfig::default();
    precompile.limits.stack = config.limits.stack;
    toolchain::precompile(runtime, &qjs, precompile, true)?;
    Ok(qjs)
}

/// The command's read-only mount, added to `config`.
pub(crate) fn grant(qjs: &Toolchain, config: &mut VmConfig) {
    config.grants.dirs.push(DirGrant { host: qjs.sysroot.clone(), guest: HOME.into(), read_only: true });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sources_are_quickjs_ng_with_its_command() {
        assert!(QUICKJS_VERSION.starts_with("0."), "{QUICKJS_VERSION}");
        for unit in ["quickjs.c", "quickjs-libc.c", "dtoa.c"].iter().chain(COMMAND_UNITS) {
            assert!(sources::QUICKJS_SOURCES.iter().any(|(name, _)| name == unit), "{unit}");
        }
        assert!(sources::QUICKJS_HEADERS.iter().any(|(name, _)| *name == "quickjs.h"));
        assert!(EXECUTABLE.starts_with(HOME) && EXECUTABLE.ends_with(MODULE));
    }

    #[test]
    fn the_program_is_a_nul_terminated_byte_array() {
        let c = js_src("a\"b.js", b"print('\xc3\xa9')");
        assert!(c.contains("const char capsa_js_source[] = {\n112,114,105,110,116,40,39,-61,-87,39,41,0};"), "{c}");
        assert!(c.contains("const unsigned int capsa_js_source_len = 11;"), "{c}");
        assert!(c.contains("capsa_js_name[] = {\n97,34,98,46,106,115,0};"), "{c}");
    }
}
