//! One-shot runs, the engine behind the Piston and Judge0 endpoints: a
//! program's files go to a fresh temporary directory, a compiled lane
//! builds them (every compiler stage a guest), and the program runs once
//! in a fresh VM with the given stdin, args and limits. What each API
//! shows of it is the API's (`piston.rs`, `judge0.rs`).
//!
//! A job and its result are plain data (serde): where the job runs is the
//! server's [`crate::Jobs`] — here, or on a cluster's worker.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use capsa_lanes::{BuildRequest, CompilerBudget, LaneError, Lanes, Manifest};
use capsa_runtime::streams::OutputSink;
use capsa_runtime::{ExitStatus, Input, Limits, Outcome, Output, Runtime, RuntimeError, VmConfig};
use serde::{Deserialize, Serialize};

/// The lane id that runs a script with the command suite's shell.
pub const SHELL: &str = "sh";

/// What to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// A lane id, or [`SHELL`].
    pub lane: String,
    /// The files, the entry point first, by relative name.
    pub files: Vec<(String, Vec<u8>)>,
    /// The program's stdin.
    pub stdin: Vec<u8>,
    /// The program's arguments.
    pub args: Vec<String>,
    /// The run's limits.
    pub limits: Limits,
    /// The compilers' budget.
    pub budget: CompilerBudget,
    /// Send stderr into stdout (Judge0's `redirect_stderr_to_stdout`).
    pub merge_stderr: bool,
}

/// How the compile went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Compile {
    /// Built; the compiler's warnings.
    Built {
        /// What the compiler printed.
        diagnostics: String,
    },
    /// The compiler reported errors.
    Failed {
        /// What the compiler printed.
        diagnostics: String,
    },
    /// A compiler hit its budget (`limit` says which).
    Stopped {
        /// What the compiler printed.
        diagnostics: String,
        /// The limit.
        limit: String,
    },
    /// capsa could not compile (the lane is missing, …).
    Error(String),
}

/// The compile stage, for a compiled lane.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompileStage {
    /// How it went.
    pub result: Compile,
    /// How long it took.
    pub took: Duration,
}

/// The run stage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunStage {
    /// What it wrote to stdout.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr.
    pub stderr: Vec<u8>,
    /// stdout and stderr as they were written, interleaved.
    pub output: Vec<u8>,
    /// How it ended; `None` if capsa could not run it (`error` says why).
    pub status: Option<ExitStatus>,
    /// Why capsa could not run it.
    pub error: Option<String>,
    /// CPU time it used.
    pub cpu: Duration,
    /// Wall-clock time it took.
    pub wall: Duration,
    /// Peak memory of the VM, in bytes.
    pub memory: u64,
}

/// What a job did; `run` is `None` when the compile failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobResult {
    /// The compile stage, for a compiled lane.
    pub compile: Option<CompileStage>,
    /// The run stage.
    pub run: Option<RunStage>,
}

/// A relative file name that stays inside the job's directory.
pub(crate) fn safe_name(name: &str) -> bool {
    !name.starts_with('/') && !name.contains('\0') && name.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
}

#[derive(Default)]
struct Streams {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    output: Vec<u8>,
}

/// Runs a job (blocking). `Err` only when the job itself is unusable (its
/// files cannot be written); a program's failures are in the result.
pub fn run(rt: &Runtime, job: &Job) -> Result<JobResult, String> {
    let dir = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
    let mut entry = None;
    for (name, bytes) in &job.files {
        if !safe_name(name) {
            return Err(format!("{name:?} is not a relative file name"));
        }
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|err| format!("{name}: {err}"))?;
        }
        std::fs::write(&path, bytes).map_err(|err| format!("{name}: {err}"))?;
        entry.get_or_insert(path);
    }
    let entry = entry.ok_or("no files")?;

    let streams = Arc::new(Mutex::new(Streams::default()));
    let sink = |err: bool| {
        let streams = streams.clone();
        let merge = job.merge_stderr;
        Output::Stream(OutputSink::new(move |chunk: &[u8]| {
            let mut s = streams.lock().unwrap_or_else(PoisonError::into_inner);
            if err && !merge {
                s.stderr.extend_from_slice(chunk)
            } else {
                s.stdout.extend_from_slice(chunk)
            }
            s.output.extend_from_slice(chunk);
        }))
    };
    let mut config = VmConfig { limits: job.limits.clone(), ..VmConfig::default() };
    config.grants.stdin = Input::Bytes(job.stdin.clone());
    config.grants.stdout = sink(false);
    config.grants.stderr = sink(true);
    config.grants.vm_fs = true;
    config.grants.clock = true;
    config.grants.random = true;

    let mut compile = None;
    let started = Instant::now();
    let ran: Result<(Outcome, u64), RuntimeError> = if job.lane == SHELL {
        run_shell(rt, &entry, job, config)
    } else {
        let lanes = Lanes::builtin().map_err(|err| err.to_string())?;
        let lane = lanes.get(&job.lane).ok_or_else(|| format!("lane {} is missing", job.lane))?;
        match capsa_lanes::prepare(rt, &lanes, lane, &entry, &job.args, &mut config, true) {
            Ok(Some(prepared)) => {
                let toolchain = &prepared.toolchain;
                rt.vm(config).and_then(|vm| {
                    let outcome =
                        vm.run_digested(&toolchain.sha256, &mut || toolchain.module_bytes(), &prepared.argv)?;
                    Ok((outcome, vm.kernel().budget().usage().memory_peak))
                })
            }
            Ok(None) => {
                let (artifact, stage) = build(rt, &lanes, lane, dir.path(), &entry, job);
                compile = Some(stage);
                let Some(artifact) = artifact else { return Ok(JobResult { compile, run: None }) };
                let wasm = std::fs::read(&artifact).map_err(|err| format!("the built program: {err}"))?;
                let name = entry.file_stem().map_or("main".into(), |s| s.to_string_lossy().into_owned());
                let argv: Vec<String> = std::iter::once(name).chain(job.args.iter().cloned()).collect();
                let started_run = Instant::now();
                let ran = rt.vm(config).and_then(|vm| {
                    let outcome = vm.run(&wasm, &argv)?;
                    Ok((outcome, vm.kernel().budget().usage().memory_peak))
                });
                return Ok(JobResult { compile, run: Some(stage_of(ran, &streams, started_run.elapsed())) });
            }
            Err(err) => Err(RuntimeError::Internal(err.to_string())),
        }
    };
    Ok(JobResult { compile, run: Some(stage_of(ran, &streams, started.elapsed())) })
}

