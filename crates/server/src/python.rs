//! Persistent Python interpreters: `POST /v1/sandboxes/{id}/python`
//! `{"code": "...", "timeout_s"?: n}` runs a cell in the sandbox's
//! long-lived interpreter, where variables and imports persist across
//! calls (the code-interpreter feature agents use).
//!
//! The interpreter is a background process of the sandbox (listed under
//! `…/processes` like any other) running capsa's loop,
//! `lanes/python/interpreter.py`: one JSON line per cell on its stdin;
//! the cell's output, then a record marked by the byte 0x1E and the cell's
//! nonce, on its stdout. Cells of one sandbox run one at a time. A cell
//! past its wall clock has the interpreter killed — its variables are lost,
//! the sandbox is not — and the next call starts a fresh one.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Tenant;
use crate::exec::ExecRequest;
use crate::processes::{self, Process};
use crate::registry::Sandbox;
use crate::{ApiError, App, Caller, JsonBody};

/// A cell's wall clock when the call names none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The record that ends a cell's stdout: this byte, the nonce, JSON, `\n`.
const RECORD: u8 = 0x1e;

/// The body of a `/python` call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CellRequest {
    /// The cell's source.
    pub code: String,
    /// Its wall clock in seconds (default 60).
    pub timeout_s: Option<f64>,
}

/// `POST /v1/sandboxes/{id}/python`.
pub(crate) async fn cell(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<CellRequest>,
) -> Result<Json<Value>, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    let timeout = match request.timeout_s {
        None => DEFAULT_TIMEOUT,
        Some(secs) => Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| ApiError::bad_request("timeout_s: a positive number of seconds"))?,
    };
    Ok(Json(run_cell(&app, &tenant, sandbox, &request.code, timeout).await?))
}

/// Runs `code` in `sandbox`'s interpreter (started if it has none running)
/// and answers `{"stdout", "stderr", "result", "error", "interpreter"}`.
///
/// # Errors
/// The interpreter could not start (no Python lane installed, the sandbox's
/// process quota), or ended without answering.
pub(crate) async fn run_cell(
    app: &Arc<App>,
    tenant: &Tenant,
    sandbox: Arc<Sandbox>,
    code: &str,
    timeout: Duration,
) -> Result<Value, ApiError> {
    sandbox.touch();
    let mut slot = sandbox.interpreter.lock().await;
    let (process, fresh) = match slot.as_ref().filter(|p| p.is_running()) {
        Some(process) => (process.clone(), false),
        None => {
            let process = processes::spawn(app, tenant, sandbox.clone(), &interpreter_command()).await?;
            *slot = Some(process.clone());
            (process, true)
        }
    };
    let nonce = format!("{:016x}{:08x}", rand_u64(), process.event_count());
    let from = process.event_count();
    let mut line = json!({"code": code, "nonce": nonce}).to_string().into_bytes();
    line.push(b'\n');
    let writer = process.clone();
    app.blocking(tenant, move |_| {
        writer.stdin().write(&line, Duration::from_secs(5)).map_err(|_| {
            ApiError::new(axum::http::StatusCode::CONFLICT, "interpreter_ended", "the interpreter is not reading")
        })
    })
    .await?;
    let interpreter = json!({"pid": process.pid(), "fresh": fresh});
    match tokio::time::timeout(timeout, answer(&process, from, nonce.as_bytes())).await {
        Ok(Answer::Record { stdout, stderr, record }) => Ok(json!({
            "stdout": String::from_utf8_lossy(&stdout),
            "stderr": String::from_utf8_lossy(&stderr),
            "result": record.get("result").cloned().unwrap_or(Value::Null),
            "error": record.get("error").cloned().unwrap_or(Value::Null),
            "interpreter": interpreter,
        })),
        Ok(Answer::Ended { stdout, stderr, exit }) => {
            *slot = None;
            if fresh && stderr.windows(13).any(|w| w == b"not installed") {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "lane_not_installed",
                    "the Python lane is not installed on this server (capsa lanes install python)",
                ));
            }
            Ok(json!({
                "stdout": String::from_utf8_lossy(&stdout),
                "stderr": String::from_utf8_lossy(&stderr),
                "result": null,
                "error": {"name": "InterpreterEnded", "value": format!("the interpreter ended: {exit}"), "traceback": ""},
                "interpreter": interpreter,
            }))
        }
        Err(_) => {
            process.kill();
            *slot = None;
            let (stdout, stderr) = process.output_from(from);
            Ok(json!({
                "stdout": String::from_utf8_lossy(&stdout),
                "stderr": String::from_utf8_lossy(&stderr),
                "result": null,
                "error": {
                    "name": "TimeoutError",
                    "value": format!("the cell ran past {} s; its interpreter was stopped (its variables are gone) and the next call starts a fresh one", timeout.as_secs_f64()),
                    "traceback": "",
                },
                "interpreter": interpreter,
            }))
        }
    }
}

/// How a cell ended.
enum Answer {
    /// Its record arrived.
    Record { stdout: Vec<u8>, stderr: Vec<u8>, record: Value },
    /// The interpreter ended first.
    Ended { stdout: Vec<u8>, stderr: Vec<u8>, exit: String },
}

/// Follows `process`'s output from event `from` until the record marked by
/// `nonce`, or the process's end.
async fn answer(process: &Arc<Process>, from: usize, nonce: &[u8]) -> Answer {
    let mut changed = process.subscribe();
    loop {
        let (stdout, stderr) = process.output_from(from);
        let marker: Vec<u8> = std::iter::once(RECORD).chain(nonce.iter().copied()).collect();
        if let Some(at) = stdout.windows(marker.len()).position(|w| w == marker.as_slice()) {
            let rest = &stdout[at + marker.len()..];
            if let Some(end) = rest.iter().position(|&b| b == b'\n') {
                let record = serde_json::from_slice(&rest[..end]).unwrap_or(Value::Null);
                return Answer::Record { stdout: stdout[..at].to_vec(), stderr, record };
            }
        }
        if let Some(exit) = process.exit() {
            return Answer::Ended { stdout, stderr, exit: exit.to_string() };
        }
        if changed.changed().await.is_err() && process.exit().is_none() {
            return Answer::Ended { stdout, stderr, exit: "gone".into() };
        }
    }
}

/// `python3 -u -c LOOP`, as a background process with no wall clock of its
/// own (each cell has one).
fn interpreter_command() -> ExecRequest {
    let quoted = capsa_lanes::python::INTERPRETER.replace('\'', r"'\''");
    ExecRequest {
        command: format!("exec python3 -u -c '{quoted}'"),
        stdin: None,
        stdin_b64: None,
        env: Default::default(),
        cwd: None,
        timeout_s: Some(365.0 * 86_400.0),
    }
}

/// A random number for a cell's nonce (not a secret: it only keeps a
/// cell's output from ending its record early by chance).
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish()
}
