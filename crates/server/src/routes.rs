//! The router, and the handlers of sandboxes, snapshots and health.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::registry::Sandbox;
use crate::{
    ApiError, App, Caller, JsonBody, Spec, exec, files, judge0, mcp, metrics, openapi, piston, processes, python, shell,
};

/// Every route of the API.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/metrics", get(metrics::render))
        .route("/v1/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/api/v2/runtimes", get(piston::runtimes))
        .route("/api/v2/execute", post(piston::execute))
        .route("/about", get(judge0::about))
        .route("/config_info", get(judge0::config_info))
        .route("/languages", get(judge0::languages))
        .route("/languages/{id}", get(judge0::language))
        .route("/statuses", get(judge0::statuses))
        .route("/submissions", post(judge0::create))
        .route("/submissions/batch", post(judge0::create_batch).get(judge0::show_batch))
        .route("/submissions/{token}", get(judge0::show))
        .route("/mcp", post(mcp::post).get(mcp::get).delete(mcp::delete))
        .route("/v1/sandboxes", post(create).get(list))
        .route("/v1/sandboxes/{id}", get(show).delete(delete))
        .route("/v1/sandboxes/{id}/exec", post(exec::exec))
        .route("/v1/sandboxes/{id}/files", get(files::get_root))
        .route("/v1/sandboxes/{id}/files/", get(files::get_root))
        .route("/v1/sandboxes/{id}/files/{*path}", get(files::get).put(files::put).delete(files::delete))
        .route("/v1/sandboxes/{id}/snapshots", post(take_snapshot).get(list_snapshots))
        .route("/v1/snapshots", get(all_snapshots))
        .route("/v1/snapshots/{snapshot}", get(show_snapshot).delete(delete_snapshot))
        .route("/v1/sandboxes/{id}/processes", post(processes::start).get(processes::list))
        .route("/v1/sandboxes/{id}/processes/{pid}", get(processes::show))
        .route("/v1/sandboxes/{id}/processes/{pid}/events", get(processes::events))
        .route("/v1/sandboxes/{id}/processes/{pid}/stdin", post(processes::stdin))
        .route("/v1/sandboxes/{id}/processes/{pid}/kill", post(processes::kill))
        .route("/v1/sandboxes/{id}/python", post(python::cell))
        .route("/v1/sandboxes/{id}/shell", get(shell::shell))
        .route("/v1/sandboxes/{id}/archive", get(files::get_archive).put(files::put_archive))
        .fallback(|| async { ApiError::not_found("no such endpoint (see /v1/openapi.json)") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .with_state(app)
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn create(State(app): State<Arc<App>>, Caller(tenant): Caller, JsonBody(spec): JsonBody<Spec>) -> Response {
    let owner = tenant.clone();
    let made = app.blocking(&tenant, move |app| app.registry.create(&owner, spec)).await;
    match made {
        Ok(sandbox) => {
            app.metrics.created();
            (StatusCode::CREATED, Json(describe(&app, &sandbox))).into_response()
        }
        Err(err) => err.into_response(),
    }
}

async fn list(State(app): State<Arc<App>>, Caller(tenant): Caller) -> Json<Value> {
    let sandboxes: Vec<Value> = app.registry.list(&tenant.name).iter().map(|sb| describe(&app, sb)).collect();
    Json(json!({ "sandboxes": sandboxes }))
}

async fn show(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    Ok(Json(describe(&app, &sandbox)))
}

async fn delete(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let name = tenant.name.clone();
    app.blocking(&tenant, move |app| app.registry.delete(&name, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A sandbox as the API shows it: its spec, state and usage.
fn describe(_app: &App, sandbox: &Sandbox) -> Value {
    let usage = sandbox.loaded().map(|session| {
        let kernel = session.vm().kernel();
        let budget = kernel.budget().usage();
        let disk = kernel.vfs().usage();
        json!({
            "memory_bytes": budget.memory,
            "memory_peak_bytes": budget.memory_peak,
            "disk_bytes": disk.bytes,
            "disk_names": disk.inodes,
            "cpu_ms": budget.cpu.as_millis() as u64,
        })
    });
    json!({
        "id": sandbox.id,
        "state": if usage.is_some() { "running" } else { "paused" },
        "persistent": sandbox.spec.persistent,
        "created": sandbox.created,
        "idle_s": sandbox.idle_for().as_secs(),
        "calls_running": sandbox.running.load(Ordering::SeqCst),
        "usage": usage,
        "spec": sandbox.spec,
    })
}

async fn take_snapshot(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let sandbox = app.registry.get(&tenant.name, &id)?;
    sandbox.touch();
    let record = app.blocking(&tenant, move |app| app.registry.take_snapshot(&sandbox)).await?;
    Ok((StatusCode::CREATED, Json(json!(record))))
}

async fn list_snapshots(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    app.registry.get(&tenant.name, &id)?;
    let mine: Vec<_> = app.registry.snapshots(&tenant.name).into_iter().filter(|s| s.sandbox == id).collect();
    Ok(Json(json!({ "snapshots": mine })))
}

async fn all_snapshots(State(app): State<Arc<App>>, Caller(tenant): Caller) -> Json<Value> {
    Json(json!({ "snapshots": app.registry.snapshots(&tenant.name) }))
}

async fn show_snapshot(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(snapshot): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(app.registry.snapshot_record(&tenant.name, &snapshot)?)))
}

async fn delete_snapshot(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(snapshot): Path<String>,
) -> Result<StatusCode, ApiError> {
    let name = tenant.name.clone();
    app.blocking(&tenant, move |app| app.registry.delete_snapshot(&name, &snapshot)).await?;
    Ok(StatusCode::NO_CONTENT)
}
