//! `capsa worker`: runs the VMs of a cluster. It takes one-shot jobs off
//! the work queue ([`crate::jobs`]), answers the calls front-ends relay to
//! it with a single-process server's own router ([`crate::relay`]), keeps
//! its lease in `capsa-workers`, copies changed persistent sandboxes to the
//! object store, and shares what it compiled.
//!
//! On SIGTERM it drains: it marks itself draining (no new sandboxes are
//! placed on it), stops taking jobs and calls, lets what runs finish (up to
//! [`capsa_server::DRAIN`]), saves every persistent sandbox to the cluster
//! and gives up its lease, so the next call to one of its sandboxes
//! restores it elsewhere.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::Request;
use capsa_server::{App, Relayed, ServerConfig, TokenSource};
use futures_util::StreamExt;
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::jobs;
use crate::nats::{Cluster, ClusterError, HEARTBEAT, WorkerInfo, new_id, now_secs, place_key, worker_subject};
use crate::relay::{Answer, Head, PROBE, Restore, head_in};
use crate::sync::{self, Pushed, sandbox_object, snapshot_object};

/// How a worker is set up.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    pub nats: String,
    /// VM calls and one-shot runs it takes at once.
    pub capacity: usize,
    /// Its server's setup: data dir (each start takes a fresh
    /// `workers/<id>` under it), mounts, module cache, retention.
    pub server: ServerConfig,
}

/// A worker, connected and ready to run.
#[derive(Debug)]
pub struct Worker {
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    id: String,
    capacity: usize,
    started: u64,
    cluster: Cluster,
    app: Arc<App>,
    data_dir: PathBuf,
    blobs: Pushed,
    modules: Pushed,
    /// The image digest last pushed, by sandbox.
    pushed_images: Mutex<HashMap<String, [u8; 32]>>,
    running: AtomicUsize,
    calls: AtomicU64,
    jobs: Arc<AtomicU64>,
    draining: AtomicBool,
}

/// Counts a call as running while held.
struct Running(Arc<State>);

impl Running {
    fn new(state: &Arc<State>) -> Running {
        state.running.fetch_add(1, Ordering::SeqCst);
        Running(state.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Worker {
    /// Opens the worker's own server (no HTTP listener: its calls come over
    /// NATS), connects, and fetches the compiled modules the cluster has.
    ///
    /// # Errors
    /// NATS, or the server's data dir or runtime.
    pub async fn start(config: WorkerConfig) -> Result<Worker, ClusterError> {
        let id = new_id("w")?;
        let data_dir = config.server.data_dir.join("workers").join(&id);
        let mut server = config.server.clone();
        server.data_dir = data_dir.clone();
        // Tenants are checked by the front-end; a worker serves no HTTP.
        server.tokens = TokenSource::None;
        server.max_running = config.capacity.max(1);
        let cluster = Cluster::connect(&config.nats, server.submission_retention).await?;
        let app = App::open(&server)?;
        let cache = app.registry().runtime().cache_dir().to_path_buf();
        match sync::pull_modules(&cluster, &cache).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("fetched {n} compiled modules from the cluster"),
            Err(err) => tracing::warn!("fetching compiled modules: {err}"),
        }
        let state = State {
            id,
            capacity: config.capacity.max(1),
            started: now_secs(),
            cluster,
            app,
            data_dir,
            blobs: Pushed::default(),
            modules: Pushed::default(),
            pushed_images: Mutex::default(),
            running: AtomicUsize::new(0),
            calls: AtomicU64::new(0),
            jobs: Arc::new(AtomicU64::new(0)),
            draining: AtomicBool::new(false),
        };
        Ok(Worker { state: Arc::new(state) })
    }

    /// Its id in the cluster.
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// Works until `shutdown` completes, then drains (see the module doc).
    ///
    /// # Errors
    /// NATS refused the worker's subscription or consumer.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ClusterError> {
        let state = self.state;
        heartbeat(&state).await;
        let mut calls = state
            .cluster
            .client
            .subscribe(worker_subject(&state.id))
            .await
            .map_err(|err| ClusterError::nats("subscribing to calls", err))?;
        let (stop, stopping) = watch::channel(false);
        let consumer = tokio::spawn(jobs::consume(
            state.cluster.clone(),
            state.app.clone(),
            state.capacity,
            state.jobs.clone(),
            stopping.clone(),
        ));
        let reaper = tokio::spawn(capsa_server::reap(state.app.clone()));
        let beating = tokio::spawn(beat(state.clone()));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                message = calls.next() => {
                    let Some(message) = message else { break };
                    let running = Running::new(&state);
                    tokio::spawn(async move { serve(running, message).await });
                }
                _ = &mut shutdown => break,
            }
        }
        // Draining: no new calls or jobs, and front-ends place nothing here.
        state.draining.store(true, Ordering::SeqCst);
        heartbeat(&state).await;
        let _ = calls.unsubscribe().await;
        let _ = stop.send(true);
        let _ = tokio::time::timeout(capsa_server::DRAIN, consumer).await;
        let waited = tokio::time::timeout(capsa_server::DRAIN, async {
            while state.running.load(Ordering::SeqCst) > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        if waited.is_err() {
            tracing::warn!("calls still running after {:?}: stopping anyway", capsa_server::DRAIN);
        }
        beating.abort();
        reaper.abort();
        let saver = state.app.clone();
        let _ = tokio::task::spawn_blocking(move || saver.registry().save_all()).await;
        for sandbox in state.app.registry().all() {
            if let Err(err) = push_sandbox(&state, &sandbox.id).await {
                tracing::warn!("handing back sandbox {}: {err}", sandbox.id);
            }
        }
        let _ = state.cluster.workers.delete(&state.id).await;
        let _ = std::fs::remove_dir_all(&state.data_dir);
        Ok(())
    }
}

/// Renews the lease.
async fn heartbeat(state: &State) {
    let info = WorkerInfo {
        id: state.id.clone(),
        capacity: state.capacity,
        sandboxes: state.app.registry().all().len(),
        running: state.running.load(Ordering::SeqCst),
        calls: state.calls.load(Ordering::Relaxed),
        jobs: state.jobs.load(Ordering::Relaxed),
        started: state.started,
        version: env!("CARGO_PKG_VERSION").into(),
        draining: state.draining.load(Ordering::SeqCst),
    };
    match serde_json::to_vec(&info) {
        Ok(bytes) => {
            if let Err(err) = state.cluster.workers.put(&state.id, bytes.into()).await {
                tracing::warn!("renewing the lease: {err}");
            }
        }
        Err(err) => tracing::warn!("the heartbeat: {err}"),
    }
}

/// The lease every [`HEARTBEAT`]; now and then, the upkeep that is not on
/// any call's path: sandboxes changed by background work, compiled modules,
/// and copies held here of sandboxes that moved on.
async fn beat(state: Arc<State>) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    let mut count: u64 = 0;
    loop {
        tick.tick().await;
        heartbeat(&state).await;
        count += 1;
        if count.is_multiple_of(2) {
            for sandbox in state.app.registry().all() {
                if sandbox.spec.persistent
                    && sandbox.running.load(Ordering::SeqCst) == 0
                    && let Err(err) = push_sandbox(&state, &sandbox.id).await
                {
                    tracing::warn!("saving sandbox {} to the cluster: {err}", sandbox.id);
                }
            }
        }
        if count.is_multiple_of(10) {
            let cache = state.app.registry().runtime().cache_dir().to_path_buf();
            if let Err(err) = sync::push_modules(&state.cluster, &cache, &state.modules).await {
                tracing::warn!("sharing compiled modules: {err}");
            }
            release_moved(&state).await;
        }
    }
}

