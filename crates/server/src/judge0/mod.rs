//! Judge0 CE's submissions API (version 1.13.1), drop-in for its clients:
//! `/about`, `/config_info`, `/languages`, `/statuses`, `/submissions`
//! (one, batched, `wait=true` or polled by token). A submission runs as a
//! one-shot job (`oneshot.rs`) in the background; its result is kept for
//! the server's retention time, then forgotten. `X-Auth-Token` is accepted
//! as the API token. A `callback_url` is called only on hosts the operator
//! allowed (`--judge0-callback-host`), never anywhere else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use capsa_lanes::CompilerBudget;
use capsa_runtime::{ExitStatus, Limit};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

mod catalog;

use crate::oneshot::{Compile, Job, JobResult};
use crate::spec::default_limits;
use crate::{App, Caller, RawBody, Tenant};
use catalog::*;
pub(crate) use catalog::{about, config_info, language, languages, statuses};

/// The Judge0 CE API version implemented (its SDK picks its language ids by it).
pub const VERSION: &str = "1.13.1";

/// The kept submissions, and the callback hosts the operator allows.
#[derive(Debug, Default)]
pub struct Submissions {
    kept: Mutex<HashMap<String, Arc<Mutex<Submission>>>>,
    /// How long a finished submission is kept.
    pub retention: Duration,
    /// Hosts (`host` or `host:port`) a `callback_url` may name.
    pub callback_hosts: Vec<String>,
}

/// One submission and, once run, its result. Serialized where a cluster
/// keeps it, so that any front-end answers for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Submission {
    token: String,
    tenant: String,
    language_id: u32,
    source_code: Vec<u8>,
    stdin: Vec<u8>,
    expected_output: Option<Vec<u8>>,
    settings: Map<String, Value>,
    status: u8,
    stdout: Option<Vec<u8>>,
    stderr: Option<Vec<u8>>,
    compile_output: Option<Vec<u8>>,
    message: Option<String>,
    exit_code: Option<i64>,
    exit_signal: Option<u8>,
    time: Option<f64>,
    wall_time: Option<f64>,
    memory: Option<u64>,
    created_at: SystemTime,
    finished_at: Option<SystemTime>,
    /// When it finished here (for the retention of the in-memory copy).
    #[serde(skip)]
    finished: Option<Instant>,
}

/// A request body's fields (Judge0's names; unknown ones are refused).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSubmission {
    source_code: Option<String>,
    language_id: Option<u32>,
    stdin: Option<String>,
    expected_output: Option<String>,
    compiler_options: Option<String>,
    command_line_arguments: Option<String>,
    cpu_time_limit: Option<f64>,
    cpu_extra_time: Option<f64>,
    wall_time_limit: Option<f64>,
    memory_limit: Option<f64>,
    stack_limit: Option<f64>,
    max_processes_and_or_threads: Option<f64>,
    enable_per_process_and_thread_time_limit: Option<bool>,
    enable_per_process_and_thread_memory_limit: Option<bool>,
    max_file_size: Option<f64>,
    redirect_stderr_to_stdout: Option<bool>,
    enable_network: Option<bool>,
    number_of_runs: Option<f64>,
    callback_url: Option<String>,
    additional_files: Option<String>,
}

/// `?base64_encoded=&wait=&fields=&tokens=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Params {
    base64_encoded: Option<String>,
    wait: Option<String>,
    fields: Option<String>,
    tokens: Option<String>,
}

impl Params {
    fn base64(&self) -> bool {
        self.base64_encoded.as_deref() == Some("true")
    }
}

/// Judge0's validation error: `422 {"field": ["message"]}`.
#[derive(Debug)]
struct Invalid {
    field: String,
    message: String,
}

fn invalid(field: &str, message: &str) -> Invalid {
    Invalid { field: field.into(), message: message.into() }
}

impl IntoResponse for Invalid {
    fn into_response(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ self.field: [self.message] }))).into_response()
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "some attributes for this submission cannot be found"})))
        .into_response()
}

/// `POST /submissions`.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Query(params): Query<Params>,
    RawBody(body): RawBody,
) -> Response {
    let request: NewSubmission = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return (StatusCode::BAD_REQUEST, Json(json!({"error": err.to_string()}))).into_response(),
    };
    let submission = match admit(&app, &tenant, request, params.base64()) {
        Ok(submission) => submission,
        Err(invalid) => return invalid.into_response(),
    };
    let token = submission.lock().unwrap_or_else(PoisonError::into_inner).token.clone();
    keep(&app, &submission).await;
    // Queued before the answer: a token handed out always has a run.
    let waiting = queue(&app, &tenant, &submission).await;
    let running = tokio::spawn(execute(app.clone(), submission.clone(), waiting));
    if params.wait.as_deref() == Some("true") {
        let _ = running.await;
        let done = submission.lock().unwrap_or_else(PoisonError::into_inner).clone();
        return (StatusCode::CREATED, Json(render(&done, &params, true))).into_response();
    }
    (StatusCode::CREATED, Json(json!({ "token": token }))).into_response()
}

