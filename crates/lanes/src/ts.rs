//! The TypeScript lane: the real `tsc` (npm `typescript`, pinned and
//! checked like clang) runs inside the JavaScript lane's `qjs` command as a
//! wasm guest and strips the types with `transpileModule`
//! (`lanes/typescript/strip.js`); the JavaScript then takes the JavaScript
//! lane. The stripped JS is cached by the hash of typescript, the driver
//! and the source. `capsa check` runs tsc's checker the same way
//! (`lanes/typescript/check.js`), against ES2022 and capsa's JavaScript
//! globals (`capsa-globals.d.ts`).

use std::path::Path;

use capsa_provision::{NpmPackage, Source};
use capsa_runtime::{DirGrant, ExitStatus, Runtime};
use sha2::{Digest, Sha256};

use crate::driver::{Cx, Driver};
use crate::manifest::Manifest;
use crate::{Artifact, BuildRequest, LaneError, Lanes, clang, js, user_files};

/// The lane's id.
const LANE: &str = "typescript";

/// Where the typescript package appears to the stripping guest.
const HOME: &str = "/usr/lib/capsa/typescript";

/// The driver that runs `transpileModule`.
const STRIP: &[u8] = include_bytes!("../../../lanes/typescript/strip.js");
/// The driver that type-checks.
const CHECK: &[u8] = include_bytes!("../../../lanes/typescript/check.js");
/// The JavaScript lane's globals, declared for the checker.
const GLOBALS: &[u8] = include_bytes!("../../../lanes/typescript/capsa-globals.d.ts");

/// The TypeScript lane's driver.
pub(crate) struct TypeScript;

impl Driver for TypeScript {
    fn ids(&self) -> &'static [&'static str] {
        &[LANE]
    }

    fn build(&self, cx: Cx<'_>, request: &BuildRequest) -> Result<Artifact, LaneError> {
        build(cx.runtime, cx.lanes, cx.lane, request)
    }

    /// typescript itself; the JavaScript lane's `qjs` too, which runs it.
    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
        package(cx.lane)?.install(cx.runtime.cache_root(), source, quiet)?;
        js::install(cx.runtime, cx.lanes, &capsa_runtime::VmConfig::default(), quiet).map(drop)
    }

    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError> {
        Ok(package(cx.lane)?.installed(cx.runtime.cache_root()).is_some()
            && js::installed(cx.runtime, cx.lanes)?.is_some())
    }
}

fn package(lane: &Manifest) -> Result<NpmPackage<'_>, LaneError> {
    match (&lane.npm, &lane.integrity) {
        (Some(npm), Some(integrity)) => Ok(NpmPackage { name: &npm.name, version: &npm.version, integrity }),
        _ => Err(LaneError::Unavailable { lane: lane.id.clone(), reason: "its manifest names no npm package".into() }),
    }
}

/// Builds `capsa build app.ts`: strips the types, then builds the JS.
fn build(runtime: &Runtime, lanes: &Lanes, lane: &Manifest, request: &BuildRequest) -> Result<Artifact, LaneError> {
    let [input] = request.inputs.as_slice() else {
        return Err(LaneError::Input("the TypeScript lane builds one .ts file at a time".into()));
    };
    let source = user_files::read_named_file(input, user_files::MAX_SCRIPT_BYTES)?;
    let name = input.file_name().map_or_else(|| "main.ts".into(), |n| n.to_string_lossy().into_owned());
    if name.contains('/') || name.starts_with('.') {
        return Err(LaneError::Input(format!("{}: not a usable file name", input.display())));
    }
    let js = strip(runtime, lanes, lane, request, &name, &source)?;
    js::build_source(runtime, lanes, request, &name, &js)
}

/// The JavaScript of `source`, from the cache or from a `transpileModule` guest.
fn strip(
    runtime: &Runtime,
    lanes: &Lanes,
    lane: &Manifest,
    request: &BuildRequest,
    name: &str,
    source: &[u8],
) -> Result<Vec<u8>, LaneError> {
    let package = package(lane)?;
    let mut hasher = Sha256::new();
    for part in [b"capsa typescript strip 1".as_slice(), package.integrity.as_bytes(), STRIP, name.as_bytes(), source] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let key = hex::encode(hasher.finalize());
    let cached = runtime.cache_root().join("lanes").join(LANE).join("js").join(format!("{key}.js"));
    if let Ok(js) = std::fs::read(&cached) {
        return Ok(js);
    }
    let (work, _) = run_driver(
        runtime,
        lanes,
        lane,
        request,
        &format!("stripping the types of {name}"),
        ("strip.js", STRIP),
        &[(name, source)],
    )?;
    // What the guest wrote is read as any user file: a regular file of the job, bounded.
    let js = user_files::Tree::open(work.path())?.read(Path::new("out.js"), user_files::MAX_SCRIPT_BYTES)?;
    if let Some(parent) = cached.parent() {
        // The cache is an optimisation: a failure to fill it only costs a rerun.
        let partial = cached.with_extension(format!("js.{}", std::process::id()));
        let _ = std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::write(&partial, &js))
            .and_then(|()| std::fs::rename(&partial, &cached));
    }
    Ok(js)
}

