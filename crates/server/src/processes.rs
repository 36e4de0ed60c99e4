//! Background processes: a command started now and followed later.
//!
//! `POST /v1/sandboxes/{id}/processes` (an exec's body) starts one and
//! answers its handle (`pid`, the sandbox's own numbering); its output is
//! kept as a log of events (`stdout`, `stderr`, then `exit`) that
//! `GET …/processes/{pid}/events` replays from the start and then follows
//! live (server-sent events). `POST …/stdin` writes to it (`?eof=1` closes
//! its stdin), `POST …/kill` ends it and what it started (`?signal=N`,
//! SIGKILL by default). Each runs on a thread of its own, not in the
//! call queue, so a long-lived process (a server) never holds a slot.
//!
//! Bounds: [`MAX_RUNNING`] running processes per sandbox, [`MAX_KEPT`]
//! kept (the oldest ended one is forgotten first), [`LOG_BYTES`] of output
//! kept per process (later output is dropped and the `exit` event says
//! `"truncated": true`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use capsa_runtime::streams::{InputPipe, OutputSink, PipeError};
use capsa_runtime::{Input, Output, StopHandle};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::Tenant;
use crate::exec::{ExecRequest, put_output, summary};
use crate::registry::Sandbox;
use crate::{ApiError, App, Caller, JsonBody, RawBody};

/// Running background processes per sandbox.
pub const MAX_RUNNING: usize = 16;
/// Processes remembered per sandbox, running or ended.
pub const MAX_KEPT: usize = 64;
/// Output kept per process.
pub const LOG_BYTES: u64 = 16 << 20;

/// A sandbox's background processes.
#[derive(Debug, Default)]
pub struct Processes {
    next: u64,
    table: BTreeMap<u64, Arc<Process>>,
}

/// One background process.
#[derive(Debug)]
pub struct Process {
    pid: u64,
    command: String,
    started: u64,
    stdin: InputPipe,
    stop: StopHandle,
    log: Mutex<Log>,
    /// The number of events in the log, for followers.
    events: watch::Sender<usize>,
}

#[derive(Debug, Default)]
struct Log {
    events: Vec<(&'static str, String)>,
    bytes: u64,
    truncated: bool,
    exit: Option<Value>,
}

impl Process {
    fn push(&self, name: &'static str, data: String, bytes: u64) {
        let count = {
            let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
            if log.bytes.saturating_add(bytes) > LOG_BYTES {
                log.truncated = true;
                return;
            }
            log.bytes += bytes;
            log.events.push((name, data));
            log.events.len()
        };
        self.events.send_replace(count);
    }

    fn finish(&self, exit: Value) {
        let count = {
            let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
            let mut exit = exit;
            if log.truncated {
                exit["truncated"] = json!(true);
            }
            log.events.push(("exit", exit.to_string()));
            log.exit = Some(exit);
            log.events.len()
        };
        self.events.send_replace(count);
    }

    fn sink(self: &Arc<Self>, name: &'static str) -> OutputSink {
        let process = self.clone();
        OutputSink::new(move |chunk: &[u8]| {
            let mut data = json!({});
            put_output(&mut data, "data", chunk);
            process.push(name, data.to_string(), chunk.len() as u64);
        })
    }

    /// Events from index `from`, and whether the log is complete.
    fn events_from(&self, from: usize) -> (Vec<(&'static str, String)>, bool) {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        (log.events.get(from..).unwrap_or_default().to_vec(), log.exit.is_some())
    }

    /// Its pid in the sandbox's numbering.
    pub(crate) fn pid(&self) -> u64 {
        self.pid
    }

    /// Its stdin.
    pub(crate) fn stdin(&self) -> &InputPipe {
        &self.stdin
    }

    /// Ends it and what it started.
    pub(crate) fn kill(&self) {
        self.stop.signal(9);
        self.stdin.close();
    }

    /// Whether it has not ended.
    pub(crate) fn is_running(&self) -> bool {
        self.exit().is_none()
    }

    /// How it ended, once it has.
    pub(crate) fn exit(&self) -> Option<Value> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).exit.clone()
    }

