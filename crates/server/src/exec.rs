//! `POST /v1/sandboxes/{id}/exec`: a shell command line in the sandbox,
//! answered whole (JSON) or, with `Accept: text/event-stream`, streamed as
//! server-sent events: `stdout` and `stderr` as the command writes, then
//! `exit`.
//!
//! A streamed command never waits for its client: chunks queue in memory
//! up to [`STREAM_BUFFER`] bytes (stdout and stderr together), and past that are dropped (the
//! `exit` event says `"truncated": true`). A client that goes away leaves
//! the command to finish within its wall clock; its files stay.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use capsa_runtime::streams::OutputSink;
use capsa_runtime::{ExitStatus, Input, Outcome, Output};
use capsa_session::Exec;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::registry::Sandbox;
use crate::{ApiError, App, Caller, JsonBody};

/// Bytes of output a slow client may leave unread before chunks are
/// dropped.
pub const STREAM_BUFFER: u64 = 16 << 20;

/// The body of an exec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecRequest {
    /// A shell command line (`sh -c`).
    pub command: String,
    /// Its stdin, as text.
    pub stdin: Option<String>,
    /// Its stdin, base64 (for bytes that are not UTF-8).
    pub stdin_b64: Option<String>,
    /// Variables over the sandbox's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Its working directory (default the sandbox's home).
    pub cwd: Option<String>,
    /// Its wall clock in seconds (default the sandbox's `limits.timeout`).
    pub timeout_s: Option<f64>,
}

impl ExecRequest {
    /// The session's view of it, with the given stdout and stderr.
    pub(crate) fn exec(&self, stdout: Output, stderr: Output) -> Result<Exec, ApiError> {
        if self.command.contains('\0') {
            return Err(ApiError::bad_request("command: contains a NUL byte"));
        }
        let stdin = match (&self.stdin, &self.stdin_b64) {
            (Some(_), Some(_)) => return Err(ApiError::bad_request("give stdin or stdin_b64, not both")),
            (Some(text), None) => Input::Bytes(text.clone().into_bytes()),
            (None, Some(b64)) => {
                Input::Bytes(BASE64.decode(b64).map_err(|err| ApiError::bad_request(format!("stdin_b64: {err}")))?)
            }
            (None, None) => Input::Bytes(Vec::new()),
        };
        let timeout = self.timeout_s.map(timeout_of).transpose()?;
        if self.env.keys().any(|k| k.is_empty() || k.contains('=') || k.contains('\0')) {
            return Err(ApiError::bad_request("env: a name is empty or holds '=' or NUL"));
        }
        Ok(Exec {
            stdin: Some(stdin),
            stdout: Some(stdout),
            stderr: Some(stderr),
            env: self.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            cwd: self.cwd.clone(),
            timeout,
            stop: None,
        })
    }
}

/// The handler.
pub(crate) async fn exec(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<ExecRequest>,
) -> Response {
    let sandbox = match app.registry.get(&tenant.name, &id) {
        Ok(sandbox) => sandbox,
        Err(err) => return err.into_response(),
    };
    if wants_event_stream(&headers) {
        stream(app, tenant, sandbox, request).await
    } else {
        whole(app, tenant, sandbox, request).await
    }
}

/// A request's `timeout_s`, which must be a positive number of seconds.
///
/// # Errors
/// `bad_request` for zero, a negative number or one too large.
pub(crate) fn timeout_of(secs: f64) -> Result<Duration, ApiError> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| ApiError::bad_request("timeout_s: a positive number of seconds"))
}

/// Whether the client asked for server-sent events (`Accept: text/event-stream`).
pub(crate) fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/event-stream"))
}

