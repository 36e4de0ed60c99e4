//! MCP (the Model Context Protocol) for agents: JSON-RPC 2.0 over stdio
//! (`capsa mcp`) or over streamable HTTP (`POST /mcp` on `capsa serve`,
//! same tokens). The tools: `sandbox_create`, `sandbox_list`,
//! `sandbox_delete`, `exec`, `run_code`, `write_file`, `read_file`,
//! `list_files`, `snapshot`. A tool without a `sandbox_id` works in the
//! MCP session's own sandbox, created on first use. A bad call is a tool
//! error (`isError: true`) the agent can read, never a crash.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use capsa_runtime::{Input, Output};
use capsa_session::{Exec, FileKind};
use serde_json::{Value, json};

use crate::oneshot::{self, Compile, Job};
use crate::spec::{Spec, default_limits};
use crate::{ApiError, App, Caller, RawBody, Tenant};

/// Protocol versions this server speaks, newest last.
const VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// Output an `exec` or `run_code` answer shows before truncating.
const SHOWN: usize = 64 << 10;

/// One MCP session: its sandbox, once made.
#[derive(Debug, Default)]
pub struct McpSession {
    default_sandbox: Option<String>,
}

/// A session shared by the requests that name it.
type Shared = Arc<tokio::sync::Mutex<McpSession>>;

/// The HTTP transport's sessions, by `Mcp-Session-Id`: the tenant that
/// opened each, and the session.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, (String, Shared)>>,
}

