//! `capsa serve`: sandboxes a program drives over HTTP.
//!
//! A sandbox is a [`capsa_session::Session`] — one long-lived VM — owned by
//! a tenant. The API (`/v1`, JSON; see [`openapi`] for the schema) creates
//! and deletes sandboxes, runs shell commands in them (answered whole, or
//! streamed as server-sent events), moves files in and out, and takes
//! snapshots that new sandboxes start from. A persistent sandbox's files
//! are on disk after every call that changed them ([`registry`]).
//!
//! The HTTP side is async (axum on tokio); every VM call runs on tokio's
//! blocking pool behind a bounded queue ([`App::blocking`]), so a guest
//! never blocks the executor, and a request past the queue's bound gets
//! `429` with `Retry-After`.
//! The interactive shell is a WebSocket (its protocol: `src/shell.rs`).
//!
//! Two seams let a cluster (the `capsa-cluster` crate) put this server's
//! work on other machines without a second copy of the API: one-shot runs
//! go through [`Jobs`] (here by default), and a request relayed from a
//! cluster front-end carries its already-checked tenant as a [`Relayed`]
//! request extension, which HTTP cannot forge.

#![forbid(unsafe_code)]

pub mod auth;
pub mod error;
mod exec;
mod files;
pub mod judge0;
pub mod mcp;
pub mod metrics;
pub mod oneshot;
pub mod openapi;
mod piston;
mod processes;
mod python;
pub mod registry;
mod routes;
pub mod shell;
pub mod spec;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use capsa_runtime::Runtime;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use auth::{Quotas, Tenant, TokenSource};
pub use error::ApiError;
pub use spec::{NamedMount, Spec};

use auth::Tenants;
use metrics::Metrics;
use registry::Registry;

/// How a server is set up.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (default `127.0.0.1:8420`).
    pub listen: SocketAddr,
    /// Where persistent sandboxes, snapshots and a generated token live.
    pub data_dir: PathBuf,
    /// Where the tokens come from.
    pub tokens: TokenSource,
    /// Host directories sandboxes may ask for by name.
    pub mounts: Vec<NamedMount>,
    /// The largest request body, in bytes (default 64 MiB).
    pub max_body: usize,
    /// VM calls running at once (default: 8 per core).
    pub max_running: usize,
    /// VM calls waiting for a slot before `429` (default 1024).
    pub max_queued: usize,
    /// The compiled-module cache (default: the runtime's).
    pub cache_dir: Option<PathBuf>,
    /// Requests without credentials act as tenant `anonymous` (for
    /// Piston's clients, which send none); off by default.
    pub allow_anonymous: bool,
    /// How long a finished Judge0 submission is kept (default 1 hour).
    pub submission_retention: Duration,
    /// Hosts a Judge0 `callback_url` may name (default none: no callbacks).
    pub callback_hosts: Vec<String>,
}