/// Lets go of sandboxes another worker took over (after this one lost its
/// lease for a while), so two copies never both take calls.
async fn release_moved(state: &State) {
    for sandbox in state.app.registry().all() {
        let key = place_key(&sandbox.tenant, &sandbox.id);
        if let Ok(Some((_, place))) = state.cluster.placement(&key).await
            && place.worker != state.id
        {
            tracing::info!("sandbox {} moved to {}: releasing it here", sandbox.id, place.worker);
            state.app.registry().release(&sandbox.id);
        }
    }
}

/// Copies persistent sandbox `id` to the cluster if its saved image
/// changed since the last copy.
async fn push_sandbox(state: &State, id: &str) -> Result<(), ClusterError> {
    let Some(sandbox) = state.app.registry().all().into_iter().find(|sb| sb.id == id) else { return Ok(()) };
    if !sandbox.spec.persistent {
        return Ok(());
    }
    let tenant = sandbox.tenant.clone();
    let app = state.app.clone();
    let exported = tokio::task::spawn_blocking(move || app.registry().export(&sandbox))
        .await
        .map_err(|err| ClusterError::nats(id, err))?
        .map_err(|err| ClusterError::nats(id, err.message))?;
    let Some(exported) = exported else { return Ok(()) };
    let digest: [u8; 32] = Sha256::new().chain_update(&exported.record).chain_update(&exported.image).finalize().into();
    if state.pushed_images.lock().unwrap_or_else(PoisonError::into_inner).get(id) == Some(&digest) {
        return Ok(());
    }
    // Fenced: a copy held here after the sandbox moved on (this worker lost
    // its lease for a while) must not overwrite the new holder's saves.
    let key = place_key(&tenant, id);
    if let Some((_, place)) = state.cluster.placement(&key).await?
        && place.worker != state.id
    {
        state.app.registry().release(id);
        return Err(ClusterError::nats(id, format!("moved to worker {}: this copy is released", place.worker)));
    }
    sync::push(&state.cluster, &state.app, &state.blobs, &sandbox_object(id), &exported).await?;
    state.pushed_images.lock().unwrap_or_else(PoisonError::into_inner).insert(id.to_string(), digest);
    Ok(())
}

/// Copies snapshot `id` to the cluster.
async fn push_snapshot(state: &State, tenant: &str, id: &str) -> Result<(), ClusterError> {
    let exported =
        state.app.registry().export_snapshot(tenant, id).map_err(|err| ClusterError::nats(id, err.message))?;
    sync::push(&state.cluster, &state.app, &state.blobs, &snapshot_object(id), &exported).await
}

