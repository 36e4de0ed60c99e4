//! `capsa serve --nats URL`: the HTTP API as a stateless front-end.
//!
//! One-shot runs (Piston, Judge0, `run_code`) take the work queue through
//! the server's [`capsa_server::Jobs`] seam. Sandbox calls are relayed to
//! the worker that holds the sandbox; a new one goes to the least loaded
//! worker; one whose worker lost its lease is restored on another if it is
//! persistent (a non-persistent sandbox dies with its worker: `410`).
//! Snapshots are read from the object store. MCP sessions stick to the
//! worker that began them. Everything a front-end knows is in NATS: any
//! front-end answers any call, and one restarting loses nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use capsa_server::{ApiError, App, Caller, Tenant};
use serde_json::{Value, json};

use crate::jobs::ClusterJobs;
use crate::nats::{Cluster, ClusterError, Placement, WorkerInfo, now_secs, place_key, tenant_key};
use crate::relay::{self, Head, Restore};
use crate::sync::{sandbox_object, snapshot_object};

/// A front-end: the cluster, and the app whose tenants and catalogs it
/// serves.
#[derive(Debug, Clone)]
pub struct Frontend {
    cluster: Cluster,
    app: Arc<App>,
    /// Placements read before, by key, with their revision: a stale one
    /// shows as a worker that does not answer or does not hold the
    /// sandbox, and is then read again.
    places: Arc<Mutex<HashMap<String, (u64, Placement)>>>,
}

impl Frontend {
    /// Connects `app` to the cluster at `url`: from now on its one-shot
    /// runs take the work queue.
    ///
    /// # Errors
    /// NATS cannot be reached or set up.
    pub async fn connect(url: &str, app: Arc<App>, retention: std::time::Duration) -> Result<Frontend, ClusterError> {
        let cluster = Cluster::connect(url, retention).await?.following_workers().await?;
        app.set_jobs(Arc::new(ClusterJobs { cluster: cluster.clone() }));
        Ok(Frontend { cluster, app, places: Arc::default() })
    }

    /// The placement under `key`, remembered or read.
    async fn placement(&self, key: &str) -> Result<Option<(u64, Placement)>, ApiError> {
        if let Some(known) = self.places.lock().unwrap_or_else(PoisonError::into_inner).get(key) {
            return Ok(Some(known.clone()));
        }
        let read = self.cluster.placement(key).await.map_err(cluster_err)?;
        if let Some(read) = &read {
            self.places.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_string(), read.clone());
        }
        Ok(read)
    }

    fn forget(&self, key: &str) {
        self.places.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
    }

    /// `router` (the single-process API) with the cluster's routes in front.
    pub fn wrap(&self, router: Router) -> Router {
        Router::new()
            .route("/v1/health", get(health))
            .route("/v1/sandboxes", get(list).post(create))
            .route("/v1/sandboxes/{id}", any(to_owner))
            .route("/v1/sandboxes/{id}/{*rest}", any(to_owner))
            .route("/v1/snapshots", get(list_snapshots))
            .route("/v1/snapshots/{id}", get(show_snapshot).delete(delete_snapshot))
            .route("/mcp", any(mcp))
            .with_state(self.clone())
            .fallback_service(router)
    }
}

fn unavailable(message: impl Into<String>) -> ApiError {
    let mut err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable", message);
    err.retry_after = Some(1);
    err
}

fn cluster_err(err: ClusterError) -> ApiError {
    unavailable(err.to_string())
}

/// The caller, and the request's head and body (bounded by what NATS
/// carries).
async fn accept(front: &Frontend, request: Request) -> Result<(Tenant, axum::http::request::Parts, Bytes), ApiError> {
    let (mut parts, body) = request.into_parts();
    let Caller(tenant) = Caller::from_request_parts(&mut parts, &front.app).await?;
    let limit = front.cluster.max_payload();
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("through a cluster a request body is at most {limit} bytes (NATS max_payload)"),
        )
    })?;
    Ok((tenant, parts, body))
}

/// The worker with the most room for one more sandbox, counting `places`
/// (every placement: current at once, where heartbeats lag a second).
async fn choose(cluster: &Cluster, places: &[(String, u64, Placement)]) -> Result<WorkerInfo, ApiError> {
    let workers = cluster.workers().await.map_err(cluster_err)?;
    let placed = |w: &WorkerInfo| places.iter().filter(|(_, _, p)| p.worker == w.id).count();
    workers
        .into_iter()
        .filter(|w| !w.draining)
        .min_by(|a, b| {
            let load = |w: &WorkerInfo| (placed(w).max(w.sandboxes) as f64 + 1.0) / w.capacity.max(1) as f64;
            load(a).total_cmp(&load(b)).then(a.running.cmp(&b.running))
        })
        .ok_or_else(|| unavailable("no worker is up"))
}