/// `POST /submissions/batch`.
pub(crate) async fn create_batch(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Query(params): Query<Params>,
    RawBody(body): RawBody,
) -> Response {
    #[derive(Deserialize)]
    struct Batch {
        submissions: Vec<Value>,
    }
    let batch: Batch = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(err) => return (StatusCode::BAD_REQUEST, Json(json!({"error": err.to_string()}))).into_response(),
    };
    if batch.submissions.is_empty() || batch.submissions.len() > MAX_BATCH {
        return invalid("submissions", &format!("between 1 and {MAX_BATCH} submissions")).into_response();
    }
    let mut answers = Vec::new();
    for item in batch.submissions {
        let request = match serde_json::from_value::<NewSubmission>(item) {
            Ok(request) => request,
            Err(err) => {
                answers.push(json!({"error": err.to_string()}));
                continue;
            }
        };
        match admit(&app, &tenant, request, params.base64()) {
            Ok(submission) => {
                let token = submission.lock().unwrap_or_else(PoisonError::into_inner).token.clone();
                keep(&app, &submission).await;
                let waiting = queue(&app, &tenant, &submission).await;
                tokio::spawn(execute(app.clone(), submission, waiting));
                answers.push(json!({ "token": token }));
            }
            Err(Invalid { field, message }) => answers.push(json!({ field: [message] })),
        }
    }
    (StatusCode::CREATED, Json(json!(answers))).into_response()
}

/// `GET /submissions/{token}`.
pub(crate) async fn show(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(token): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    match find(&app, &tenant, &token).await {
        Some(submission) => Json(render(&submission, &params, false)).into_response(),
        None => not_found(),
    }
}

/// `GET /submissions/batch?tokens=`.
pub(crate) async fn show_batch(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Query(params): Query<Params>,
) -> Response {
    let Some(tokens) = params.tokens.as_deref() else { return invalid("tokens", "can't be blank").into_response() };
    let tokens: Vec<&str> = tokens.split(',').filter(|t| !t.is_empty()).collect();
    if tokens.len() > MAX_BATCH {
        return invalid("tokens", &format!("at most {MAX_BATCH}")).into_response();
    }
    let mut list = Vec::with_capacity(tokens.len());
    for token in tokens {
        list.push(find(&app, &tenant, token).await.map_or(Value::Null, |s| render(&s, &params, false)));
    }
    Json(json!({ "submissions": list })).into_response()
}

/// `tenant`'s submission `token`: held here, or kept by a cluster (taken
/// by another front-end, or by this one before a restart: if its run has
/// finished since, its result is recorded now).
async fn find(app: &App, tenant: &Tenant, token: &str) -> Option<Submission> {
    let held = {
        let kept = app.judge0.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get(token).map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).clone())
    };
    let submission = match held {
        Some(submission) => submission,
        None => {
            let jobs = app.jobs()?;
            let bytes = jobs.kept(kept_name(token)).await?;
            let mut submission: Submission = serde_json::from_slice(&bytes).ok()?;
            if submission.status <= 2
                && submission.tenant == tenant.name
                && let Some(ran) = jobs.finished(token.to_string()).await
            {
                settle(&mut submission, ran);
                if let Ok(bytes) = serde_json::to_vec(&submission) {
                    jobs.keep(kept_name(token), bytes).await;
                }
            }
            submission
        }
    };
    (submission.tenant == tenant.name).then_some(submission)
}

/// Where a cluster keeps submission `token`.
fn kept_name(token: &str) -> String {
    format!("submission.{token}")
}

/// Hands a submission as it is now to the cluster, if there is one.
async fn keep(app: &App, submission: &Mutex<Submission>) {
    let Some(jobs) = app.jobs() else { return };
    let (token, bytes) = {
        let s = submission.lock().unwrap_or_else(PoisonError::into_inner);
        (s.token.clone(), serde_json::to_vec(&*s))
    };
    if let Ok(bytes) = bytes {
        jobs.keep(kept_name(&token), bytes).await;
    }
}

