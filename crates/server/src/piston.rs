//! Piston v2, drop-in for `engineer-man/piston`: `GET /api/v2/runtimes` and
//! `POST /api/v2/execute`. Each execute is one-shot: the files go to a
//! fresh temporary directory, a compiled lane builds them (every compiler
//! stage a guest), and the program runs in a fresh VM with the request's
//! stdin, args and limits. Errors are Piston's: `400 {"message"}`.
//!
//! Status codes as Piston's: `RE` (non-zero exit or a trap), `SG` (ended
//! by a signal), `TO` (wall clock or CPU time), `OL`/`EL` (stdout/stderr
//! limit), `XX` (capsa failed).

use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use capsa_lanes::{BuildRequest, CompilerBudget, LaneError, Lanes, Manifest, Status};
use capsa_runtime::streams::OutputSink;
use capsa_runtime::{ExitStatus, Input, Limit, Outcome, Output, Runtime, VmConfig};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::spec::default_limits;
use crate::{App, Caller, RawBody};

/// A Piston runtime: the lane behind it, its names and its real version.
struct Runtime_ {
    lane: &'static str,
    language: &'static str,
    version: &'static str,
    aliases: &'static [&'static str],
    runtime: Option<&'static str>,
    /// The entry file's default name.
    main: &'static str,
}

/// Our lanes as Piston names them; the versions are the toolchains' own
/// (lanes/*/manifest.org).
const RUNTIMES: &[Runtime_] = &[
    Runtime_ {
        lane: "c",
        language: "c",
        version: "22.0.0",
        aliases: &["gcc", "clang"],
        runtime: Some("clang"),
        main: "main.c",
    },
    Runtime_ {
        lane: "cpp",
        language: "c++",
        version: "22.0.0",
        aliases: &["cpp", "g++", "clang++"],
        runtime: Some("clang"),
        main: "main.cpp",
    },
    Runtime_ {
        lane: "python",
        language: "python",
        version: "3.11.0",
        aliases: &["py", "py3", "python3"],
        runtime: None,
        main: "main.py",
    },
    Runtime_ {
        lane: "javascript",
        language: "javascript",
        version: "0.16.2",
        aliases: &["js", "quickjs"],
        runtime: Some("quickjs-ng"),
        main: "main.js",
    },
    Runtime_ {
        lane: "typescript",
        language: "typescript",
        version: "6.0.3",
        aliases: &["ts"],
        runtime: Some("quickjs-ng"),
        main: "main.ts",
    },
    Runtime_ { lane: "lua", language: "lua", version: "5.4.9", aliases: &[], runtime: None, main: "main.lua" },
    Runtime_ {
        lane: "go",
        language: "go",
        version: "1.21.13",
        aliases: &["golang"],
        runtime: Some("yaegi"),
        main: "main.go",
    },
    Runtime_ {
        lane: "sh",
        language: "bash",
        version: "5.2.0",
        aliases: &["sh"],
        runtime: Some("capsa-sh"),
        main: "main.sh",
    },
];

fn message(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({"message": text.into()}))).into_response()
}

/// `GET /api/v2/runtimes`.
pub(crate) async fn runtimes(_caller: Caller) -> Json<Value> {
    let lanes = Lanes::builtin().ok();
    let usable = |lane: &str| {
        lane == "sh"
            || lanes.as_ref().and_then(|l| l.get(lane)).is_some_and(|m: &Manifest| m.status == Status::InSandbox)
    };
    let list: Vec<Value> = RUNTIMES
        .iter()
        .filter(|r| usable(r.lane))
        .map(|r| {
            let mut entry = json!({"language": r.language, "version": r.version, "aliases": r.aliases});
            if let Some(runtime) = r.runtime {
                entry["runtime"] = json!(runtime);
            }
            entry
        })
        .collect();
    Json(json!(list))
}

/// One file of a request.
#[derive(Debug, Deserialize)]
struct File {
    name: Option<String>,
    content: String,
    encoding: Option<String>,
}

/// `POST /api/v2/execute`'s body (unknown fields are ignored, as Piston does).
#[derive(Debug, Deserialize)]
struct ExecuteRequest {
    language: String,
    version: String,
    files: Vec<File>,
    #[serde(default)]
    stdin: String,
    #[serde(default)]
    args: Vec<String>,
    compile_timeout: Option<i64>,
    run_timeout: Option<i64>,
    compile_cpu_time: Option<i64>,
    run_cpu_time: Option<i64>,
    compile_memory_limit: Option<i64>,
    run_memory_limit: Option<i64>,
}