    /// Events in its log so far.
    pub(crate) fn event_count(&self) -> usize {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).events.len()
    }

    /// A receiver told of every new event.
    pub(crate) fn subscribe(&self) -> watch::Receiver<usize> {
        self.events.subscribe()
    }

    /// Appends its stdout and stderr bytes from event `from` on to
    /// `stdout` and `stderr`; returns the index of the next event.
    pub(crate) fn output_from(&self, from: usize, stdout: &mut Vec<u8>, stderr: &mut Vec<u8>) -> usize {
        let events = self.events_from(from).0;
        let next = from + events.len();
        for (name, data) in events {
            let target = match name {
                "stdout" => &mut *stdout,
                "stderr" => &mut *stderr,
                _ => continue,
            };
            let event: Value = serde_json::from_str(&data).unwrap_or_default();
            if let Some(text) = event.get("data").and_then(Value::as_str) {
                target.extend_from_slice(text.as_bytes());
            } else if let Some(b64) = event.get("data_b64").and_then(Value::as_str) {
                target.extend(BASE64.decode(b64).unwrap_or_default());
            }
        }
        next
    }

    fn describe(&self) -> Value {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        json!({
            "pid": self.pid,
            "command": self.command,
            "started": self.started,
            "running": log.exit.is_none(),
            "exit": log.exit,
        })
    }
}

impl Processes {
    /// Ends every running process (the sandbox is being deleted).
    pub fn kill_all(&self) {
        for process in self.table.values() {
            process.stop.signal(9);
            process.stdin.close();
        }
    }

    fn running(&self) -> usize {
        self.table.values().filter(|p| p.log.lock().unwrap_or_else(PoisonError::into_inner).exit.is_none()).count()
    }

    /// Makes room for one more, forgetting the oldest ended ones.
    fn admit(&mut self) -> Result<u64, ApiError> {
        if self.running() >= MAX_RUNNING {
            return Err(ApiError::too_many(format!("{MAX_RUNNING} background processes are running"), 1));
        }
        while self.table.len() >= MAX_KEPT {
            let ended = self
                .table
                .iter()
                .find(|(_, p)| p.log.lock().unwrap_or_else(PoisonError::into_inner).exit.is_some())
                .map(|(pid, _)| *pid);
            match ended {
                Some(pid) => self.table.remove(&pid),
                None => break,
            };
        }
        self.next += 1;
        Ok(self.next)
    }
}

fn get_process(sandbox: &Sandbox, pid: u64) -> Result<Arc<Process>, ApiError> {
    let processes = sandbox.processes.lock().unwrap_or_else(PoisonError::into_inner);
    processes.table.get(&pid).cloned().ok_or_else(|| ApiError::not_found(format!("no process {pid}")))
}

/// `POST /v1/sandboxes/{id}/processes`.
pub(crate) async fn start(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ExecRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    if request.stdin.is_some() || request.stdin_b64.is_some() {
        return Err(ApiError::bad_request("a background process takes its stdin through …/stdin"));
    }
    let process = spawn(&app, &tenant, sandbox, &request).await?;
    Ok((StatusCode::CREATED, Json(json!({"pid": process.pid}))))
}

/// Starts `request` as a background process of `sandbox`, on a thread of
/// its own.
pub(crate) async fn spawn(
    app: &Arc<App>,
    tenant: &Tenant,
    sandbox: Arc<Sandbox>,
    request: &ExecRequest,
) -> Result<Arc<Process>, ApiError> {
    let pid = sandbox.processes.lock().unwrap_or_else(PoisonError::into_inner).admit()?;
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (events, _) = watch::channel(0);
    let process = Arc::new(Process {
        pid,
        command: request.command.clone(),
        started,
        stdin: InputPipe::new(),
        stop: StopHandle::new(),
        log: Mutex::default(),
        events,
    });
    let mut exec = request.exec(Output::Stream(process.sink("stdout")), Output::Stream(process.sink("stderr")))?;
    exec.stdin = Some(Input::Pipe(process.stdin.clone()));
    exec.stop = Some(process.stop.clone());
    sandbox.processes.lock().unwrap_or_else(PoisonError::into_inner).table.insert(pid, process.clone());

    // Loading a paused sandbox is VM work: it goes through the queue; the
    // process itself then runs on a thread of its own.
    let loaded = sandbox.clone();
    app.blocking(tenant, move |app| app.registry.session(&loaded).map(drop)).await.inspect_err(|_| {
        process.finish(json!({"exit_code": null, "killed": "the sandbox could not be loaded"}));
    })?;
    let busy = sandbox.busy();
    let command = request.command.clone();
    let worker = app.clone();
    let runner = process.clone();
    let spawned = std::thread::Builder::new().name(format!("capsa-bg-{pid}")).spawn(move || {
        let began = Instant::now();
        let result = worker.registry.session(&sandbox).and_then(|session| Ok(session.exec(&command, &exec)?));
        let exit = match result {
            Ok(outcome) => {
                worker.metrics.exec_done(&outcome.status, began.elapsed());
                summary(&outcome, began.elapsed(), false)
            }
            Err(err) => json!({"exit_code": null, "killed": null, "error": {"code": err.code, "message": err.message}}),
        };
        if let Err(err) = worker.registry.save(&sandbox) {
            tracing::warn!("saving sandbox {} after process {pid}: {}", sandbox.id, err.message);
        }
        runner.finish(exit);
        drop(busy);
    });
    if let Err(err) = spawned {
        process.finish(json!({"exit_code": null, "killed": null}));
        return Err(ApiError::internal(format!("cannot start a thread: {err}")));
    }
    Ok(process)
}

