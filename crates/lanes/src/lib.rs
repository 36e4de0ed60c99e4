//! Language lanes: one source language's path from untrusted text to a
//! runnable wasm module, where every stage that executes — compiler, linker,
//! the program itself — is a wasm guest under capsa (seed 002).
//!
//! A lane is a directory `lanes/<lang>/` with a `manifest.org`; the
//! manifests are embedded at build time and listed by [`Lanes::builtin`].
//! This crate owns the manifests, the C and C++ driver (parallel `clang -c`
//! guests, one `wasm-ld` guest), the staging of inputs, the
//! content-addressed artifact store, and the ledger `capsa lanes` prints.
//! Toolchains come from `capsa-provision`; guests run on `capsa-runtime`.

#![forbid(unsafe_code)]

mod artifact;
mod built;
mod clang;
mod driver;
pub mod go;
pub mod js;
pub mod ledger;
pub mod lua;
pub mod manifest;
pub mod python;
pub mod sqlite;
mod stage;
mod toolchain;
pub mod ts;
mod user_files;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use capsa_provision::{ProvisionError, Source};
use capsa_runtime::{Runtime, RuntimeError};
pub use driver::{Cx, Driver, ShellCommands};
pub use manifest::{Kind, Manifest, ManifestError, Status};
pub use toolchain::Toolchain;

/// What is embedded from the source tree (see `build.rs`).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Why a build could not produce a program.
#[derive(Debug, thiserror::Error)]
pub enum LaneError {
    /// A lane manifest is malformed (a bug in capsa's lanes/ tree).
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// No lane takes this input.
    #[error("no lane for {0} (see `capsa lanes`; choose one with --lang)")]
    UnknownLanguage(String),
    /// The lane exists but cannot run.
    #[error("lane unavailable: {lane}: {reason}")]
    Unavailable {
        /// Lane id.
        lane: String,
        /// Its blocker.
        reason: String,
    },
    /// The toolchain could not be provisioned.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// The inputs are not usable.
    #[error("{0}")]
    Input(String),
    /// A host file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The compiler or linker reported errors; its diagnostics say which.
    #[error("{stage} failed")]
    Failed {
        /// `compiling x.c`, `linking`.
        stage: String,
        /// The tool's own diagnostics (paths mapped back to the host's).
        diagnostics: String,
    },
    /// A compiler guest hit its budget.
    #[error(
        "{stage} was stopped by the compiler budget: {limit} (raise it with --compile-cpu, --compile-timeout, --compile-memory or --compile-fuel)"
    )]
    Budget {
        /// What was running.
        stage: String,
        /// Which limit.
        limit: String,
        /// What it printed before.
        diagnostics: String,
    },
    /// A compiler guest crashed.
    #[error("{stage}: the compiler crashed: {reason}")]
    Crashed {
        /// What was running.
        stage: String,
        /// The trap or signal.
        reason: String,
        /// What it printed before.
        diagnostics: String,
    },
    /// The runtime could not run a guest at all.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl LaneError {
    pub(crate) fn io(path: &Path, err: impl std::fmt::Display) -> LaneError {
        LaneError::Io { path: path.to_path_buf(), reason: err.to_string() }
    }

    /// The tool output that belongs with this error (clang's diagnostics).
    pub fn diagnostics(&self) -> &str {
        match self {
            LaneError::Failed { diagnostics, .. }
            | LaneError::Budget { diagnostics, .. }
            | LaneError::Crashed { diagnostics, .. } => diagnostics,
            _ => "",
        }
    }
}

/// Every lane capsa knows, from the embedded manifests.
#[derive(Debug, Clone)]
pub struct Lanes {
    manifests: Vec<Manifest>,
}

impl Lanes {
    /// The lanes of capsa's `lanes/` tree.
    ///
    /// # Errors
    /// A malformed manifest.
    pub fn builtin() -> Result<Lanes, LaneError> {
        let manifests =
            embedded::MANIFESTS.iter().map(|(dir, text)| manifest::parse(dir, text)).collect::<Result<Vec<_>, _>>()?;
        Ok(Lanes { manifests })
    }

    /// All lanes, by directory name.
    pub fn all(&self) -> &[Manifest] {
        &self.manifests
    }

    /// The lane with this id (`#+COMPILER`).
    pub fn get(&self, id: &str) -> Option<&Manifest> {
        self.manifests.iter().find(|m| m.id == id)
    }

    /// The lane that takes files with `path`'s extension.
    pub fn for_path(&self, path: &Path) -> Option<&Manifest> {
        let ext = path.extension()?.to_str()?;
        self.manifests.iter().find(|m| m.extensions.iter().any(|e| e == ext))
    }

    /// Whether `path` is source for some lane (a directory counts when it
    /// holds C or C++ sources), as opposed to a wasm module.
    pub fn is_source(&self, path: &Path) -> bool {
        if path.is_dir() {
            return true;
        }
        self.for_path(path).is_some()
    }