/// `POST /api/v2/execute`.
pub(crate) async fn execute(State(app): State<Arc<App>>, Caller(tenant): Caller, RawBody(body): RawBody) -> Response {
    let request: ExecuteRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return message(StatusCode::BAD_REQUEST, format!("the request is not valid: {err}")),
    };
    let Some(runtime) = RUNTIMES.iter().find(|r| {
        let named = r.language == request.language || r.aliases.contains(&request.language.as_str());
        named && (request.version == "*" || r.version.starts_with(request.version.trim_end_matches(".x")))
    }) else {
        return message(
            StatusCode::BAD_REQUEST,
            format!("{}-{} runtime is unknown", request.language, request.version),
        );
    };
    if request.files.is_empty() {
        return message(StatusCode::BAD_REQUEST, "files: at least one file is needed");
    }
    let result = app.blocking(&tenant, move |app| Ok(run(app.registry.runtime(), runtime, &request))).await;
    match result {
        Ok(Ok(body)) => Json(body).into_response(),
        Ok(Err(text)) => message(StatusCode::BAD_REQUEST, text),
        Err(err) => (err.status, Json(json!({"message": err.message}))).into_response(),
    }
}

/// Milliseconds from a request (`-1` or absent: the default).
fn millis(value: Option<i64>, default: Duration) -> Duration {
    match value {
        Some(ms) if ms > 0 => Duration::from_millis(ms as u64),
        _ => default,
    }
}

/// The request's files written to `dir`; the entry point's path.
fn write_files(dir: &FsPath, runtime: &Runtime_, files: &[File]) -> Result<PathBuf, String> {
    let mut entry = None;
    for (n, file) in files.iter().enumerate() {
        let name = match &file.name {
            Some(name) if !name.is_empty() => name.clone(),
            _ if n == 0 => runtime.main.to_string(),
            _ => format!("file{n}"),
        };
        let safe = !name.starts_with('/')
            && !name.contains('\0')
            && name.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
        if !safe {
            return Err(format!("files[{n}].name: {name:?} is not a relative name"));
        }
        let bytes = match file.encoding.as_deref().unwrap_or("utf8") {
            "utf8" => file.content.clone().into_bytes(),
            "base64" => base64::engine::general_purpose::STANDARD
                .decode(&file.content)
                .map_err(|err| format!("files[{n}]: not base64: {err}"))?,
            "hex" => hex::decode(&file.content).map_err(|err| format!("files[{n}]: not hex: {err}"))?,
            other => return Err(format!("files[{n}].encoding: {other:?} is not utf8, base64 or hex")),
        };
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|err| format!("files[{n}]: {err}"))?;
        }
        std::fs::write(&path, bytes).map_err(|err| format!("files[{n}]: {err}"))?;
        entry.get_or_insert(path);
    }
    entry.ok_or_else(|| "files: at least one file is needed".to_string())
}

/// Output of one stage, in order, as Piston gives it.
#[derive(Default)]
struct Streams {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    output: Vec<u8>,
}

fn sinks(streams: &Arc<Mutex<Streams>>) -> (Output, Output) {
    let sink = |err: bool| {
        let streams = streams.clone();
        Output::Stream(OutputSink::new(move |chunk: &[u8]| {
            let mut s = streams.lock().unwrap_or_else(PoisonError::into_inner);
            if err {
                s.stderr.extend_from_slice(chunk)
            } else {
                s.stdout.extend_from_slice(chunk)
            }
            s.output.extend_from_slice(chunk);
        }))
    };
    (sink(false), sink(true))
}