impl ServerConfig {
    /// The defaults, with `data_dir` and `tokens`.
    pub fn new(data_dir: PathBuf, tokens: TokenSource) -> ServerConfig {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8420)),
            data_dir,
            tokens,
            mounts: Vec::new(),
            max_body: 64 << 20,
            max_running: 8 * cores,
            max_queued: 1024,
            cache_dir: None,
            allow_anonymous: false,
            submission_retention: Duration::from_secs(3600),
            callback_hosts: Vec::new(),
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data dir or the tokens.
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
    /// The data dir's sandboxes or snapshots.
    #[error(transparent)]
    Registry(#[from] registry::RegistryError),
    /// The runtime (engine, module cache).
    #[error(transparent)]
    Runtime(#[from] capsa_runtime::RuntimeError),
    /// The listening socket, or the data dir.
    #[error("{what}: {source}")]
    Io {
        /// What failed.
        what: String,
        /// What the host said.
        source: std::io::Error,
    },
}

/// How long a stopping server waits for the calls in flight.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The state every handler shares.
#[derive(Debug)]
pub struct App {
    tenants: Tenants,
    anonymous: Option<Tenant>,
    registry: Registry,
    metrics: Metrics,
    judge0: judge0::Submissions,
    mcp: mcp::Sessions,
    max_body: usize,
    running: Semaphore,
    queued: AtomicUsize,
    max_queued: usize,
    tenant_running: Mutex<HashMap<String, Arc<AtomicUsize>>>,
    jobs: OnceLock<Arc<dyn Jobs>>,
}

/// What a one-shot run came to: the job's result, or why it could not be
/// used (its files); the outer error is the service's (quota, queue, a
/// cluster that lost it).
pub type JobOutcome = Result<Result<oneshot::JobResult, String>, ApiError>;

/// A future a [`Jobs`] returns.
pub type JobFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Where one-shot runs (Piston, Judge0, MCP's `run_code`) run, and where
/// what outlives a request about them (a Judge0 submission) is kept: on
/// this server unless a cluster installs its own ([`App::set_jobs`]).
pub trait Jobs: Send + Sync + std::fmt::Debug {
    /// Queues `job` for `tenant` under the id `id`; once this resolves the
    /// job will run even if this server goes away. Resolves to what waits
    /// for its result.
    fn start(
        &self,
        app: Arc<App>,
        tenant: Tenant,
        job: oneshot::Job,
        id: String,
    ) -> JobFuture<Result<JobFuture<JobOutcome>, ApiError>>;

    /// How job `id` went, if it has finished (asked by whoever did not
    /// wait for it: a front-end restarted meanwhile).
    fn finished(&self, id: String) -> JobFuture<Option<JobOutcome>>;

    /// Keeps `bytes` under `name` for the server's retention time.
    fn keep(&self, name: String, bytes: Vec<u8>) -> JobFuture<()>;

    /// What was kept under `name`, if anything.
    fn kept(&self, name: String) -> JobFuture<Option<Vec<u8>>>;
}

/// A request's tenant, as checked by the cluster front-end that relayed it
/// (see the crate doc): a request extension, never a header.
#[derive(Debug, Clone)]
pub struct Relayed(pub Tenant);

/// A bound server, ready to run.
#[derive(Debug)]
pub struct Server {
    app: Arc<App>,
    listener: TcpListener,
    /// Where a generated token was written, if one was.
    pub generated_token: Option<PathBuf>,
}

impl Server {
    /// Opens the data dir, loads the tenants and binds the socket.
    ///
    /// # Errors
    /// See [`ServerError`].
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        let app = App::open(&config)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Io { what: format!("listening on {}", config.listen), source })?;
        let generated_token = app.tenants.generated.clone();
        Ok(Server { app, listener, generated_token })
    }

    /// The address it listens on.
    ///
    /// # Errors
    /// The socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops taking connections,
    /// lets the calls in flight finish (their saves included) for up to
    /// [`DRAIN`], and saves every persistent sandbox as it is then, so that
    /// what background processes and shell lines changed so far is kept.
    ///
    /// # Errors
    /// The listener failed.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        self.run_with(|router| router, shutdown).await
    }

    /// The app its handlers share.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// [`Server::run`] with the router passed through `wrap` first (a
    /// cluster front-end puts its relays in front of it).
    ///
    /// # Errors
    /// The listener failed.
    pub async fn run_with(
        self,
        wrap: impl FnOnce(axum::Router) -> axum::Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let reaper = tokio::spawn(reap(self.app.clone()));
        let router = wrap(routes::router(self.app.clone()));
        let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            let _ = stopping.send(());
        };
        let served = axum::serve(self.listener, router).with_graceful_shutdown(signal);
        // Open WebSockets and streams do not hold the server past DRAIN.
        let mut served = tokio::spawn(async move { served.await });
        let finished = tokio::select! {
            finished = &mut served => Some(finished),
            _ = stopped => tokio::time::timeout(DRAIN, &mut served).await.ok(),
        };
        let result = match finished {
            Some(Ok(result)) => result.map_err(|source| ServerError::Io { what: "serving".into(), source }),
            // Drained past DRAIN, or the serving task failed: stop anyway.
            Some(Err(_)) | None => Ok(()),
        };
        reaper.abort();
        let app = self.app.clone();
        let _ = tokio::task::spawn_blocking(move || app.registry.save_all()).await;
        result
    }
}

/// Pauses idle sandboxes and deletes expired ones, once a second, for ever
/// (a server runs it; a cluster worker too).
pub async fn reap(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let worker = app.clone();
        if let Ok((paused, deleted)) = tokio::task::spawn_blocking(move || worker.registry.reap()).await {
            app.metrics.reaped(paused, deleted);
        }
        app.judge0.expire();
    }
}

