//! `GET /v1/sandboxes/{id}/shell`: the interactive shell over a WebSocket,
//! for a browser terminal or `capsa sh --server URL`. Lines run as `capsa
//! sh` runs them ([`capsa_session::line`]): variables, functions, options
//! and `cd` carry from one line to the next.
//!
//! Messages are JSON text frames. From the client:
//! `{"type":"line","data":"ls -l"}` runs a line (one at a time);
//! `{"type":"stdin","data":"..."}` (or `"data_b64"`) feeds the running
//! line; `{"type":"eof"}` closes its stdin; `{"type":"interrupt"}` is
//! Ctrl-C. From the server: `{"type":"ready","cwd","user","home"}` once;
//! `stdout` / `stderr` chunks (`data` or `data_b64`) as they are written;
//! then `{"type":"done","exit_code","cwd","killed"}`, `{"type":"more"}`
//! (the input is incomplete: send it again with the next line), or
//! `{"type":"exit","exit_code"}` before the server closes. A client that
//! goes away kills its running line.
//!
//! The session itself ([`session`]) takes messages from a channel, not a
//! socket: a cluster worker drives it with messages relayed over NATS.

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use capsa_runtime::streams::{InputPipe, OutputSink};
use capsa_runtime::{Input, Output, StopHandle};
use capsa_session::{Exec, LineOutcome};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::exec::put_output;
use crate::registry::Sandbox;
use crate::{ApiError, App, Caller, Tenant};

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum ClientMessage {
    Line { data: String },
    Stdin { data: Option<String>, data_b64: Option<String> },
    Eof,
    Interrupt,
}

/// The line running now: its stdin and its stop handle.
struct Running {
    stdin: InputPipe,
    stop: StopHandle,
}

/// The handler: upgrades to a WebSocket.
pub(crate) async fn shell(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|err| {
        ApiError::new(StatusCode::UPGRADE_REQUIRED, "upgrade_required", format!("a WebSocket is needed here: {err}"))
    })?;
    let sandbox = open(&app, &tenant, &id).await?;
    Ok(upgrade.max_message_size(app.max_body).on_upgrade(move |socket| serve(app, sandbox, socket)))
}

/// `tenant`'s sandbox `id`, loaded (a paused one resumed before the
/// session begins, so that a failure is an answer, not a closed socket).
///
/// # Errors
/// 404, a quota, or the sandbox could not be loaded.
pub async fn open(app: &Arc<App>, tenant: &Tenant, id: &str) -> Result<Arc<Sandbox>, ApiError> {
    let sandbox = app.registry.get(&tenant.name, id)?;
    let loading = sandbox.clone();
    app.blocking(tenant, move |app| app.registry.session(&loading).map(drop)).await?;
    Ok(sandbox)
}

async fn serve(app: Arc<App>, sandbox: Arc<Sandbox>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut outgoing) = mpsc::unbounded_channel::<Value>();
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            let end = message["type"] == "exit";
            if sink.send(Message::Text(message.to_string().into())).await.is_err() || end {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let (incoming, messages) = mpsc::channel::<String>(64);
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Text(text) => {
                    if incoming.send(text.to_string()).await.is_err() {
                        break;
                    }
                }
                Message::Close(_) => break,
                Message::Binary(_) | Message::Ping(_) | Message::Pong(_) => {}
            }
        }
    });
    session(app, sandbox, messages, out).await;
    reader.abort();
    let _ = writer.await;
}