/// The tools, as `tools/list` shows them.
fn tools() -> Value {
    let sandbox_id = json!({"type": "string", "description": "The sandbox to use; default: this session's own sandbox, created on first use."});
    json!([
        {"name": "sandbox_create", "description": "Create a new sandbox (an isolated Linux-like VM with a shell and coreutils, Python, JavaScript and more when installed). Returns its id.",
         "inputSchema": {"type": "object", "properties": {
             "persistent": {"type": "boolean", "description": "Keep its files on disk across server restarts."},
             "memory": {"type": "string", "description": "Memory limit, e.g. 512MiB."},
             "timeout": {"type": "string", "description": "Default wall clock per command, e.g. 60s."}}}},
        {"name": "sandbox_list", "description": "List your sandboxes with their state and usage.", "inputSchema": {"type": "object", "properties": {}}},
        {"name": "sandbox_delete", "description": "Delete a sandbox and its files.",
         "inputSchema": {"type": "object", "properties": {"sandbox_id": {"type": "string"}}, "required": ["sandbox_id"]}},
        {"name": "exec", "description": "Run a shell command line (bash syntax) in a sandbox. Files and the environment persist between calls; each call starts in the working directory given (default the home directory). Returns the exit code, stdout and stderr.",
         "inputSchema": {"type": "object", "properties": {
             "command": {"type": "string", "description": "The command line, e.g. `ls -la && python3 app.py`."},
             "sandbox_id": sandbox_id, "cwd": {"type": "string"}, "stdin": {"type": "string"},
             "timeout_s": {"type": "number", "description": "Wall clock in seconds (default 60)."}}, "required": ["command"]}},
        {"name": "python", "description": "Run Python code in a sandbox's persistent interpreter (CPython 3.15 with numpy, pandas, scipy, sqlite3): variables and imports persist between calls, and a final expression's value is returned, as in a notebook.",
         "inputSchema": {"type": "object", "properties": {
             "code": {"type": "string"}, "sandbox_id": sandbox_id,
             "timeout_s": {"type": "number", "description": "Wall clock of the cell in seconds (default 60); past it the interpreter restarts."}}, "required": ["code"]}},
        {"name": "run_code", "description": "Run a program once in a fresh sandbox and return its output: language is one of c, cpp, python, javascript, typescript, lua, go, bash.",
         "inputSchema": {"type": "object", "properties": {
             "language": {"type": "string", "enum": ["c", "cpp", "python", "javascript", "typescript", "lua", "go", "bash"]},
             "code": {"type": "string"}, "stdin": {"type": "string"},
             "timeout_s": {"type": "number", "description": "Wall clock of the run in seconds (default 10)."}}, "required": ["language", "code"]}},
        {"name": "write_file", "description": "Write a text file in a sandbox (parent directories are made).",
         "inputSchema": {"type": "object", "properties": {"path": {"type": "string", "description": "Absolute, or relative to the home directory."}, "content": {"type": "string"}, "sandbox_id": sandbox_id}, "required": ["path", "content"]}},
        {"name": "read_file", "description": "Read a text file from a sandbox.",
         "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}, "sandbox_id": sandbox_id}, "required": ["path"]}},
        {"name": "list_files", "description": "List a directory of a sandbox: name, type, size.",
         "inputSchema": {"type": "object", "properties": {"path": {"type": "string", "description": "Default: the home directory."}, "sandbox_id": sandbox_id}}},
        {"name": "snapshot", "description": "Snapshot a sandbox's files; a new sandbox can start from the snapshot id (sandbox_create with from_snapshot through the HTTP API).",
         "inputSchema": {"type": "object", "properties": {"sandbox_id": sandbox_id}}}
    ])
}

/// A tool's answer: text, and whether it is an error.
fn text_result(text: impl Into<String>, is_error: bool) -> Value {
    json!({"content": [{"type": "text", "text": text.into()}], "isError": is_error})
}

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn rpc_error(id: &Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

/// Handles one JSON-RPC message; `None` for a notification or a response.
pub async fn handle(
    app: &Arc<App>,
    tenant: &Tenant,
    session: &tokio::sync::Mutex<McpSession>,
    message: Value,
) -> Option<Value> {
    let id = message.get("id").cloned();
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        // A response to something we never asked, or garbage.
        return id.map(|id| rpc_error(&id, -32600, "not a JSON-RPC request"));
    };
    let id = id?; // A notification: nothing to answer.
    let params = message.get("params").cloned().unwrap_or(json!({}));
    Some(match method {
        "initialize" => {
            let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or("");
            let version = VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or(VERSIONS[VERSIONS.len() - 1]);
            rpc_result(
                &id,
                json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": "capsa", "version": env!("CARGO_PKG_VERSION")},
                    "instructions": "Sandboxes for running untrusted code: use `exec` for shell commands in a persistent sandbox, `run_code` for a one-shot program, and the file tools to move files.",
                }),
            )
        }
        "ping" => rpc_result(&id, json!({})),
        "tools/list" => rpc_result(&id, json!({"tools": tools()})),
        "tools/call" => {
            let name = params.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let arguments = params.get("arguments").cloned().unwrap_or(json!({}));
            let result = call(app, tenant, session, &name, &arguments).await;
            rpc_result(
                &id,
                match result {
                    Ok(text) => text_result(text, false),
                    Err(message) => text_result(message, true),
                },
            )
        }
        other => rpc_error(&id, -32601, format!("method not found: {other}")),
    })
}

/// A tool's `timeout_s`, clamped to between a millisecond and a day.
fn timeout_arg(args: &Value) -> Option<Duration> {
    args.get("timeout_s").and_then(Value::as_f64).map(|s| Duration::from_secs_f64(s.clamp(0.001, 86_400.0)))
}

fn string_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, String> {
    args.get(name).and_then(Value::as_str).ok_or_else(|| format!("`{name}` (a string) is required"))
}

/// The sandbox a tool works in: the given one, or the session's own.
async fn sandbox_for(
    app: &Arc<App>,
    tenant: &Tenant,
    session: &tokio::sync::Mutex<McpSession>,
    args: &Value,
) -> Result<String, String> {
    if let Some(id) = args.get("sandbox_id").and_then(Value::as_str) {
        return Ok(id.to_string());
    }
    let mut session = session.lock().await;
    if let Some(id) = &session.default_sandbox
        && app.registry.get(&tenant.name, id).is_ok()
    {
        return Ok(id.clone());
    }
    let owner = tenant.clone();
    let made =
        app.blocking(tenant, move |app| app.registry.create(&owner, Spec::default())).await.map_err(|e| e.message)?;
    session.default_sandbox = Some(made.id.clone());
    Ok(made.id.clone())
}