    /// The lane for these inputs: `lang` if given, else by extension; a
    /// directory or a mix is C++ when any translation unit is C++.
    ///
    /// # Errors
    /// `UnknownLanguage`, or `Unavailable` for a lane that is not in-sandbox.
    pub fn choose(&self, inputs: &[PathBuf], lang: Option<&str>) -> Result<&Manifest, LaneError> {
        let lane = match lang {
            Some(id) => self.get(id).ok_or_else(|| LaneError::UnknownLanguage(format!("--lang {id}")))?,
            None => {
                let mut chosen: Option<&Manifest> = None;
                for input in inputs {
                    let lane = if input.is_dir() { clang::lane_of_tree(self, input) } else { self.for_path(input) };
                    let lane = lane.ok_or_else(|| LaneError::UnknownLanguage(input.display().to_string()))?;
                    chosen = match chosen {
                        Some(prev) if prev.id != lane.id && clang::is_c_family(prev) && clang::is_c_family(lane) => {
                            self.get("cpp")
                        }
                        Some(prev) if prev.id != lane.id => {
                            return Err(LaneError::Input(format!(
                                "sources of two languages ({} and {}) in one build",
                                prev.title, lane.title
                            )));
                        }
                        _ => Some(lane),
                    };
                }
                chosen.ok_or_else(|| LaneError::Input("no source given".into()))?
            }
        };
        self.usable(lane)?;
        Ok(lane)
    }

    /// `Unavailable` with the manifest's blocker unless `lane` runs in the
    /// sandbox today.
    ///
    /// # Errors
    /// See above.
    pub fn usable(&self, lane: &Manifest) -> Result<(), LaneError> {
        if lane.status == Status::InSandbox {
            return Ok(());
        }
        Err(LaneError::Unavailable {
            lane: lane.id.clone(),
            reason: lane.blocker.clone().unwrap_or_else(|| lane.status.as_str().into()),
        })
    }

    /// The driver of `lane`.
    ///
    /// # Errors
    /// `Unavailable` for a lane capsa has no driver for.
    pub fn driver(&self, lane: &Manifest) -> Result<&'static dyn Driver, LaneError> {
        driver::find(lane).ok_or_else(|| LaneError::Unavailable {
            lane: lane.id.clone(),
            reason: "capsa has no driver for it".into(),
        })
    }

    /// The lane with this id, or `UnknownLanguage`.
    ///
    /// # Errors
    /// See above.
    pub(crate) fn require(&self, id: &str) -> Result<&Manifest, LaneError> {
        self.get(id).ok_or_else(|| LaneError::UnknownLanguage(format!("lane {id}")))
    }
}

/// The budget of each compiler and linker guest: CPU time (10 min), wall
/// clock (180 s, seed 002) and memory. Seed 002's fuel budget (8e11) is an
/// opt-in (`--compile-fuel`): metering costs compute speed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompilerBudget {
    /// CPU time per guest's VM.
    pub cpu: Duration,
    /// Fuel per guest, when deterministic metering is asked for.
    pub fuel: Option<u64>,
    /// Wall-clock time per guest.
    pub wall: Duration,
    /// Linear memory per guest.
    pub memory: u64,
}

impl Default for CompilerBudget {
    fn default() -> Self {
        CompilerBudget {
            cpu: capsa_runtime::Limits::COMPILER_CPU,
            fuel: None,
            wall: Duration::from_secs(180),
            memory: 4 << 30,
        }
    }
}

/// What to build.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// Source files and/or directories.
    pub inputs: Vec<PathBuf>,
    /// A lane id to use instead of guessing from extensions.
    pub lang: Option<String>,
    /// `-I` directories (their headers are staged).
    pub includes: Vec<PathBuf>,
    /// `-D NAME[=VALUE]`.
    pub defines: Vec<String>,
    /// `-O` level (`0`, `1`, `2`, `3`, `s`, `z`); default 2.
    pub optimize: Option<String>,
    /// `-l` libraries of the sysroot (`m`, `wasi-emulated-mman`, …).
    pub libs: Vec<String>,
    /// Each compiler guest's budget.
    pub budget: CompilerBudget,
    /// No progress lines on stderr.
    pub quiet: bool,
}

/// A built program.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The `.wasm` in capsa's artifact store.
    pub path: PathBuf,
    /// sha256 of the `.wasm` (hex).
    pub sha256: String,
    /// The build's key: sha256 over the lane, its toolchain, every input and
    /// every flag (hex). Equal keys are equal programs.
    pub key: String,
    /// How many translation units were compiled (0: found in the store).
    pub compiled: usize,
    /// Warnings the compiler printed.
    pub diagnostics: String,
}

/// Builds a program from source, every stage a wasm guest.
///
/// # Errors
/// See [`LaneError`].
pub fn build(runtime: &Runtime, lanes: &Lanes, request: &BuildRequest) -> Result<Artifact, LaneError> {
    let lane = lanes.choose(&request.inputs, request.lang.as_deref())?;
    lanes.driver(lane)?.build(Cx { runtime, lanes, lane }, request)
}