async fn health(State(front): State<Frontend>) -> Response {
    match front.cluster.workers().await {
        Ok(workers) => {
            let status = if workers.iter().any(|w| !w.draining) { "ok" } else { "no_workers" };
            axum::Json(json!({
                "status": status,
                "version": env!("CARGO_PKG_VERSION"),
                "cluster": { "workers": workers },
            }))
            .into_response()
        }
        Err(err) => cluster_err(err).into_response(),
    }
}

async fn create(State(front): State<Frontend>, request: Request) -> Result<Response, ApiError> {
    let (tenant, parts, body) = accept(&front, request).await?;
    let cluster = &front.cluster;
    // One read of the placements serves the quota and the choice of worker.
    let places = cluster.placements().await.map_err(cluster_err)?;
    let prefix = format!("{}.", tenant_key(&tenant.name));
    let mine = places.iter().filter(|(k, ..)| k.starts_with(&prefix)).count();
    if mine >= tenant.quotas.sandboxes {
        return Err(ApiError::too_many(format!("tenant quota: {} sandboxes", tenant.quotas.sandboxes), 5));
    }
    let spec: Value = if body.is_empty() { json!({}) } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    let restore = spec.get("from_snapshot").and_then(Value::as_str).map(|id| Restore::Snapshot(id.to_string()));
    let worker = choose(cluster, &places).await?;
    let head = relay::head_of(&parts, &tenant, restore);
    let (status, headers, answer) = relay::call_whole(cluster, &worker.id, &head, body).await?;
    if status == StatusCode::CREATED {
        let made: Value = serde_json::from_slice(&answer).map_err(|err| ApiError::internal(err.to_string()))?;
        let id = made.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        let place = Placement {
            id: id.clone(),
            tenant: tenant.name.clone(),
            worker: worker.id.clone(),
            persistent: made.get("persistent").and_then(Value::as_bool).unwrap_or(false),
            created: now_secs(),
        };
        let value = serde_json::to_vec(&place).map_err(|err| ApiError::internal(err.to_string()))?;
        cluster.places.put(place_key(&tenant.name, &id), value.into()).await.map_err(|e| unavailable(e.to_string()))?;
    }
    let mut response = whole(status, headers, answer);
    name_worker(&mut response, &worker.id);
    Ok(response)
}

fn whole(status: StatusCode, headers: Vec<(String, String)>, body: Bytes) -> Response {
    relay::response(status, headers, body.into())
}

/// Every sandbox of the caller, as each worker shows it; a persistent one
/// whose worker is gone shows as paused.
async fn list(State(front): State<Frontend>, request: Request) -> Result<Response, ApiError> {
    let (tenant, parts, _) = accept(&front, request).await?;
    let cluster = &front.cluster;
    let prefix = format!("{}.", tenant_key(&tenant.name));
    let places: Vec<Placement> = cluster
        .placements()
        .await
        .map_err(cluster_err)?
        .into_iter()
        .filter(|(k, ..)| k.starts_with(&prefix))
        .map(|(_, _, p)| p)
        .collect();
    let workers = cluster.workers().await.map_err(cluster_err)?;
    let mut shown = Vec::new();
    for worker in &workers {
        let head = relay::head_of(&parts, &tenant, None);
        let Ok((StatusCode::OK, _, body)) = relay::call_whole(cluster, &worker.id, &head, Bytes::new()).await else {
            continue;
        };
        let listed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        for sandbox in listed.get("sandboxes").and_then(Value::as_array).into_iter().flatten() {
            let id = sandbox.get("id").and_then(Value::as_str).unwrap_or_default();
            if places.iter().any(|p| p.id == id && p.worker == worker.id) {
                shown.push(sandbox.clone());
            }
        }
    }
    for place in &places {
        let alive = workers.iter().any(|w| w.id == place.worker);
        if !alive && place.persistent {
            shown.push(json!({"id": place.id, "state": "paused", "persistent": true, "created": place.created}));
        }
    }
    Ok(axum::Json(json!({ "sandboxes": shown })).into_response())
}