impl App {
    /// Opens the data dir, loads the tenants and the runtime: everything
    /// but the socket (`capsa mcp` over stdio needs no socket).
    ///
    /// # Errors
    /// See [`ServerError`].
    pub fn open(config: &ServerConfig) -> Result<Arc<App>, ServerError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| ServerError::Io { what: config.data_dir.display().to_string(), source })?;
        let tenants = Tenants::load(&config.tokens, &config.data_dir)?;
        let options = capsa_runtime::RuntimeOptions { cache_dir: config.cache_dir.clone(), ..Default::default() };
        let runtime = Arc::new(Runtime::new(options)?);
        let registry = Registry::open(&config.data_dir, runtime, config.mounts.clone())?;
        let anonymous = config.allow_anonymous.then(|| Tenant { name: "anonymous".into(), quotas: Quotas::default() });
        Ok(Arc::new(App {
            tenants,
            anonymous,
            registry,
            metrics: Metrics::default(),
            judge0: judge0::Submissions::new(config.submission_retention, config.callback_hosts.clone()),
            mcp: mcp::Sessions::default(),
            max_body: config.max_body,
            running: Semaphore::new(config.max_running.max(1)),
            queued: AtomicUsize::new(0),
            max_queued: config.max_queued,
            tenant_running: Mutex::default(),
            jobs: OnceLock::new(),
        }))
    }

    /// Sends this server's one-shot runs to `jobs` from now on (once; a
    /// second call is ignored).
    pub fn set_jobs(&self, jobs: Arc<dyn Jobs>) {
        let _ = self.jobs.set(jobs);
    }

    /// Runs a one-shot job where this server's [`Jobs`] say, under the id
    /// `id` (fresh for each job).
    ///
    /// # Errors
    /// See [`JobOutcome`].
    pub async fn run_job(self: &Arc<Self>, tenant: &Tenant, job: oneshot::Job, id: String) -> JobOutcome {
        self.start_job(tenant, job, id).await?.await
    }

    /// Queues a one-shot job where this server's [`Jobs`] say and returns
    /// what waits for it: once this returns, the job runs even if the
    /// caller goes away (on a cluster, even if this server does).
    ///
    /// # Errors
    /// The job could not be queued.
    pub async fn start_job(
        self: &Arc<Self>,
        tenant: &Tenant,
        job: oneshot::Job,
        id: String,
    ) -> Result<JobFuture<JobOutcome>, ApiError> {
        match self.jobs.get() {
            Some(jobs) => jobs.start(self.clone(), tenant.clone(), job, id).await,
            None => {
                let (app, tenant) = (self.clone(), tenant.clone());
                // Here the job runs on its own task: it goes on without a waiter.
                let running = tokio::spawn(async move { app.run_job_here(&tenant, job).await });
                Ok(Box::pin(async move {
                    running.await.unwrap_or_else(|err| Err(ApiError::internal(format!("the job failed: {err}"))))
                }))
            }
        }
    }

    /// The [`Jobs`] a cluster installed, if any.
    pub fn jobs(&self) -> Option<&Arc<dyn Jobs>> {
        self.jobs.get()
    }

    /// Runs a one-shot job on this server's blocking pool.
    ///
    /// # Errors
    /// See [`JobOutcome`].
    pub async fn run_job_here(self: &Arc<Self>, tenant: &Tenant, job: oneshot::Job) -> JobOutcome {
        self.blocking(tenant, move |app| Ok(oneshot::run(app.registry.runtime(), &job))).await
    }

    /// The sandboxes and snapshots.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The counters `/metrics` shows.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Every route of the API, on this app.
    pub fn router(self: &Arc<Self>) -> axum::Router {
        routes::router(self.clone())
    }

    /// Runs `work` (VM work: blocking) on the blocking pool once a slot is
    /// free, counted against `tenant`'s concurrent calls.
    ///
    /// # Errors
    /// `429` when the tenant is at its quota or the queue is full;
    /// whatever `work` returns.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        tenant: &Tenant,
        work: impl FnOnce(&App) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let counter = {
            let mut running = self.tenant_running.lock().unwrap_or_else(PoisonError::into_inner);
            running.entry(tenant.name.clone()).or_default().clone()
        };
        if counter.fetch_add(1, Ordering::SeqCst) >= tenant.quotas.concurrent_execs {
            counter.fetch_sub(1, Ordering::SeqCst);
            let limit = tenant.quotas.concurrent_execs;
            return Err(ApiError::too_many(format!("tenant quota: {limit} calls at once"), 1));
        }
        let _tenant_slot = CountGuard(counter);
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.max_queued {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            self.metrics.rejected();
            return Err(ApiError::too_many("the server's queue is full", 1));
        }
        let permit = self.running.acquire().await;
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let _permit =
            permit.map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "shutting down"))?;
        let app = self.clone();
        tokio::task::spawn_blocking(move || work(&app))
            .await
            .map_err(|err| ApiError::internal(format!("the call failed: {err}")))?
    }

    /// VM calls waiting for a slot.
    pub fn queue_depth(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }
}

/// Decrements a counter when dropped.
struct CountGuard(Arc<AtomicUsize>);

impl Drop for CountGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The calling tenant, from `Authorization: Bearer TOKEN`.
#[derive(Debug, Clone)]
pub struct Caller(pub Tenant);

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        if let Some(Relayed(tenant)) = parts.extensions.get::<Relayed>() {
            return Ok(Caller(tenant.clone()));
        }
        let unauthorized = || {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid `Authorization: Bearer TOKEN` is required")
        };
        // Judge0's clients send their token as `X-Auth-Token`.
        let judge0 = parts.headers.get("x-auth-token").and_then(|v| v.to_str().ok());
        let token = match (parts.headers.get(header::AUTHORIZATION), judge0) {
            (Some(value), _) => value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(unauthorized)?,
            (None, Some(token)) => token,
            (None, None) => return app.anonymous.clone().map(Caller).ok_or_else(unauthorized),
        };
        app.tenants.find(token.trim()).cloned().map(Caller).ok_or_else(unauthorized)
    }
}

/// A JSON body parsed strictly (unknown fields refused), with our errors.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<App>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let RawBody(bytes) = RawBody::from_request(req, app).await?;
        let bytes = if bytes.is_empty() { Bytes::from_static(b"{}") } else { bytes };
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|err| ApiError::bad_request(format!("the body is not the JSON expected: {err}")))
    }
}

/// A raw body, at most the server's body cap.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl FromRequest<Arc<App>> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let limit = app.max_body;
        let body = req.into_body();
        match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(err) => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {limit} bytes, or was cut off: {err}"),
            )),
        }
    }
}