/// `GET /v1/sandboxes/{id}/processes`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    let processes = sandbox.processes.lock().unwrap_or_else(PoisonError::into_inner);
    let all: Vec<Value> = processes.table.values().map(|p| p.describe()).collect();
    Ok(Json(json!({ "processes": all })))
}

/// `GET /v1/sandboxes/{id}/processes/{pid}`.
pub(crate) async fn show(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path((id, pid)): Path<(String, u64)>,
) -> Result<Json<Value>, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    Ok(Json(get_process(&sandbox, pid)?.describe()))
}

/// `GET /v1/sandboxes/{id}/processes/{pid}/events`: the log from the
/// start, then live until `exit`.
pub(crate) async fn events(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path((id, pid)): Path<(String, u64)>,
) -> Result<Response, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    let process = get_process(&sandbox, pid)?;
    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(64);
    let mut changed = process.events.subscribe();
    tokio::spawn(async move {
        let mut at = 0;
        loop {
            let (batch, complete) = process.events_from(at);
            for (name, data) in batch {
                if tx.send(Ok(Event::default().event(name).data(data))).await.is_err() {
                    return; // The client left.
                }
                at += 1;
            }
            if complete && process.events_from(at).0.is_empty() {
                return;
            }
            if changed.changed().await.is_err() {
                // The process is gone from the table and its log complete.
                if process.events_from(at).0.is_empty() {
                    return;
                }
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::default()).into_response())
}

/// `?eof=1` on a stdin write.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StdinQuery {
    #[serde(default)]
    eof: Option<u8>,
}

/// `POST /v1/sandboxes/{id}/processes/{pid}/stdin`.
pub(crate) async fn stdin(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path((id, pid)): Path<(String, u64)>,
    Query(query): Query<StdinQuery>,
    RawBody(body): RawBody,
) -> Result<StatusCode, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    let process = get_process(&sandbox, pid)?;
    sandbox.touch();
    let eof = query.eof.unwrap_or(0) != 0;
    app.blocking(&tenant, move |_| {
        if !body.is_empty() {
            process.stdin.write(&body, Duration::from_secs(5)).map_err(|err| match err {
                PipeError::Closed => ApiError::new(StatusCode::CONFLICT, "stdin_closed", "its stdin is closed"),
                PipeError::Full => ApiError::too_many("its stdin is full: the process is not reading", 1),
            })?;
        }
        if eof {
            process.stdin.close();
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?signal=N` on a kill.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KillQuery {
    signal: Option<u8>,
}

/// `POST /v1/sandboxes/{id}/processes/{pid}/kill`.
pub(crate) async fn kill(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path((id, pid)): Path<(String, u64)>,
    Query(query): Query<KillQuery>,
) -> Result<StatusCode, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    let process = get_process(&sandbox, pid)?;
    let signal = query.signal.unwrap_or(9);
    if !(1..=64).contains(&signal) {
        return Err(ApiError::bad_request("signal: 1 to 64"));
    }
    process.stop.signal(signal);
    process.stdin.close();
    Ok(StatusCode::ACCEPTED)
}