/// Checks a request and keeps it as a queued submission.
fn admit(app: &App, tenant: &Tenant, request: NewSubmission, base64: bool) -> Result<Arc<Mutex<Submission>>, Invalid> {
    let decode = |field: &str, value: &Option<String>| -> Result<Option<Vec<u8>>, Invalid> {
        match value {
            None => Ok(None),
            Some(text) if base64 => BASE64
                .decode(text.replace(['\n', '\r'], ""))
                .map(Some)
                .map_err(|_| invalid(field, "is not valid base64")),
            Some(text) => Ok(Some(text.clone().into_bytes())),
        }
    };
    let Some(source_code) = decode("source_code", &request.source_code)? else {
        return Err(invalid("source_code", "can't be blank"));
    };
    let Some(language_id) = request.language_id else { return Err(invalid("language_id", "can't be blank")) };
    if !LANGUAGES.iter().any(|l| l.0 == language_id) {
        return Err(invalid("language_id", &format!("language with id {language_id} doesn't exist")));
    }
    let stdin = decode("stdin", &request.stdin)?.unwrap_or_default();
    let expected_output = decode("expected_output", &request.expected_output)?;
    let mut settings = Map::new();
    let bound = |field: &str, value: Option<f64>, max: f64| -> Result<Option<f64>, Invalid> {
        match value {
            Some(v) if !(v >= 0.0 && v <= max) => Err(invalid(field, &format!("must be between 0 and {max}"))),
            other => Ok(other),
        }
    };
    for (field, value, max) in [
        ("cpu_time_limit", request.cpu_time_limit, MAX_CPU_TIME_LIMIT),
        ("wall_time_limit", request.wall_time_limit, MAX_WALL_TIME_LIMIT),
        ("memory_limit", request.memory_limit, MAX_MEMORY_LIMIT_KB as f64),
        ("stack_limit", request.stack_limit, MAX_STACK_LIMIT_KB as f64),
        ("max_processes_and_or_threads", request.max_processes_and_or_threads, MAX_MAX_PROCESSES as f64),
        ("max_file_size", request.max_file_size, MAX_MAX_FILE_SIZE_KB as f64),
        ("cpu_extra_time", request.cpu_extra_time, 0.0),
        ("number_of_runs", request.number_of_runs, 1.0),
    ] {
        if let Some(v) = bound(field, value, max)? {
            settings.insert(field.into(), json!(v));
        }
    }
    if request.enable_network == Some(true) {
        return Err(invalid("enable_network", "this server does not allow network access"));
    }
    if request.enable_per_process_and_thread_time_limit == Some(true)
        || request.enable_per_process_and_thread_memory_limit == Some(true)
    {
        return Err(invalid("enable_per_process_and_thread_time_limit", "not allowed: limits are per sandbox"));
    }
    if request.compiler_options.as_deref().is_some_and(|o| !o.is_empty()) {
        return Err(invalid("compiler_options", "compiler options are not enabled"));
    }
    if request.additional_files.is_some() {
        return Err(invalid("additional_files", "additional files are not enabled"));
    }
    if let Some(url) = &request.callback_url {
        if !callback_allowed(&app.judge0.callback_hosts, url) {
            return Err(invalid("callback_url", "this host is not allowed for callbacks"));
        }
        settings.insert("callback_url".into(), json!(url));
    }
    if let Some(args) = &request.command_line_arguments {
        settings.insert("command_line_arguments".into(), json!(args));
    }
    if request.redirect_stderr_to_stdout == Some(true) {
        settings.insert("redirect_stderr_to_stdout".into(), json!(true));
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| invalid("token", "no randomness"))?;
    let b = hex::encode(bytes);
    let token = format!("{}-{}-{}-{}-{}", &b[..8], &b[8..12], &b[12..16], &b[16..20], &b[20..]);
    let submission = Arc::new(Mutex::new(Submission {
        token: token.clone(),
        tenant: tenant.name.clone(),
        language_id,
        source_code,
        stdin,
        expected_output,
        settings,
        status: 1,
        stdout: None,
        stderr: None,
        compile_output: None,
        message: None,
        exit_code: None,
        exit_signal: None,
        time: None,
        wall_time: None,
        memory: None,
        created_at: SystemTime::now(),
        finished_at: None,
        finished: None,
    }));
    app.judge0.kept.lock().unwrap_or_else(PoisonError::into_inner).insert(token, submission.clone());
    Ok(submission)
}

/// Whether `url` is `http(s)://HOST[:PORT]/…` on an allowed host.
fn callback_allowed(hosts: &[String], url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else { return false };
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return false;
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    hosts.iter().any(|allowed| allowed == authority || allowed == host)
}