/// A call to one sandbox, relayed to its worker — or, if that worker is
/// gone, to another that restores it first.
async fn to_owner(State(front): State<Frontend>, request: Request) -> Result<Response, ApiError> {
    let (tenant, mut parts, body) = accept(&front, request).await?;
    let path = parts.uri.path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let id = segments.get(2).copied().unwrap_or_default().to_string();
    if segments.get(3) == Some(&"shell") && segments.len() == 4 {
        let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &()).await.map_err(|err| {
            ApiError::new(
                StatusCode::UPGRADE_REQUIRED,
                "upgrade_required",
                format!("a WebSocket is needed here: {err}"),
            )
        })?;
        let key = place_key(&tenant.name, &id);
        let (worker, restore) = owner(&front, &key, &id).await?;
        let head = relay::head_of(&parts, &tenant, restore);
        return crate::shell::open(&front.cluster, &worker, &head, upgrade).await;
    }
    if segments.get(3) == Some(&"snapshots") && parts.method == Method::GET {
        let mine: Vec<Value> = snapshots_of(&front.cluster, &tenant)
            .await?
            .into_iter()
            .filter(|s| s.get("sandbox").and_then(Value::as_str) == Some(id.as_str()))
            .collect();
        return Ok(axum::Json(json!({ "snapshots": mine })).into_response());
    }
    let key = place_key(&tenant.name, &id);
    let cached = front.places.lock().unwrap_or_else(PoisonError::into_inner).contains_key(&key);
    match relay_to_owner(&front, &tenant, &parts, &id, body.clone()).await {
        // Nothing listens where the sandbox was: its worker is gone though
        // its lease has not lapsed yet. The call was never delivered, so it
        // goes (once) where the sandbox moves.
        Err(err) if err.code == relay::UNREACHABLE => {
            if let Ok(Some((_, place))) = front.placement(&key).await {
                front.cluster.forget_worker(&place.worker).await;
            }
            front.forget(&key);
            relay_to_owner(&front, &tenant, &parts, &id, body).await
        }
        // The worker does not hold it: the placement read before is stale
        // (the call did nothing there); read it again.
        Ok(response) if cached && response.status() == StatusCode::NOT_FOUND => {
            front.forget(&key);
            relay_to_owner(&front, &tenant, &parts, &id, body).await
        }
        answered => answered,
    }
}

async fn relay_to_owner(
    front: &Frontend,
    tenant: &Tenant,
    parts: &axum::http::request::Parts,
    id: &str,
    body: Bytes,
) -> Result<Response, ApiError> {
    let segments: Vec<&str> = parts.uri.path().trim_start_matches('/').split('/').collect();
    let cluster = &front.cluster;
    let key = place_key(&tenant.name, id);
    let (worker, restore) = owner(front, &key, id).await?;
    let head: Head = relay::head_of(parts, tenant, restore);
    if parts.method == Method::DELETE && segments.len() == 3 {
        let (status, headers, answer) = relay::call_whole(cluster, &worker, &head, body).await?;
        if status.is_success() {
            front.forget(&key);
            let _ = cluster.places.delete(&key).await;
            let _ = cluster.saved.delete(sandbox_object(id)).await;
        }
        return Ok(whole(status, headers, answer));
    }
    let mut response = relay::call(cluster, &worker, &head, body).await?;
    name_worker(&mut response, &worker);
    Ok(response)
}

/// The worker that holds sandbox `id` (placed under `key`), and what it
/// must restore first: if the worker it was on is gone, a persistent
/// sandbox moves (once: of two front-ends racing, the second sees the new
/// revision and follows the first); one that is not persistent is gone.
async fn owner(front: &Frontend, key: &str, id: &str) -> Result<(String, Option<Restore>), ApiError> {
    let cluster = &front.cluster;
    let not_found = || ApiError::not_found(format!("no sandbox {id}"));
    let (revision, mut place) = front.placement(key).await?.ok_or_else(not_found)?;
    let mut restore = None;
    if cluster.worker(&place.worker).await.map_err(cluster_err)?.is_none() {
        front.forget(key);
        if !place.persistent {
            let _ = cluster.places.delete(key).await;
            return Err(ApiError::new(
                StatusCode::GONE,
                "sandbox_lost",
                format!("sandbox {id} was not persistent and its worker is gone"),
            ));
        }
        let places = cluster.placements().await.map_err(cluster_err)?;
        let worker = choose(cluster, &places).await?;
        place.worker = worker.id;
        let value = serde_json::to_vec(&place).map_err(|err| ApiError::internal(err.to_string()))?;
        if cluster.places.update(key, value.into(), revision).await.is_err() {
            let (_, moved) = cluster.placement(key).await.map_err(cluster_err)?.ok_or_else(not_found)?;
            place = moved;
        }
        restore = Some(Restore::Sandbox(id.to_string()));
    }
    Ok((place.worker, restore))
}

/// Says which worker answered (`X-Capsa-Worker`), for operators.
fn name_worker(response: &mut Response, worker: &str) {
    if let Ok(value) = axum::http::HeaderValue::from_str(worker) {
        response.headers_mut().insert("x-capsa-worker", value);
    }
}