async fn whole(app: Arc<App>, tenant: crate::Tenant, sandbox: Arc<Sandbox>, request: ExecRequest) -> Response {
    let exec = match request.exec(Output::Capture, Output::Capture) {
        Ok(exec) => exec,
        Err(err) => return err.into_response(),
    };
    let started = Instant::now();
    let result = app.blocking(&tenant, move |app| run(app, &sandbox, &request.command, &exec)).await;
    match result {
        Ok(outcome) => {
            app.metrics.exec_done(&outcome.status, started.elapsed());
            let mut body = summary(&outcome, started.elapsed(), false);
            put_output(&mut body, "stdout", &outcome.stdout);
            put_output(&mut body, "stderr", &outcome.stderr);
            Json(body).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// Runs one command in the sandbox and saves what it changed.
pub(crate) fn run(app: &App, sandbox: &Arc<Sandbox>, command: &str, exec: &Exec) -> Result<Outcome, ApiError> {
    let _busy = sandbox.busy();
    let session = app.registry.session(sandbox)?;
    let outcome = session.exec(command, exec)?;
    app.registry.save(sandbox)?;
    Ok(outcome)
}

/// One stream's chunks, forwarded while the client keeps up.
struct Forward {
    name: &'static str,
    events: mpsc::UnboundedSender<(Event, u64)>,
    queued: Arc<AtomicU64>,
    truncated: Arc<AtomicBool>,
}

impl Forward {
    fn sink(self) -> OutputSink {
        OutputSink::new(move |chunk: &[u8]| {
            let len = chunk.len() as u64;
            if self.queued.fetch_add(len, Ordering::SeqCst) + len > STREAM_BUFFER {
                self.queued.fetch_sub(len, Ordering::SeqCst);
                self.truncated.store(true, Ordering::SeqCst);
                return;
            }
            let mut data = json!({});
            put_output(&mut data, "data", chunk);
            // A client gone is not the command's failure.
            let _ = self.events.send((Event::default().event(self.name).data(data.to_string()), len));
        })
    }
}

async fn stream(app: Arc<App>, tenant: crate::Tenant, sandbox: Arc<Sandbox>, request: ExecRequest) -> Response {
    let (tx, rx) = mpsc::unbounded_channel::<(Event, u64)>();
    let queued = Arc::new(AtomicU64::new(0));
    let truncated = Arc::new(AtomicBool::new(false));
    let forward = |name| Forward { name, events: tx.clone(), queued: queued.clone(), truncated: truncated.clone() };
    let exec = match request.exec(Output::Stream(forward("stdout").sink()), Output::Stream(forward("stderr").sink())) {
        Ok(exec) => exec,
        Err(err) => return err.into_response(),
    };
    let started = Instant::now();
    let done = tx.clone();
    drop(tx);
    tokio::spawn(async move {
        let result = app.blocking(&tenant, move |app| run(app, &sandbox, &request.command, &exec)).await;
        let event = match result {
            Ok(outcome) => {
                app.metrics.exec_done(&outcome.status, started.elapsed());
                let body = summary(&outcome, started.elapsed(), truncated.load(Ordering::SeqCst));
                Event::default().event("exit").data(body.to_string())
            }
            Err(err) => Event::default()
                .event("error")
                .data(json!({"error": {"code": err.code, "message": err.message}}).to_string()),
        };
        let _ = done.send((event, 0));
    });
    let queued_out = queued.clone();
    let events = UnboundedReceiverStream::new(rx).map(move |(event, len)| {
        // Handed to the connection: no longer queued here.
        queued_out.fetch_sub(len, Ordering::SeqCst);
        Ok::<Event, Infallible>(event)
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

/// The fields every exec answer has.
pub(crate) fn summary(outcome: &Outcome, took: Duration, truncated: bool) -> Value {
    let killed = match &outcome.status {
        ExitStatus::Exited(_) => None,
        ExitStatus::Killed(limit) => Some(format!("{limit}")),
        ExitStatus::Trapped(message) => Some(format!("trapped: {message}")),
        ExitStatus::Signaled(signal) => Some(format!("signal {signal}")),
    };
    let mut body = json!({
        "exit_code": outcome.status.code(),
        "duration_ms": took.as_millis() as u64,
        "cpu_ms": outcome.cpu.as_millis() as u64,
        "killed": killed,
    });
    if truncated {
        body["truncated"] = json!(true);
    }
    body
}

/// `name` as text if it is UTF-8, else `name_b64`.
pub(crate) fn put_output(body: &mut Value, name: &str, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => body[name] = json!(text),
        Err(_) => body[format!("{name}_b64")] = json!(BASE64.encode(bytes)),
    }
}