/// Queues a submission's run (under its token); resolves to what waits for it.
async fn queue(
    app: &Arc<App>,
    tenant: &Tenant,
    submission: &Mutex<Submission>,
) -> Result<crate::JobFuture<crate::JobOutcome>, crate::ApiError> {
    let (job, token) = {
        let s = submission.lock().unwrap_or_else(PoisonError::into_inner);
        (job_of(&s), s.token.clone())
    };
    app.start_job(tenant, job, token).await
}

/// Waits for a submission's run and records its result; then its callback.
async fn execute(
    app: Arc<App>,
    submission: Arc<Mutex<Submission>>,
    waiting: Result<crate::JobFuture<crate::JobOutcome>, crate::ApiError>,
) {
    submission.lock().unwrap_or_else(PoisonError::into_inner).status = 2;
    let ran = match waiting {
        Ok(waiting) => waiting.await,
        Err(err) => Err(err),
    };
    let callback = {
        let mut s = submission.lock().unwrap_or_else(PoisonError::into_inner);
        settle(&mut s, ran);
        s.settings
            .get("callback_url")
            .and_then(Value::as_str)
            .map(|url| (url.to_string(), render(&s, &Params::default(), true)))
    };
    if let Some((url, body)) = callback {
        let _ = tokio::task::spawn_blocking(move || {
            let agent = ureq::Agent::new_with_defaults();
            for _ in 0..3 {
                let sent = agent.put(&url).header("Content-Type", "application/json").send(body.to_string());
                if sent.is_ok() {
                    break;
                }
            }
        })
        .await;
    }
    keep(&app, &submission).await;
}

/// Records how a submission's run went.
fn settle(s: &mut Submission, ran: crate::JobOutcome) {
    match ran {
        Ok(Ok(result)) => record(s, &result),
        Ok(Err(message)) | Err(crate::ApiError { message, .. }) => {
            s.status = 13;
            s.message = Some(message);
        }
    }
    s.finished_at = Some(SystemTime::now());
    s.finished = Some(Instant::now());
}

fn job_of(s: &Submission) -> Job {
    let (_, _, lane, file) = LANGUAGES.iter().find(|l| l.0 == s.language_id).copied().unwrap_or(LANGUAGES[0]);
    let number = |field: &str, default: f64| s.settings.get(field).and_then(Value::as_f64).unwrap_or(default);
    let mut limits = default_limits();
    limits.cpu = Duration::from_secs_f64(number("cpu_time_limit", CPU_TIME_LIMIT).max(0.001));
    limits.wall = Duration::from_secs_f64(number("wall_time_limit", WALL_TIME_LIMIT).max(0.001));
    limits.memory = (number("memory_limit", MEMORY_LIMIT_KB as f64) as u64).saturating_mul(1024);
    limits.stack = (number("stack_limit", STACK_LIMIT_KB as f64) as usize).saturating_mul(1024).max(64 << 10);
    limits.processes = (number("max_processes_and_or_threads", MAX_PROCESSES as f64) as usize).max(1);
    let file_size = (number("max_file_size", MAX_FILE_SIZE_KB as f64) as u64).saturating_mul(1024);
    limits.stdout_bytes = file_size.max(1);
    limits.stderr_bytes = file_size.max(1);
    let args = s
        .settings
        .get("command_line_arguments")
        .and_then(Value::as_str)
        .map(|a| a.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    Job {
        lane: lane.to_string(),
        files: vec![(file.to_string(), s.source_code.clone())],
        stdin: s.stdin.clone(),
        args,
        limits,
        budget: CompilerBudget::default(),
        merge_stderr: s.settings.contains_key("redirect_stderr_to_stdout"),
    }
}

/// A run's result as Judge0's status and fields.
fn record(s: &mut Submission, result: &JobResult) {
    if let Some(compile) = &result.compile {
        match &compile.result {
            Compile::Built { diagnostics } => {
                s.compile_output = Some(diagnostics.clone().into_bytes()).filter(|d| !d.is_empty());
            }
            Compile::Failed { diagnostics } | Compile::Stopped { diagnostics, .. } => {
                s.status = 6;
                s.compile_output = Some(diagnostics.clone().into_bytes());
                return;
            }
            Compile::Error(message) => {
                s.status = 13;
                s.message = Some(message.clone());
                return;
            }
        }
    }
    let Some(run) = &result.run else { return };
    s.stdout = Some(run.stdout.clone());
    s.stderr = Some(run.stderr.clone());
    s.time = Some(run.cpu.as_secs_f64());
    s.wall_time = Some(run.wall.as_secs_f64());
    s.memory = Some(run.memory / 1024);
    s.status = match &run.status {
        None => {
            s.message = run.error.clone();
            13
        }
        Some(ExitStatus::Exited(0)) => {
            s.exit_code = Some(0);
            match &s.expected_output {
                Some(expected) if trim_end(expected) != trim_end(&run.stdout) => 4,
                _ => 3,
            }
        }
        Some(ExitStatus::Exited(code)) => {
            s.exit_code = Some(i64::from(*code));
            s.message = Some(format!("Exited with error status {code}"));
            11
        }
        Some(ExitStatus::Killed(limit)) => {
            s.message = Some(limit.to_string());
            match limit {
                Limit::CpuTime(_) | Limit::WallClock(_) | Limit::Fuel(_) => 5,
                Limit::Stdout(_) | Limit::Stderr(_) => {
                    s.exit_signal = Some(25);
                    8
                }
            }
        }
        Some(ExitStatus::Signaled(signal)) => {
            s.exit_signal = Some(*signal);
            s.message = Some(format!("Exited with signal {signal}"));
            match signal {
                11 => 7,
                25 => 8,
                8 => 9,
                6 => 10,
                _ => 12,
            }
        }
        Some(ExitStatus::Trapped(trap)) => {
            s.message = Some(format!("trapped: {trap}"));
            if trap.contains("out of bounds") || trap.contains("stack") {
                7
            } else if trap.contains("divide by zero") || trap.contains("integer overflow") {
                9
            } else if trap.contains("unreachable") {
                10
            } else {
                12
            }
        }
    };
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |at| at + 1);
    &bytes[..end]
}