async fn call(
    app: &Arc<App>,
    tenant: &Tenant,
    session: &tokio::sync::Mutex<McpSession>,
    name: &str,
    args: &Value,
) -> Result<String, String> {
    let err = |e: ApiError| e.message;
    match name {
        "sandbox_create" => {
            let mut spec = Spec {
                persistent: args.get("persistent").and_then(Value::as_bool).unwrap_or(false),
                ..Spec::default()
            };
            if let Some(memory) = args.get("memory").and_then(Value::as_str) {
                spec.limits.memory = Some(crate::spec::Size::Text(memory.into()));
            }
            if let Some(timeout) = args.get("timeout").and_then(Value::as_str) {
                spec.limits.timeout = Some(crate::spec::Time::Text(timeout.into()));
            }
            let owner = tenant.clone();
            let made = app.blocking(tenant, move |app| app.registry.create(&owner, spec)).await.map_err(err)?;
            Ok(format!("created sandbox {}", made.id))
        }
        "sandbox_list" => {
            let list: Vec<Value> = app
                .registry
                .list(&tenant.name)
                .iter()
                .map(|sb| json!({"id": sb.id, "persistent": sb.spec.persistent, "state": if sb.loaded().is_some() { "running" } else { "paused" }}))
                .collect();
            Ok(serde_json::to_string_pretty(&list).unwrap_or_default())
        }
        "sandbox_delete" => {
            let id = string_arg(args, "sandbox_id")?.to_string();
            let owner = tenant.name.clone();
            app.blocking(tenant, move |app| app.registry.delete(&owner, &id)).await.map_err(err)?;
            Ok("deleted".into())
        }
        "exec" => {
            let command = string_arg(args, "command")?.to_string();
            let id = sandbox_for(app, tenant, session, args).await?;
            let sandbox = app.registry.get(&tenant.name, &id).map_err(err)?;
            let timeout = timeout_arg(args);
            let exec = Exec {
                stdin: Some(Input::Bytes(args.get("stdin").and_then(Value::as_str).unwrap_or("").as_bytes().to_vec())),
                stdout: Some(Output::Capture),
                stderr: Some(Output::Capture),
                cwd: args.get("cwd").and_then(Value::as_str).map(String::from),
                timeout,
                ..Exec::default()
            };
            let outcome =
                app.blocking(tenant, move |app| crate::exec::run(app, &sandbox, &command, &exec)).await.map_err(err)?;
            let mut text = format!("exit code: {}\n", outcome.status.code());
            if let Some(reason) = outcome.status.reason() {
                text.push_str(&format!("{reason}\n"));
            }
            text.push_str(&format!("stdout:\n{}", shown(&outcome.stdout)));
            if !outcome.stderr.is_empty() {
                text.push_str(&format!("\nstderr:\n{}", shown(&outcome.stderr)));
            }
            Ok(text)
        }
        "python" => {
            let code = string_arg(args, "code")?.to_string();
            let id = sandbox_for(app, tenant, session, args).await?;
            let sandbox = app.registry.get(&tenant.name, &id).map_err(err)?;
            let timeout = timeout_arg(args).unwrap_or(Duration::from_secs(60));
            let done = crate::python::run_cell(app, tenant, sandbox, &code, timeout, None).await.map_err(err)?;
            let mut text = String::new();
            for stream in ["stdout", "stderr"] {
                if let Some(out) = done[stream].as_str().filter(|s| !s.is_empty()) {
                    text.push_str(&format!("{stream}:\n{out}"));
                    if !out.ends_with('\n') {
                        text.push('\n');
                    }
                }
            }
            if let Some(error) = done["error"].as_object() {
                let traceback = error.get("traceback").and_then(Value::as_str).unwrap_or("");
                let line =
                    format!("{}: {}", error["name"].as_str().unwrap_or(""), error["value"].as_str().unwrap_or(""));
                text.push_str(if traceback.is_empty() { &line } else { traceback });
            } else if let Some(result) = done["result"].as_str() {
                text.push_str(result);
            }
            Ok(text)
        }
        "run_code" => {
            let language = string_arg(args, "language")?;
            let code = string_arg(args, "code")?;
            let (lane, file) = match language {
                "c" => ("c", "main.c"),
                "cpp" | "c++" => ("cpp", "main.cpp"),
                "python" | "python3" => ("python", "main.py"),
                "javascript" | "js" => ("javascript", "main.js"),
                "typescript" | "ts" => ("typescript", "main.ts"),
                "lua" => ("lua", "main.lua"),
                "go" => ("go", "main.go"),
                "bash" | "sh" => (oneshot::SHELL, "main.sh"),
                other => {
                    return Err(format!(
                        "unknown language {other:?}: one of c, cpp, python, javascript, typescript, lua, go, bash"
                    ));
                }
            };
            let mut limits = default_limits();
            limits.wall = Duration::from_secs_f64(
                args.get("timeout_s").and_then(Value::as_f64).unwrap_or(10.0).clamp(0.001, 600.0),
            );
            let job = Job {
                lane: lane.to_string(),
                files: vec![(file.to_string(), code.as_bytes().to_vec())],
                stdin: args.get("stdin").and_then(Value::as_str).unwrap_or("").as_bytes().to_vec(),
                args: Vec::new(),
                limits,
                budget: capsa_lanes::CompilerBudget::default(),
                merge_stderr: false,
            };
            let result =
                app.run_job(tenant, job, crate::registry::new_id("job").map_err(err)?).await.map_err(err)??;
            let mut text = String::new();
            if let Some(compile) = &result.compile {
                match &compile.result {
                    Compile::Built { .. } => {}
                    Compile::Failed { diagnostics } | Compile::Stopped { diagnostics, .. } => {
                        return Err(format!("compile error:\n{}", shown(diagnostics.as_bytes())));
                    }
                    Compile::Error(message) => return Err(message.clone()),
                }
            }
            if let Some(run) = &result.run {
                match &run.status {
                    Some(status) => {
                        text.push_str(&format!("exit code: {}\n", status.code()));
                        if let Some(reason) = status.reason() {
                            text.push_str(&format!("{reason}\n"));
                        }
                    }
                    None => return Err(run.error.clone().unwrap_or_else(|| "it could not run".into())),
                }
                text.push_str(&format!("stdout:\n{}", shown(&run.stdout)));
                if !run.stderr.is_empty() {
                    text.push_str(&format!("\nstderr:\n{}", shown(&run.stderr)));
                }
            }
            Ok(text)
        }
        "write_file" | "read_file" | "list_files" | "snapshot" => {
            let id = sandbox_for(app, tenant, session, args).await?;
            let sandbox = app.registry.get(&tenant.name, &id).map_err(err)?;
            let args = args.clone();
            let name = name.to_string();
            app.blocking(tenant, move |app| {
                if name == "snapshot" {
                    let record = app.registry.take_snapshot(&sandbox)?;
                    return Ok(format!("snapshot {} of sandbox {} ({} bytes)", record.id, sandbox.id, record.bytes));
                }
                sandbox.touch();
                let session = app.registry.session(&sandbox)?;
                let path = |default: &str| args.get("path").and_then(Value::as_str).unwrap_or(default).to_string();
                match name.as_str() {
                    "write_file" => {
                        let content = args
                            .get("content")
                            .and_then(Value::as_str)
                            .ok_or_else(|| ApiError::bad_request("`content` (a string) is required"))?;
                        let path = path("");
                        session.write_file(&path, content.as_bytes())?;
                        app.registry.save(&sandbox)?;
                        Ok(format!("wrote {} bytes to {path}", content.len()))
                    }
                    "read_file" => {
                        let bytes = session.read_file(&path(""), 8 << 20)?;
                        Ok(String::from_utf8_lossy(&bytes).into_owned())
                    }
                    _ => {
                        let entries = session.list(&path(session.workdir()))?;
                        let lines: Vec<String> = entries
                            .iter()
                            .map(|e| {
                                let kind = match e.kind {
                                    FileKind::Dir => "dir",
                                    FileKind::File => "file",
                                    FileKind::Symlink => "symlink",
                                    FileKind::Other => "other",
                                };
                                format!("{kind}\t{}\t{}", e.size, e.name)
                            })
                            .collect();
                        Ok(lines.join("\n"))
                    }
                }
            })
            .await
            .map_err(err)
        }
        other => Err(format!("unknown tool {other:?}; see tools/list")),
    }
}