/// Type-checks TypeScript sources (`capsa check`): tsc's warnings when it
/// reports no error, else `Failed` with its diagnostics.
///
/// # Errors
/// See above; a source that cannot be read; provisioning failed.
pub fn check(runtime: &Runtime, lanes: &Lanes, request: &BuildRequest) -> Result<String, LaneError> {
    let lane = lanes.choose(&request.inputs, Some(LANE))?;
    let mut files = Vec::new();
    for input in &request.inputs {
        let name = file_name(input)?;
        if files.iter().any(|(other, _): &(String, Vec<u8>)| *other == name) {
            return Err(LaneError::Input(format!("{name} is given twice")));
        }
        files.push((name, user_files::read_named_file(input, user_files::MAX_SCRIPT_BYTES)?));
    }
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let mut staged: Vec<(&str, &[u8])> = files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())).collect();
    staged.push(("capsa-globals.d.ts", GLOBALS));
    let stage = format!("type-checking {}", names.join(", "));
    run_driver(runtime, lanes, lane, request, &stage, ("check.js", CHECK), &staged).map(|(_, warnings)| warnings)
}

/// A source's file name, which is also its name in the guest's `/work`.
fn file_name(input: &Path) -> Result<String, LaneError> {
    let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.is_empty() || name.starts_with('.') || name == "capsa-globals.d.ts" {
        return Err(LaneError::Input(format!("{}: not a usable file name", input.display())));
    }
    Ok(name)
}

/// Runs a typescript driver (`strip.js`, `check.js`) in a `qjs` guest under
/// the compiler budget, with typescript read-only at [`HOME`] and `files` in
/// a fresh `/work`, the sources' names as its arguments; returns that job
/// directory and what the driver printed.
fn run_driver(
    runtime: &Runtime,
    lanes: &Lanes,
    lane: &Manifest,
    request: &BuildRequest,
    stage: &str,
    driver: (&str, &[u8]),
    files: &[(&str, &[u8])],
) -> Result<(tempfile::TempDir, String), LaneError> {
    let home = package(lane)?.install(runtime.cache_root(), Source::Registry, request.quiet)?;
    let qjs = js::install(runtime, lanes, &capsa_runtime::VmConfig::default(), request.quiet)?;
    let work = clang::job_dir(runtime)?;
    for (file, bytes) in files.iter().chain(std::iter::once(&driver)) {
        let path = work.path().join(file);
        std::fs::write(&path, bytes).map_err(|e| LaneError::io(&path, e))?;
    }
    let mut config = clang::compiler_config(&request.budget);
    let mount = |host: &Path, guest: &str, read_only| DirGrant { host: host.into(), guest: guest.into(), read_only };
    config.grants.dirs.push(mount(&home, HOME, true));
    config.grants.dirs.push(mount(work.path(), "/work", false));
    let script = format!("/work/{}", driver.0);
    let args = files.iter().map(|(name, _)| *name).filter(|name| *name != "capsa-globals.d.ts");
    let argv: Vec<String> = ["qjs", "-m", &script].into_iter().chain(args).map(String::from).collect();
    let vm = runtime.vm(config)?;
    let outcome = vm.run_digested(&qjs.sha256, &mut || qjs.module_bytes(), &argv)?;
    let mut diagnostics = outcome.stdout_str();
    diagnostics.push_str(&outcome.stderr_str());
    let stage = stage.to_string();
    match outcome.status {
        ExitStatus::Exited(0) => Ok((work, diagnostics)),
        ExitStatus::Exited(_) => Err(LaneError::Failed { stage, diagnostics }),
        ExitStatus::Killed(limit) => Err(LaneError::Budget { stage, limit: limit.to_string(), diagnostics }),
        ExitStatus::Trapped(reason) => Err(LaneError::Crashed { stage, reason, diagnostics }),
        ExitStatus::Signaled(signal) => {
            Err(LaneError::Crashed { stage, reason: format!("ended by signal {signal}"), diagnostics })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_pins_typescript_6() {
        let lanes = Lanes::builtin().unwrap();
        let package = package(lanes.get(LANE).unwrap()).unwrap();
        assert_eq!((package.name, package.version), ("typescript", "6.0.3"));
        assert!(package.integrity.starts_with("sha512-"));
    }
}
