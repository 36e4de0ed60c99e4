//! The TypeScript lane: the real `tsc` (npm `typescript`, pinned and
//! checked like clang) runs inside the JavaScript lane's `qjs` command as a
//! wasm guest and strips the types with `transpileModule`
//! (`lanes/typescript/strip.js`); the JavaScript then takes the JavaScript
//! lane. The stripped JS is cached by the hash of typescript, the driver
//! and the source.

use std::path::{Path, PathBuf};

use capsa_provision::{NpmPackage, Source};
use capsa_runtime::{DirGrant, ExitStatus, Runtime};
use sha2::{Digest, Sha256};

use crate::manifest::Manifest;
use crate::{Artifact, BuildRequest, LaneError, Lanes, clang, js};

/// The lane's id.
const LANE: &str = "typescript";

/// Where the typescript package appears to the stripping guest.
const HOME: &str = "/usr/lib/capsa/typescript";

/// The driver that runs `transpileModule`.
const STRIP: &[u8] = include_bytes!("../../../lanes/typescript/strip.js");

/// Whether `lane` is the TypeScript lane.
pub fn is_ts(lane: &Manifest) -> bool {
    lane.id == LANE
}

fn package(lane: &Manifest) -> Result<NpmPackage<'_>, LaneError> {
    match (&lane.npm, &lane.integrity) {
        (Some(npm), Some(integrity)) => Ok(NpmPackage { name: &npm.name, version: &npm.version, integrity }),
        _ => Err(LaneError::Unavailable { lane: lane.id.clone(), reason: "its manifest names no npm package".into() }),
    }
}

/// Whether typescript and the `qjs` command are in the cache.
///
/// # Errors
/// A malformed manifest.
pub fn installed(runtime: &Runtime, lanes: &Lanes, lane: &Manifest) -> Result<bool, LaneError> {
    Ok(package(lane)?.installed(runtime.cache_root()).is_some() && js::installed(runtime, lanes)?.is_some())
}

/// Fetches and checks typescript unless it is in the cache, and builds the
/// JavaScript lane's `qjs` command unless it is built; progress unless `quiet`.
///
/// # Errors
/// Provisioning or the build failed.
pub fn install(runtime: &Runtime, lanes: &Lanes, lane: &Manifest, quiet: bool) -> Result<PathBuf, LaneError> {
    let dir = package(lane)?.install(runtime.cache_root(), Source::Registry, quiet)?;
    js::install(runtime, lanes, &capsa_runtime::VmConfig::default(), quiet)?;
    Ok(dir)
}

/// Builds `capsa build app.ts`: strips the types, then builds the JS.
pub(crate) fn build(runtime: &Runtime, lanes: &Lanes, request: &BuildRequest) -> Result<Artifact, LaneError> {
    let [input] = request.inputs.as_slice() else {
        return Err(LaneError::Input("the TypeScript lane builds one .ts file at a time".into()));
    };
    let lane = lanes.get(LANE).ok_or_else(|| LaneError::UnknownLanguage(format!("lane {LANE}")))?;
    let source = std::fs::read(input).map_err(|e| LaneError::io(input, e))?;
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
    let home = install(runtime, lanes, lane, request.quiet)?;
    let qjs = js::install(runtime, lanes, &capsa_runtime::VmConfig::default(), true)?;
    let jobs = runtime.cache_root().join("jobs");
    std::fs::create_dir_all(&jobs).map_err(|e| LaneError::io(&jobs, e))?;
    let work = tempfile::Builder::new().prefix("ts-").tempdir_in(&jobs).map_err(|e| LaneError::io(&jobs, e))?;
    for (file, bytes) in [(name, source), ("strip.js", STRIP)] {
        let path = work.path().join(file);
        std::fs::write(&path, bytes).map_err(|e| LaneError::io(&path, e))?;
    }
    let mut config = clang::compiler_config(&request.budget);
    let mount = |host: &Path, guest: &str, read_only| DirGrant { host: host.into(), guest: guest.into(), read_only };
    config.grants.dirs.push(mount(&home, HOME, true));
    config.grants.dirs.push(mount(work.path(), "/work", false));
    let argv = ["qjs", "-m", "/work/strip.js", name].map(String::from);
    let vm = runtime.vm(config)?;
    let outcome = vm.run_digested(&qjs.sha256, &mut || qjs.module_bytes(), &argv)?;
    let mut diagnostics = outcome.stdout_str();
    diagnostics.push_str(&outcome.stderr_str());
    let stage = format!("stripping the types of {name}");
    match outcome.status {
        ExitStatus::Exited(0) => {}
        ExitStatus::Exited(_) => return Err(LaneError::Failed { stage, diagnostics }),
        ExitStatus::Killed(limit) => return Err(LaneError::Budget { stage, limit: limit.to_string(), diagnostics }),
        ExitStatus::Trapped(reason) => return Err(LaneError::Crashed { stage, reason, diagnostics }),
        ExitStatus::Signaled(signal) => {
            return Err(LaneError::Crashed { stage, reason: format!("ended by signal {signal}"), diagnostics });
        }
    }
    let out = work.path().join("out.js");
    let js = std::fs::read(&out).map_err(|e| LaneError::io(&out, e))?;
    if let Some(parent) = cached.parent() {
        // The cache is an optimisation: a failure to fill it only costs a rerun.
        let partial = cached.with_extension(format!("js.{}", std::process::id()));
        let _ = std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::write(&partial, &js))
            .and_then(|()| std::fs::rename(&partial, &cached));
    }
    Ok(js)
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