/// Output as text, cut at [`SHOWN`] bytes with a note.
fn shown(bytes: &[u8]) -> String {
    if bytes.len() <= SHOWN {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    format!("{}\n[… {} more bytes not shown]", String::from_utf8_lossy(&bytes[..SHOWN]), bytes.len() - SHOWN)
}

/// `POST /mcp`: the streamable HTTP transport (JSON answers).
pub(crate) async fn post(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let message: Value = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(err) => {
            return (StatusCode::BAD_REQUEST, Json(rpc_error(&Value::Null, -32700, format!("parse error: {err}"))))
                .into_response();
        }
    };
    let is_initialize = message.get("method").and_then(Value::as_str) == Some("initialize");
    let (session_id, session) = if is_initialize {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            return ApiError::internal("no randomness").into_response();
        }
        let id = hex::encode(bytes);
        let session = Arc::new(tokio::sync::Mutex::new(McpSession::default()));
        app.mcp
            .by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.clone(), (tenant.name.clone(), session.clone()));
        (id, session)
    } else {
        let Some(id) = headers.get("mcp-session-id").and_then(|v| v.to_str().ok()) else {
            return (StatusCode::BAD_REQUEST, Json(rpc_error(&Value::Null, -32000, "Mcp-Session-Id is required")))
                .into_response();
        };
        let found = app.mcp.by_id.lock().unwrap_or_else(PoisonError::into_inner).get(id).cloned();
        match found {
            Some((owner, session)) if owner == tenant.name => (id.to_string(), session),
            _ => {
                return (StatusCode::NOT_FOUND, Json(rpc_error(&Value::Null, -32001, "no such MCP session")))
                    .into_response();
            }
        }
    };
    let answer = match message {
        Value::Array(batch) => {
            let mut answers = Vec::new();
            for message in batch {
                answers.extend(handle(&app, &tenant, &session, message).await);
            }
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        message => handle(&app, &tenant, &session, message).await,
    };
    let mut response = match answer {
        Some(answer) => (StatusCode::OK, Json(answer)).into_response(),
        None => StatusCode::ACCEPTED.into_response(),
    };
    if let Ok(value) = session_id.parse() {
        response.headers_mut().insert("mcp-session-id", value);
    }
    response
}

