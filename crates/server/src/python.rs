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

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::UnboundedReceiverStream;

use capsa_session::python::{self, RecordScanner, before_record};

use crate::auth::Tenant;
use crate::exec::{ExecRequest, put_output, timeout_of, wants_event_stream};
use crate::processes::{self, Process};
use crate::registry::Sandbox;
use crate::{ApiError, App, Caller, JsonBody};

/// A cell's wall clock when the call names none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The body of a `/python` call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CellRequest {
    /// The cell's source.
    pub code: String,
    /// Its wall clock in seconds (default 60).
    pub timeout_s: Option<f64>,
}

/// `POST /v1/sandboxes/{id}/python`: the outcome whole (JSON) or, with
/// `Accept: text/event-stream`, `stdout`/`stderr` events (`{"data"}`) as
/// the cell writes, then one `result` event with the outcome (its
/// `stdout`/`stderr` empty) or an `error` event.
pub(crate) async fn cell(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CellRequest>,
) -> Result<Response, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    let timeout = request.timeout_s.map(timeout_of).transpose()?.unwrap_or(DEFAULT_TIMEOUT);
    if !wants_event_stream(&headers) {
        return Ok(Json(run_cell(&app, &tenant, sandbox, &request.code, timeout, None).await?).into_response());
    }
    let (tx, rx) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let chunks = tx.clone();
        let event = match run_cell(&app, &tenant, sandbox, &request.code, timeout, Some(chunks)).await {
            Ok(outcome) => Event::default().event("result").data(outcome.to_string()),
            Err(err) => Event::default()
                .event("error")
                .data(json!({"error": {"code": err.code, "message": err.message}}).to_string()),
        };
        // A client gone is not the cell's failure.
        let _ = tx.send(event);
    });
    let events = UnboundedReceiverStream::new(rx).map(Ok::<Event, Infallible>);
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

/// Runs `code` in `sandbox`'s interpreter (started if it has none running)
/// and answers `{"stdout", "stderr", "result", "error", "interpreter"}`;
/// with `stream`, the output goes there as `stdout`/`stderr` events as it
/// comes, and the answer's `stdout`/`stderr` are empty.
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
    stream: Option<mpsc::UnboundedSender<Event>>,
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
    let nonce = format!("{}{:08x}", python::nonce(), process.event_count());
    let from = process.event_count();
    let line = python::cell_line(code, &nonce);
    let writer = process.clone();
    app.blocking(tenant, move |_| {
        writer.stdin().write(&line, Duration::from_secs(5)).map_err(|_| {
            ApiError::new(axum::http::StatusCode::CONFLICT, "interpreter_ended", "the interpreter is not reading")
        })
    })
    .await?;
    let interpreter = json!({"pid": process.pid(), "fresh": fresh});
    let mut sent = Sent { stream, stdout: 0, stderr: 0 };
    let outcome = tokio::time::timeout(timeout, answer(&process, from, &nonce, &mut sent)).await;
    match outcome {
        Ok(Answer::Record { stdout, stderr, record }) => {
            let (stdout, stderr) = sent.rest(&stdout, &stderr);
            Ok(json!({
            "stdout": stdout,
            "stderr": stderr,
            "result": record.get("result").cloned().unwrap_or(Value::Null),
            "error": record.get("error").cloned().unwrap_or(Value::Null),
            "interpreter": interpreter,
            }))
        }
        Ok(Answer::Ended { stdout, stderr, exit }) => {
            *slot = None;
            if fresh && stderr.windows(13).any(|w| w == b"not installed") {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "lane_not_installed",
                    "the Python lane is not installed on this server (capsa lanes install python)",
                ));
            }
            let (stdout, stderr) = sent.rest(&stdout, &stderr);
            Ok(json!({
                "stdout": stdout,
                "stderr": stderr,
                "result": null,
                "error": {"name": "InterpreterEnded", "value": format!("the interpreter ended: {exit}"), "traceback": ""},
                "interpreter": interpreter,
            }))
        }
        Err(_) => {
            process.kill();
            *slot = None;
            let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
            process.output_from(from, &mut stdout, &mut stderr);
            let (stdout, stderr) = sent.rest(&stdout[..before_record(&stdout)], &stderr);
            Ok(json!({
                "stdout": stdout,
                "stderr": stderr,
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

/// What a streamed cell has sent so far.
struct Sent {
    stream: Option<mpsc::UnboundedSender<Event>>,
    stdout: usize,
    stderr: usize,
}

impl Sent {
    /// Streams what is new in `stdout` and `stderr` (both from the cell's
    /// start).
    fn forward(&mut self, stdout: &[u8], stderr: &[u8]) {
        let Some(stream) = &self.stream else { return };
        for (name, bytes, sent) in [("stdout", stdout, &mut self.stdout), ("stderr", stderr, &mut self.stderr)] {
            if bytes.len() > *sent {
                let mut data = json!({});
                put_output(&mut data, "data", &bytes[*sent..]);
                let _ = stream.send(Event::default().event(name).data(data.to_string()));
                *sent = bytes.len();
            }
        }
    }

    /// The cell's stdout and stderr as the answer carries them: whole
    /// unless streaming, else empty once what is left has been streamed.
    fn rest(&mut self, stdout: &[u8], stderr: &[u8]) -> (String, String) {
        if self.stream.is_some() {
            self.forward(stdout, stderr);
            return (String::new(), String::new());
        }
        (String::from_utf8_lossy(stdout).into_owned(), String::from_utf8_lossy(stderr).into_owned())
    }
}

/// Follows `process`'s output from event `from` until the record marked by
/// `nonce`, or the process's end, streaming it through `sent`. Each wake
/// decodes only the new events and searches only the new bytes.
async fn answer(process: &Arc<Process>, from: usize, nonce: &str, sent: &mut Sent) -> Answer {
    let mut changed = process.subscribe();
    let mut scanner = RecordScanner::new(nonce);
    let (mut stdout, mut stderr, mut next) = (Vec::new(), Vec::new(), from);
    loop {
        next = process.output_from(next, &mut stdout, &mut stderr);
        if let Some((end, record)) = scanner.scan(&stdout) {
            stdout.truncate(end);
            return Answer::Record { stdout, stderr, record };
        }
        // Output up to a possible start of the record goes out now.
        sent.forward(&stdout[..before_record(&stdout)], &stderr);
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
    ExecRequest {
        command: python::command(),
        stdin: None,
        stdin_b64: None,
        env: Default::default(),
        cwd: None,
        timeout_s: Some(365.0 * 86_400.0),
    }
}