fn stage_of(ran: Result<(Outcome, u64), RuntimeError>, streams: &Mutex<Streams>, wall: Duration) -> RunStage {
    let streams = std::mem::take(&mut *streams.lock().unwrap_or_else(PoisonError::into_inner));
    let mut stage = RunStage {
        stdout: streams.stdout,
        stderr: streams.stderr,
        output: streams.output,
        wall,
        ..RunStage::default()
    };
    match ran {
        Ok((outcome, memory)) => {
            stage.cpu = outcome.cpu;
            stage.memory = memory;
            stage.status = Some(outcome.status);
        }
        Err(err) => stage.error = Some(err.to_string()),
    }
    stage
}

/// `sh main.sh args…`: the suite's shell, in a shell VM.
fn run_shell(rt: &Runtime, entry: &Path, job: &Job, base: VmConfig) -> Result<(Outcome, u64), RuntimeError> {
    let internal = |err: capsa_session::SessionError| RuntimeError::Internal(err.to_string());
    let script = std::fs::read(entry).map_err(|err| RuntimeError::Internal(err.to_string()))?;
    let session = capsa_session::Session::start(rt, &capsa_suite::shell::ShellVm::default(), base).map_err(internal)?;
    session.write_file("main.sh", &script).map_err(internal)?;
    let mut line = String::from("sh main.sh");
    for arg in &job.args {
        line.push_str(&format!(" '{}'", arg.replace('\'', r"'\''")));
    }
    let outcome = session.exec(&line, &capsa_session::Exec::default()).map_err(internal)?;
    Ok((outcome, session.vm().kernel().budget().usage().memory_peak))
}

/// Builds a compiled lane's program: its path, and the compile stage.
fn build(
    rt: &Runtime,
    lanes: &Lanes,
    lane: &Manifest,
    dir: &Path,
    entry: &Path,
    job: &Job,
) -> (Option<PathBuf>, CompileStage) {
    // Installing (a download and a module compile, once) is not the
    // program's compile time.
    let missing = capsa_lanes::installed(rt, lanes, lane).ok().flatten() == Some(false);
    let started = Instant::now();
    if missing && let Err(err) = capsa_lanes::install(rt, lanes, &lane.id, capsa_lanes::Source::Registry, true) {
        return (None, CompileStage { result: Compile::Error(err.to_string()), took: started.elapsed() });
    }
    let started = Instant::now();
    // A C-family program is every source beside the entry point.
    let input = if lane.id == "c" || lane.id == "cpp" { dir.to_path_buf() } else { entry.to_path_buf() };
    let request = BuildRequest {
        inputs: vec![input],
        lang: Some(lane.id.clone()),
        budget: job.budget.clone(),
        quiet: true,
        ..BuildRequest::default()
    };
    // The program's own names, not the server's temporary directory.
    let prefix = format!("{}/", dir.display());
    let clean = |text: String| text.replace(&prefix, "");
    let (artifact, result) = match capsa_lanes::build(rt, lanes, &request) {
        Ok(artifact) => (Some(artifact.path), Compile::Built { diagnostics: clean(artifact.diagnostics) }),
        Err(LaneError::Failed { diagnostics, .. }) => (None, Compile::Failed { diagnostics: clean(diagnostics) }),
        Err(LaneError::Budget { diagnostics, limit, .. }) => {
            (None, Compile::Stopped { diagnostics: clean(diagnostics), limit })
        }
        Err(err) => (None, Compile::Error(clean(err.to_string()))),
    };
    (artifact, CompileStage { result, took: started.elapsed() })
}