/// The caller's snapshots, from the object store.
async fn snapshots_of(cluster: &Cluster, tenant: &Tenant) -> Result<Vec<Value>, ApiError> {
    use futures_util::StreamExt;
    let mut list = cluster.saved.list().await.map_err(|e| unavailable(e.to_string()))?;
    let mut names = Vec::new();
    while let Some(Ok(info)) = list.next().await {
        if !info.deleted && info.name.starts_with("snapshot.") {
            names.push(info.name);
        }
    }
    let mut mine = Vec::new();
    for name in names {
        if let Some(record) = snapshot_record(cluster, &name).await?
            && record.get("tenant").and_then(Value::as_str) == Some(tenant.name.as_str())
        {
            mine.push(record);
        }
    }
    mine.sort_by_key(|r| {
        (r.get("created").and_then(Value::as_u64), r.get("id").and_then(Value::as_str).map(String::from))
    });
    Ok(mine)
}

async fn snapshot_record(cluster: &Cluster, name: &str) -> Result<Option<Value>, ApiError> {
    let Some(bytes) = cluster.get_object(&cluster.saved, name).await.map_err(cluster_err)? else { return Ok(None) };
    let exported: capsa_server::registry::Exported =
        serde_json::from_slice(&bytes).map_err(|err| ApiError::internal(err.to_string()))?;
    Ok(serde_json::from_slice(&exported.record).ok())
}

async fn list_snapshots(State(front): State<Frontend>, request: Request) -> Result<Response, ApiError> {
    let (tenant, ..) = accept(&front, request).await?;
    Ok(axum::Json(json!({ "snapshots": snapshots_of(&front.cluster, &tenant).await? })).into_response())
}

/// The caller's snapshot `id` (another tenant's is not found).
async fn own_snapshot(front: &Frontend, tenant: &Tenant, id: &str) -> Result<Value, ApiError> {
    let record = snapshot_record(&front.cluster, &snapshot_object(id)).await?;
    record
        .filter(|r| r.get("tenant").and_then(Value::as_str) == Some(tenant.name.as_str()))
        .ok_or_else(|| ApiError::not_found(format!("no snapshot {id}")))
}

async fn show_snapshot(State(front): State<Frontend>, request: Request) -> Result<Response, ApiError> {
    let (tenant, parts, _) = accept(&front, request).await?;
    let id = parts.uri.path().rsplit('/').next().unwrap_or_default().to_string();
    Ok(axum::Json(own_snapshot(&front, &tenant, &id).await?).into_response())
}

/// Deletes the cluster's copy, then every worker's.
async fn delete_snapshot(State(front): State<Frontend>, request: Request) -> Result<Response, ApiError> {
    let (tenant, parts, _) = accept(&front, request).await?;
    let id = parts.uri.path().rsplit('/').next().unwrap_or_default().to_string();
    own_snapshot(&front, &tenant, &id).await?;
    front.cluster.saved.delete(snapshot_object(&id)).await.map_err(|e| unavailable(e.to_string()))?;
    let head = relay::head_of(&parts, &tenant, None);
    for worker in front.cluster.workers().await.map_err(cluster_err)? {
        let _ = relay::call_whole(&front.cluster, &worker.id, &head, Bytes::new()).await;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// MCP over HTTP: a session stays on the worker that began it.
async fn mcp(State(front): State<Frontend>, request: Request) -> Result<Response, ApiError> {
    let (tenant, parts, body) = accept(&front, request).await?;
    let cluster = &front.cluster;
    let session = parts.headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).map(String::from);
    let worker = match &session {
        Some(session) => {
            let key = place_key(&tenant.name, session);
            let owner = cluster.mcp.get(&key).await.map_err(|e| unavailable(e.to_string()))?;
            let owner = owner.map(|b| String::from_utf8_lossy(&b).into_owned());
            match owner {
                Some(owner) if cluster.worker(&owner).await.map_err(cluster_err)?.is_some() => owner,
                // The session's worker is gone: MCP clients begin a new
                // session on 404.
                _ => return Err(ApiError::not_found(format!("no MCP session {session}"))),
            }
        }
        None => choose(cluster, &cluster.placements().await.map_err(cluster_err)?).await?.id,
    };
    let head = relay::head_of(&parts, &tenant, None);
    let (status, headers, answer) = relay::call_whole(cluster, &worker, &head, body).await?;
    if let Some((_, began)) = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("mcp-session-id")) {
        let key = place_key(&tenant.name, began);
        cluster.mcp.put(key, worker.clone().into_bytes().into()).await.map_err(|e| unavailable(e.to_string()))?;
    }
    Ok(whole(status, headers, answer))
}