/// Takes in what a relayed call needs restored first; nothing if the
/// cluster holds nothing under that name for this tenant (the call then
/// answers 404 as it would anyway).
async fn restore(state: &State, head: &Head) -> Result<(), ClusterError> {
    #[derive(serde::Deserialize)]
    struct Owner {
        tenant: String,
    }
    let owned_by_caller =
        |record: &[u8]| serde_json::from_slice::<Owner>(record).is_ok_and(|owner| owner.tenant == head.tenant.name);
    match &head.restore {
        None => Ok(()),
        Some(Restore::Sandbox(id)) => {
            // Already here (another front-end moved it here first).
            if state.app.registry().get(&head.tenant.name, id).is_ok() {
                return Ok(());
            }
            let Some(exported) = sync::pull(&state.cluster, &state.app, &sandbox_object(id)).await? else {
                return Ok(());
            };
            if !owned_by_caller(&exported.record) {
                return Ok(());
            }
            let app = state.app.clone();
            tokio::task::spawn_blocking(move || app.registry().adopt(&exported).map(drop))
                .await
                .map_err(|err| ClusterError::nats(id, err))?
                .map_err(|err| ClusterError::nats(id, err.message))?;
            Ok(())
        }
        Some(Restore::Snapshot(id)) => {
            if state.app.registry().snapshot_record(&head.tenant.name, id).is_ok() {
                return Ok(());
            }
            let Some(exported) = sync::pull(&state.cluster, &state.app, &snapshot_object(id)).await? else {
                return Ok(());
            };
            if owned_by_caller(&exported.record) {
                state.app.registry().adopt_snapshot(&exported).map_err(|err| ClusterError::nats(id, err.message))?;
            }
            Ok(())
        }
    }
}

/// Headers that describe one hop, not the answer.
const HOP: &[&str] = &["content-length", "transfer-encoding", "connection", "keep-alive"];

/// Answers one relayed call.
async fn serve(running: Running, message: async_nats::Message) {
    let state = running.0.clone();
    let Some(reply) = message.reply.clone() else { return };
    if message.headers.as_ref().is_some_and(|h| h.get(PROBE).is_some()) {
        let _ = state.cluster.client.publish(reply, Bytes::new()).await;
        return;
    }
    let answer = Answer::new(state.cluster.client.clone(), reply);
    let Some(head) = head_in(&message) else {
        let _ = answer.error("a relayed call without a readable head").await;
        return;
    };
    if let Err(err) = restore(&state, &head).await {
        let _ = answer.error(&format!("restoring from the cluster: {err}")).await;
        return;
    }
    if message.headers.as_ref().is_some_and(|h| h.get(crate::shell::SHELL).is_some()) {
        crate::shell::serve(&state.cluster, &state.app, &head, answer).await;
        return;
    }
    let mut request = Request::builder().method(head.method.as_str()).uri(head.uri.as_str());
    for (name, value) in &head.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let mut request = match request.body(Body::from(message.payload.clone())) {
        Ok(request) => request,
        Err(err) => {
            let _ = answer.error(&format!("a relayed call that is not HTTP: {err}")).await;
            return;
        }
    };
    request.extensions_mut().insert(Relayed(head.tenant.clone()));
    let Ok(response) = state.app.router().oneshot(request).await;
    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !HOP.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    if answer.head(status, &headers).await.is_err() {
        return;
    }
    let mut body = response.into_body();
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            let _ = answer.error("the answer's body failed").await;
            return;
        };
        if let Ok(data) = frame.into_data() {
            if kept.len() < 64 << 10 {
                kept.extend_from_slice(&data[..data.len().min((64 << 10) - kept.len())]);
            }
            if answer.data(&data).await.is_err() {
                return;
            }
        }
    }
    // What the call changed reaches the cluster before the call is over.
    if let Err(err) = save_after(&state, &head, status, &kept).await {
        let _ = answer.error(&format!("the change could not be saved to the cluster: {err}")).await;
        return;
    }
    state.calls.fetch_add(1, Ordering::Relaxed);
    let _ = answer.end().await;
    drop(running);
}

/// Copies what a call may have changed: the sandbox it addressed (a write
/// to a persistent one), a sandbox it created, a snapshot it took.
async fn save_after(
    state: &State,
    head: &Head,
    status: axum::http::StatusCode,
    body: &[u8],
) -> Result<(), ClusterError> {
    if head.method == "GET" || head.method == "HEAD" {
        return Ok(());
    }
    let path = head.uri.split('?').next().unwrap_or("");
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let created_id = || {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(String::from))
    };
    match segments.as_slice() {
        ["v1", "sandboxes"] if status.is_success() => match created_id() {
            Some(id) => push_sandbox(state, &id).await,
            None => Ok(()),
        },
        ["v1", "sandboxes", _, "snapshots"] if status.is_success() => match created_id() {
            Some(id) => push_snapshot(state, &head.tenant.name, &id).await,
            None => Ok(()),
        },
        ["v1", "sandboxes", id, ..] => push_sandbox(state, id).await,
        _ => Ok(()),
    }
}