/// Runs a shell session on `sandbox` (loaded by [`open`]): client messages
/// (JSON text, see the module doc) come in on `incoming`, server messages
/// go to `out`. Ends when `incoming` closes (the client left: its running
/// line is killed) or the shell exits.
pub async fn session(
    app: Arc<App>,
    sandbox: Arc<Sandbox>,
    mut incoming: mpsc::Receiver<String>,
    out: mpsc::UnboundedSender<Value>,
) {
    let running: Arc<Mutex<Option<Running>>> = Arc::default();
    if let Ok(session) = app.registry.session(&sandbox) {
        let identity = session.identity();
        let _ =
            out.send(json!({"type": "ready", "cwd": session.workdir(), "user": identity.user, "home": identity.home}));
    }
    while let Some(text) = incoming.recv().await {
        if out.is_closed() {
            break;
        }
        sandbox.touch();
        let message = match serde_json::from_str::<ClientMessage>(&text) {
            Ok(message) => message,
            Err(err) => {
                let _ = out.send(json!({"type": "error", "code": "bad_request", "message": err.to_string()}));
                continue;
            }
        };
        let current = running.lock().unwrap_or_else(PoisonError::into_inner);
        match message {
            ClientMessage::Line { data } => {
                if current.is_some() {
                    let _ = out.send(json!({"type": "error", "code": "busy", "message": "a line is running"}));
                    continue;
                }
                drop(current);
                start_line(&app, &sandbox, &running, &out, data);
            }
            ClientMessage::Stdin { data, data_b64 } => {
                let bytes = match (data, data_b64) {
                    (Some(text), None) => Ok(text.into_bytes()),
                    (None, Some(b64)) => BASE64.decode(b64).map_err(|err| err.to_string()),
                    _ => Err("give data or data_b64".to_string()),
                };
                match (bytes, current.as_ref()) {
                    // Never block the connection: a full stdin is reported.
                    (Ok(bytes), Some(line)) => {
                        if let Err(err) = line.stdin.write(&bytes, std::time::Duration::ZERO) {
                            let _ = out.send(json!({"type": "error", "code": "stdin", "message": err.to_string()}));
                        }
                    }
                    (Ok(_), None) => {}
                    (Err(message), _) => {
                        let _ = out.send(json!({"type": "error", "code": "bad_request", "message": message}));
                    }
                }
            }
            ClientMessage::Eof => current.iter().for_each(|line| line.stdin.close()),
            ClientMessage::Interrupt => current.iter().for_each(|line| line.stop.signal(2)),
        }
    }
    // The client left: its running line goes with it.
    if let Some(line) = running.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
        line.stop.signal(9);
        line.stdin.close();
    }
}

/// Runs one line on a thread of its own, its output sent as it comes.
fn start_line(
    app: &Arc<App>,
    sandbox: &Arc<Sandbox>,
    running: &Arc<Mutex<Option<Running>>>,
    out: &mpsc::UnboundedSender<Value>,
    text: String,
) {
    let stdin = InputPipe::new();
    let stop = StopHandle::new();
    let sink = |name: &'static str| {
        let out = out.clone();
        Output::Stream(OutputSink::new(move |chunk: &[u8]| {
            let mut message = json!({"type": name});
            put_output(&mut message, "data", chunk);
            let _ = out.send(message);
        }))
    };
    let exec = Exec {
        stdin: Some(Input::Pipe(stdin.clone())),
        stdout: Some(sink("stdout")),
        stderr: Some(sink("stderr")),
        stop: Some(stop.clone()),
        ..Exec::default()
    };
    *running.lock().unwrap_or_else(PoisonError::into_inner) = Some(Running { stdin, stop });
    let busy = sandbox.busy();
    let (app, sandbox, running, out) = (app.clone(), sandbox.clone(), running.clone(), out.clone());
    let spawned = std::thread::Builder::new().name("capsa-shell-line".into()).spawn({
        let (sandbox, running, out) = (sandbox.clone(), running.clone(), out.clone());
        move || {
            let result = app.registry.session(&sandbox).and_then(|session| Ok(session.run_line_with(&text, &exec)?));
            if let Err(err) = app.registry.save(&sandbox) {
                tracing::warn!("saving sandbox {} after a shell line: {}", sandbox.id, err.message);
            }
            *running.lock().unwrap_or_else(PoisonError::into_inner) = None;
            drop(busy);
            let message = match result {
                Ok(LineOutcome::More) => json!({"type": "more"}),
                Ok(LineOutcome::Done { outcome, cwd }) => json!({
                    "type": "done",
                    "exit_code": outcome.status.code(),
                    "cwd": cwd,
                    "killed": outcome.status.reason(),
                }),
                Ok(LineOutcome::Exit(outcome)) => json!({"type": "exit", "exit_code": outcome.status.code()}),
                Err(err) => json!({"type": "error", "code": err.code, "message": err.message}),
            };
            let _ = out.send(message);
        }
    });
    if spawned.is_err() {
        // The closure, and the busy guard in it, are gone with the thread.
        *running.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let _ = out.send(json!({"type": "error", "code": "internal", "message": "cannot start a thread"}));
    }
}
