//! Piston v2, drop-in for `engineer-man/piston`: `GET /api/v2/runtimes` and
//! `POST /api/v2/execute`. Each execute is one-shot: the files go to a
//! fresh temporary directory, a compiled lane builds them (every compiler
//! stage a guest), and the program runs in a fresh VM with the request's
//! stdin, args and limits. Errors are Piston's: `400 {"message"}`.
//!
//! Status codes as Piston's: `RE` (non-zero exit or a trap), `SG` (ended
//! by a signal), `TO` (wall clock or CPU time), `OL`/`EL` (stdout/stderr
//! limit), `XX` (capsa failed).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use capsa_lanes::{CompilerBudget, Lanes, Manifest, Status};
use capsa_runtime::{ExitStatus, Limit};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::oneshot::{self, Compile, CompileStage, Job, RunStage};
use crate::spec::default_limits;
use crate::{App, Caller, RawBody};

/// A Piston runtime: the lane behind it, its names and its real version.
struct PistonRuntime {
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
const RUNTIMES: &[PistonRuntime] = &[
    PistonRuntime {
        lane: "c",
        language: "c",
        version: "22.0.0",
        aliases: &["gcc", "clang"],
        runtime: Some("clang"),
        main: "main.c",
    },
    PistonRuntime {
        lane: "cpp",
        language: "c++",
        version: "22.0.0",
        aliases: &["cpp", "g++", "clang++"],
        runtime: Some("clang"),
        main: "main.cpp",
    },
    PistonRuntime {
        lane: "python",
        language: "python",
        version: "3.15.0",
        aliases: &["py", "py3", "python3"],
        runtime: None,
        main: "main.py",
    },
    PistonRuntime {
        lane: "javascript",
        language: "javascript",
        version: "0.16.2",
        aliases: &["js", "quickjs"],
        runtime: Some("quickjs-ng"),
        main: "main.js",
    },
    PistonRuntime {
        lane: "typescript",
        language: "typescript",
        version: "6.0.3",
        aliases: &["ts"],
        runtime: Some("quickjs-ng"),
        main: "main.ts",
    },
    PistonRuntime { lane: "lua", language: "lua", version: "5.4.9", aliases: &[], runtime: None, main: "main.lua" },
    PistonRuntime {
        lane: "go",
        language: "go",
        version: "1.21.13",
        aliases: &["golang"],
        runtime: Some("yaegi"),
        main: "main.go",
    },
    PistonRuntime {
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
        lane == oneshot::SHELL
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
    let job = match job(runtime, &request) {
        Ok(job) => job,
        Err(text) => return message(StatusCode::BAD_REQUEST, text),
    };
    let ran = match crate::registry::new_id("job") {
        Ok(id) => app.run_job(&tenant, job, id).await,
        Err(err) => Err(err),
    };
    match ran {
        Ok(Ok(result)) => {
            let mut body = json!({"language": runtime.language, "version": runtime.version});
            if let Some(compile) = &result.compile {
                body["compile"] = compile_stage(compile);
            }
            if let Some(run) = &result.run {
                body["run"] = run_stage(run);
            }
            Json(body).into_response()
        }
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

/// The one-shot job of a request.
fn job(runtime: &PistonRuntime, request: &ExecuteRequest) -> Result<Job, String> {
    if request.files.is_empty() {
        return Err("files: at least one file is needed".into());
    }
    let mut files = Vec::new();
    for (n, file) in request.files.iter().enumerate() {
        let name = match &file.name {
            Some(name) if !name.is_empty() => name.clone(),
            _ if n == 0 => runtime.main.to_string(),
            _ => format!("file{n}"),
        };
        if !oneshot::safe_name(&name) {
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
        files.push((name, bytes));
    }
    let mut limits = default_limits();
    limits.wall = millis(request.run_timeout, Duration::from_secs(3));
    limits.cpu = millis(request.run_cpu_time, limits.wall.max(Duration::from_secs(1)));
    if let Some(bytes) = request.run_memory_limit.filter(|b| *b > 0) {
        limits.memory = bytes as u64;
    }
    let mut budget = CompilerBudget::default();
    budget.wall = millis(request.compile_timeout, Duration::from_secs(10));
    budget.cpu = millis(request.compile_cpu_time, budget.wall.max(Duration::from_secs(10)));
    if let Some(bytes) = request.compile_memory_limit.filter(|b| *b > 0) {
        budget.memory = bytes as u64;
    }
    Ok(Job {
        lane: runtime.lane.to_string(),
        files,
        stdin: request.stdin.clone().into_bytes(),
        args: request.args.clone(),
        limits,
        budget,
        merge_stderr: false,
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Piston's compile stage.
fn compile_stage(stage: &CompileStage) -> Value {
    let (code, signal, status, stderr) = match &stage.result {
        Compile::Built { diagnostics } => (json!(0), None, None, diagnostics.clone()),
        Compile::Failed { diagnostics } => (json!(1), None, Some("RE"), diagnostics.clone()),
        Compile::Stopped { diagnostics, limit } => {
            let status = if limit.contains("memory") { "XX" } else { "TO" };
            (Value::Null, Some("SIGKILL"), Some(status), format!("{diagnostics}{limit}\n"))
        }
        Compile::Error(message) => (json!(1), None, Some("XX"), format!("{message}\n")),
    };
    let ms = stage.took.as_millis() as u64;
    json!({
        "stdout": "", "stderr": stderr, "output": stderr, "code": code, "signal": signal,
        "message": status.map(|_| stderr.lines().last().unwrap_or("").to_string()), "status": status,
        "cpu_time": ms, "wall_time": ms, "memory": 0,
    })
}

/// Piston's run stage.
fn run_stage(stage: &RunStage) -> Value {
    let (code, signal, status, message): (Value, Option<String>, Option<&str>, Option<String>) = match &stage.status {
        None => (Value::Null, None, Some("XX"), stage.error.clone()),
        Some(ExitStatus::Exited(0)) => (json!(0), None, None, None),
        Some(ExitStatus::Exited(code)) => (json!(code), None, Some("RE"), None),
        Some(ExitStatus::Trapped(trap)) => (json!(134), None, Some("RE"), Some(format!("trapped: {trap}"))),
        Some(ExitStatus::Signaled(n)) => (Value::Null, Some(signal_name(*n)), Some("SG"), None),
        Some(ExitStatus::Killed(limit)) => {
            let status = match limit {
                Limit::CpuTime(_) | Limit::WallClock(_) | Limit::Fuel(_) => "TO",
                Limit::Stdout(_) => "OL",
                Limit::Stderr(_) => "EL",
            };
            (Value::Null, Some("SIGKILL".into()), Some(status), Some(limit.to_string()))
        }
    };
    json!({
        "stdout": text(&stage.stdout), "stderr": text(&stage.stderr), "output": text(&stage.output),
        "code": code, "signal": signal, "message": message, "status": status,
        "cpu_time": stage.cpu.as_millis() as u64, "wall_time": stage.wall.as_millis() as u64, "memory": stage.memory,
    })
}

/// A signal's name, as Piston shows it.
pub(crate) fn signal_name(n: u8) -> String {
    let name = match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        25 => "SIGXFSZ",
        _ => return format!("SIG{n}"),
    };
    name.to_string()
}