/// A source that an interpreting lane runs as it is: the interpreter (or
/// runner) module and the argv it gets; its VM's grants are already in the
/// configuration [`prepare`] was given.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The module that executes.
    pub toolchain: Toolchain,
    /// Its argv, the script (or program) and its arguments included.
    pub argv: Vec<String>,
}

/// Prepares `capsa run SOURCE args…` for a lane that runs source through an
/// interpreter (Python, Lua, Go): installs what is missing (with progress
/// unless `quiet`) and grants the VM of `config` what the run needs.
/// `Ok(None)` for a lane that builds a module instead ([`build`]).
///
/// # Errors
/// The lane is unavailable, the source is missing, or installing or
/// building failed.
pub fn prepare(
    runtime: &Runtime,
    lanes: &Lanes,
    lane: &Manifest,
    script: &Path,
    args: &[String],
    config: &mut capsa_runtime::VmConfig,
    quiet: bool,
) -> Result<Option<Prepared>, LaneError> {
    lanes.usable(lane)?;
    lanes.driver(lane)?.prepare(Cx { runtime, lanes, lane }, script, args, config, quiet)
}

/// Installs a lane's toolchain (fetch, check, unpack, or build) and compiles
/// its module into the module cache, showing progress unless `quiet`.
///
/// # Errors
/// An unknown or unavailable lane, or a provisioning failure.
pub fn install(runtime: &Runtime, lanes: &Lanes, id: &str, source: Source<'_>, quiet: bool) -> Result<(), LaneError> {
    let lane = lanes.get(id).ok_or_else(|| LaneError::UnknownLanguage(format!("lane {id}")))?;
    lanes.usable(lane)?;
    lanes.driver(lane)?.install(Cx { runtime, lanes, lane }, source, quiet)
}

/// Whether a lane's toolchain is installed in the cache; `None` for a lane
/// capsa cannot drive (it has nothing to install).
///
/// # Errors
/// A malformed manifest or digest file.
pub fn installed(runtime: &Runtime, lanes: &Lanes, lane: &Manifest) -> Result<Option<bool>, LaneError> {
    match driver::find(lane) {
        Some(driver) => driver.installed(Cx { runtime, lanes, lane }).map(Some),
        None => Ok(None),
    }
}

/// A lane's shell commands, and whether a shell VM got them.
#[derive(Debug)]
pub struct ShellOffer {
    /// The lane's id (what `capsa lanes install` takes).
    pub lane: String,
    /// Its commands.
    pub commands: ShellCommands,
    /// `Ok(true)`: installed and granted; `Ok(false)`: not installed.
    pub granted: Result<bool, LaneError>,
}

/// Grants `config` the toolchain of every installed lane that offers shell
/// commands, and lists every such lane: the caller makes the commands (or
/// ones saying how to install the lane). Nothing is fetched or built.
pub fn grant_shell_commands(runtime: &Runtime, lanes: &Lanes, config: &mut capsa_runtime::VmConfig) -> Vec<ShellOffer> {
    let mut offers = Vec::new();
    for lane in lanes.all().iter().filter(|lane| lane.status == Status::InSandbox) {
        let Some(driver) = driver::find(lane) else { continue };
        let Some(commands) = driver.shell_commands() else { continue };
        // One driver may drive several lanes (C and C++): one offer.
        if offers.iter().any(|offer: &ShellOffer| offer.commands.executable == commands.executable) {
            continue;
        }
        let granted = driver.grant_shell_commands(Cx { runtime, lanes, lane }, config);
        offers.push(ShellOffer { lane: lane.id.clone(), commands, granted });
    }
    offers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_manifest_parses() {
        let lanes = Lanes::builtin().unwrap();
        for id in ["c", "cpp", "rust", "zig", "go", "javascript", "typescript", "python", "lua"] {
            assert!(lanes.get(id).is_some(), "lane {id}");
        }
        assert_eq!(lanes.for_path(Path::new("x.cc")).map(|m| m.id.as_str()), Some("cpp"));
        assert_eq!(lanes.for_path(Path::new("x.c")).map(|m| m.id.as_str()), Some("c"));
    }

    #[test]
    fn blocked_lanes_say_why() {
        let lanes = Lanes::builtin().unwrap();
        let err = lanes.choose(&[PathBuf::from("main.rs")], None).unwrap_err();
        assert!(err.to_string().starts_with("lane unavailable: rust: "), "{err}");
        let err = lanes.choose(&[PathBuf::from("x.f90")], None).unwrap_err();
        assert!(matches!(err, LaneError::UnknownLanguage(_)), "{err}");
        assert_eq!(lanes.choose(&[PathBuf::from("a.c"), PathBuf::from("b.cpp")], None).unwrap().id, "cpp");
    }
}