/// A submission as Judge0 shows it, with `fields` and encoding applied.
fn render(s: &Submission, params: &Params, everything: bool) -> Value {
    let base64 = params.base64();
    let text = |bytes: &Option<Vec<u8>>| -> Value {
        match bytes {
            None => Value::Null,
            Some(bytes) if base64 => json!(BASE64.encode(bytes)),
            Some(bytes) => json!(String::from_utf8_lossy(bytes)),
        }
    };
    let timestamp = |t: SystemTime| humantime::format_rfc3339_millis(t).to_string();
    let description = STATUSES.iter().find(|(id, _)| *id == s.status).map_or("Unknown", |(_, d)| d);
    let mut all = Map::new();
    all.insert("token".into(), json!(s.token));
    all.insert("source_code".into(), text(&Some(s.source_code.clone())));
    all.insert("language_id".into(), json!(s.language_id));
    all.insert("stdin".into(), text(&Some(s.stdin.clone())));
    all.insert("expected_output".into(), text(&s.expected_output));
    all.insert("stdout".into(), text(&s.stdout));
    all.insert("stderr".into(), text(&s.stderr));
    all.insert("compile_output".into(), text(&s.compile_output));
    all.insert("message".into(), text(&s.message.clone().map(String::into_bytes)));
    all.insert("exit_code".into(), json!(s.exit_code));
    all.insert("exit_signal".into(), json!(s.exit_signal));
    all.insert("status".into(), json!({"id": s.status, "description": description}));
    all.insert("status_id".into(), json!(s.status));
    all.insert("created_at".into(), json!(timestamp(s.created_at)));
    all.insert("finished_at".into(), json!(s.finished_at.map(timestamp)));
    all.insert("time".into(), json!(s.time.map(|t| format!("{t:.3}"))));
    all.insert("wall_time".into(), json!(s.wall_time.map(|t| format!("{t:.3}"))));
    all.insert("memory".into(), json!(s.memory));
    for (key, value) in &s.settings {
        all.insert(key.clone(), value.clone());
    }
    let fields = match params.fields.as_deref() {
        Some("*") => return Value::Object(all),
        Some(fields) => fields.split(',').map(str::trim).map(String::from).collect::<Vec<_>>(),
        None if everything => return Value::Object(all),
        None => ["token", "stdout", "time", "memory", "stderr", "compile_output", "message", "status"]
            .map(String::from)
            .to_vec(),
    };
    Value::Object(fields.iter().filter_map(|f| all.get(f).map(|v| (f.clone(), v.clone()))).collect())
}

impl Submissions {
    /// None kept yet.
    pub fn new(retention: Duration, callback_hosts: Vec<String>) -> Submissions {
        Submissions { kept: Mutex::default(), retention, callback_hosts }
    }

    /// Forgets finished submissions older than the retention time; returns
    /// how many.
    pub fn expire(&self) -> usize {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let before = kept.len();
        kept.retain(|_, s| {
            let s = s.lock().unwrap_or_else(PoisonError::into_inner);
            s.finished.is_none_or(|at| at.elapsed() < self.retention)
        });
        before - kept.len()
    }
}