/// Runs one request: `Err` is a 400's message.
fn run(rt: &Runtime, runtime: &Runtime_, request: &ExecuteRequest) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
    let entry = write_files(dir.path(), runtime, &request.files)?;
    let mut limits = default_limits();
    limits.wall = millis(request.run_timeout, Duration::from_secs(3));
    limits.cpu = millis(request.run_cpu_time, limits.wall.max(Duration::from_secs(1)));
    if let Some(bytes) = request.run_memory_limit.filter(|b| *b > 0) {
        limits.memory = bytes as u64;
    }
    let streams = Arc::new(Mutex::new(Streams::default()));
    let (stdout, stderr) = sinks(&streams);
    let mut config = VmConfig { limits, ..VmConfig::default() };
    config.grants.stdin = Input::Bytes(request.stdin.clone().into_bytes());
    config.grants.stdout = stdout;
    config.grants.stderr = stderr;
    config.grants.vm_fs = true;
    config.grants.clock = true;
    config.grants.random = true;
    let mut body = json!({"language": runtime.language, "version": runtime.version});
    let started = Instant::now();
    let ran = if runtime.lane == "sh" {
        run_shell(rt, &entry, request, config)
    } else {
        let lanes = Lanes::builtin().map_err(|err| err.to_string())?;
        let lane = lanes.get(runtime.lane).ok_or_else(|| format!("lane {} is missing", runtime.lane))?;
        match capsa_lanes::prepare(rt, &lanes, lane, &entry, &request.args, &mut config, true) {
            Ok(Some(prepared)) => {
                let toolchain = &prepared.toolchain;
                rt.vm(config).and_then(|vm| {
                    let outcome =
                        vm.run_digested(&toolchain.sha256, &mut || toolchain.module_bytes(), &prepared.argv)?;
                    Ok((outcome, vm.kernel().budget().usage().memory_peak))
                })
            }
            Ok(None) => {
                let (artifact, compile) = build(rt, &lanes, lane, dir.path(), &entry, request);
                body["compile"] = compile;
                let Some(artifact) = artifact else { return Ok(body) };
                let wasm = std::fs::read(&artifact).map_err(|err| format!("the built program: {err}"))?;
                let name = entry.file_stem().map_or("main".into(), |s| s.to_string_lossy().into_owned());
                let argv: Vec<String> = std::iter::once(name).chain(request.args.iter().cloned()).collect();
                let started_run = Instant::now();
                let ran = rt.vm(config).and_then(|vm| {
                    let outcome = vm.run(&wasm, &argv)?;
                    Ok((outcome, vm.kernel().budget().usage().memory_peak))
                });
                let streams = std::mem::take(&mut *streams.lock().unwrap_or_else(PoisonError::into_inner));
                body["run"] = stage(ran, streams, started_run.elapsed());
                return Ok(body);
            }
            Err(err) => Err(capsa_runtime::RuntimeError::Internal(err.to_string())),
        }
    };
    let streams = std::mem::take(&mut *streams.lock().unwrap_or_else(PoisonError::into_inner));
    body["run"] = stage(ran, streams, started.elapsed());
    Ok(body)
}

/// `bash main.sh args…`: the shell of the command suite, in a shell VM.
fn run_shell(
    rt: &Runtime,
    entry: &FsPath,
    request: &ExecuteRequest,
    base: VmConfig,
) -> Result<(Outcome, u64), capsa_runtime::RuntimeError> {
    let internal = |err: capsa_session::SessionError| capsa_runtime::RuntimeError::Internal(err.to_string());
    let script = std::fs::read(entry).map_err(|err| capsa_runtime::RuntimeError::Internal(err.to_string()))?;
    let session = capsa_session::Session::start(rt, &capsa_suite::shell::ShellVm::default(), base).map_err(internal)?;
    session.write_file("main.sh", &script).map_err(internal)?;
    let mut line = String::from("sh main.sh");
    for arg in &request.args {
        line.push(' ');
        line.push_str(&shell_quote(arg));
    }
    let outcome = session.exec(&line, &capsa_session::Exec::default()).map_err(internal)?;
    Ok((outcome, session.vm().kernel().budget().usage().memory_peak))
}

fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// Builds a compiled lane's program: its path, and Piston's compile stage.
fn build(
    rt: &Runtime,
    lanes: &Lanes,
    lane: &Manifest,
    dir: &FsPath,
    entry: &FsPath,
    request: &ExecuteRequest,
) -> (Option<PathBuf>, Value) {
    let started = Instant::now();
    let mut budget = CompilerBudget::default();
    budget.wall = millis(request.compile_timeout, Duration::from_secs(10));
    budget.cpu = millis(request.compile_cpu_time, budget.wall.max(Duration::from_secs(10)));
    if let Some(bytes) = request.compile_memory_limit.filter(|b| *b > 0) {
        budget.memory = bytes as u64;
    }
    // A C-family program is every source beside the entry point.
    let input = if lane.id == "c" || lane.id == "cpp" { dir.to_path_buf() } else { entry.to_path_buf() };
    // Installing (a download and a module compile, once) is not the
    // program's compile time.
    let missing = capsa_lanes::installed(rt, lanes, lane).ok().flatten() == Some(false);
    if missing && let Err(err) = capsa_lanes::install(rt, lanes, &lane.id, capsa_lanes::Source::Registry, true) {
        return (None, compile_stage(1, "", &err.to_string(), Some("XX"), None, started.elapsed()));
    }
    let started = Instant::now();
    let request = BuildRequest {
        inputs: vec![input],
        lang: Some(lane.id.clone()),
        budget,
        quiet: true,
        ..BuildRequest::default()
    };
    match capsa_lanes::build(rt, lanes, &request) {
        Ok(artifact) => {
            let stage = compile_stage(0, "", &artifact.diagnostics, None, None, started.elapsed());
            (Some(artifact.path), stage)
        }
        Err(LaneError::Failed { diagnostics, .. }) => {
            // The program's own names, not the server's temporary directory.
            let prefix = format!("{}/", dir.display());
            let diagnostics = diagnostics.replace(&prefix, "");
            (None, compile_stage(1, "", &diagnostics, Some("RE"), None, started.elapsed()))
        }
        Err(LaneError::Budget { diagnostics, limit, .. }) => {
            let status = if limit.contains("memory") { "XX" } else { "TO" };
            (None, compile_stage(137, "", &diagnostics, Some(status), Some("SIGKILL"), started.elapsed()))
        }
        Err(err) => (None, compile_stage(1, "", &err.to_string(), Some("XX"), None, started.elapsed())),
    }
}

fn compile_stage(
    code: i32,
    stdout: &str,
    stderr: &str,
    status: Option<&str>,
    signal: Option<&str>,
    took: Duration,
) -> Value {
    json!({
        "stdout": stdout, "stderr": stderr, "output": format!("{stdout}{stderr}"),
        "code": if signal.is_some() { Value::Null } else { json!(code) },
        "signal": signal, "message": status.map(|_| stderr.lines().last().unwrap_or("").to_string()),
        "status": status, "cpu_time": took.as_millis() as u64, "wall_time": took.as_millis() as u64, "memory": 0,
    })
}

/// Piston's view of one stage's outcome.
fn stage(ran: Result<(Outcome, u64), capsa_runtime::RuntimeError>, streams: Streams, took: Duration) -> Value {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let (outcome, memory) = match ran {
        Ok(ran) => ran,
        Err(err) => {
            return json!({
                "stdout": text(&streams.stdout), "stderr": text(&streams.stderr), "output": text(&streams.output),
                "code": null, "signal": null, "message": err.to_string(), "status": "XX",
                "cpu_time": 0, "wall_time": took.as_millis() as u64, "memory": 0,
            });
        }
    };
    let (code, signal, status, message): (Value, Option<String>, Option<&str>, Option<String>) = match &outcome.status {
        ExitStatus::Exited(0) => (json!(0), None, None, None),
        ExitStatus::Exited(code) => (json!(code), None, Some("RE"), None),
        ExitStatus::Trapped(trap) => (json!(134), None, Some("RE"), Some(format!("trapped: {trap}"))),
        ExitStatus::Signaled(n) => (Value::Null, Some(signal_name(*n)), Some("SG"), None),
        ExitStatus::Killed(limit) => {
            let status = match limit {
                Limit::CpuTime(_) | Limit::WallClock(_) | Limit::Fuel(_) => "TO",
                Limit::Stdout(_) => "OL",
                Limit::Stderr(_) => "EL",
            };
            (Value::Null, Some("SIGKILL".into()), Some(status), Some(limit.to_string()))
        }
    };
    json!({
        "stdout": text(&streams.stdout), "stderr": text(&streams.stderr), "output": text(&streams.output),
        "code": code, "signal": signal, "message": message, "status": status,
        "cpu_time": outcome.cpu.as_millis() as u64, "wall_time": took.as_millis() as u64, "memory": memory,
    })
}

fn signal_name(n: u8) -> String {
    let name = match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return format!("SIG{n}"),
    };
    name.to_string()
}