/// `GET /mcp`: no server-initiated stream is offered.
pub(crate) async fn get(_caller: Caller) -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}

/// `DELETE /mcp`: ends a session (its sandbox stays until idle).
pub(crate) async fn delete(State(app): State<Arc<App>>, Caller(tenant): Caller, headers: HeaderMap) -> StatusCode {
    let Some(id) = headers.get("mcp-session-id").and_then(|v| v.to_str().ok()) else { return StatusCode::BAD_REQUEST };
    let mut sessions = app.mcp.by_id.lock().unwrap_or_else(PoisonError::into_inner);
    match sessions.get(id) {
        Some((owner, _)) if *owner == tenant.name => {
            sessions.remove(id);
            StatusCode::OK
        }
        _ => StatusCode::NOT_FOUND,
    }
}

/// `capsa mcp`: the stdio transport, one JSON-RPC message per line, as the
/// local tenant `local`. Returns when stdin ends.
///
/// # Errors
/// Reading stdin or writing stdout failed.
pub async fn serve_stdio(app: Arc<App>) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let tenant = Tenant { name: "local".into(), quotas: crate::Quotas::default() };
    let session = tokio::sync::Mutex::new(McpSession::default());
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(message) => handle(&app, &tenant, &session, message).await,
            Err(err) => Some(rpc_error(&Value::Null, -32700, format!("parse error: {err}"))),
        };
        if let Some(answer) = answer {
            stdout.write_all(format!("{answer}\n").as_bytes()).await?;
            stdout.flush().await?;
        }
    }
    Ok(())
}
