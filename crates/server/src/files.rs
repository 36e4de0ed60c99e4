//! Files in and out of a sandbox: `PUT`, `GET` and `DELETE
//! /v1/sandboxes/{id}/files/{path}`. The path is the VM's, absolute; a
//! directory answers with a JSON listing. Everything goes through the VM's
//! kernel as the sandbox's user (permissions, quotas, symlinks resolved in
//! the VM), never through a host path.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use capsa_session::{FileInfo, FileKind, Session};
use serde_json::{Value, json};

use crate::{ApiError, App, Caller, RawBody};

/// Runs a file operation on the sandbox's session, saving afterwards if
/// `changes`.
async fn with_session<T: Send + 'static>(
    app: &Arc<App>,
    tenant: &crate::Tenant,
    id: &str,
    changes: bool,
    work: impl FnOnce(&Session) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let sandbox = app.registry.get(&tenant.name, id)?;
    app.blocking(tenant, move |app| {
        let _busy = sandbox.busy();
        let session = app.registry.session(&sandbox)?;
        let value = work(&session)?;
        if changes {
            app.registry.save(&sandbox)?;
        }
        Ok(value)
    })
    .await
}

/// `/` + the route's path.
fn vm_path(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

pub(crate) async fn put(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path((id, path)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let path = vm_path(&path);
    let size = body.len();
    let written = path.clone();
    with_session(&app, &tenant, &id, true, move |session| {
        if let Some((parent, _)) = written.rsplit_once('/')
            && !parent.is_empty()
        {
            session.make_dirs(parent)?;
        }
        Ok(session.write_file(&written, &body)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"path": path, "size": size}))))
}

pub(crate) async fn get(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path((id, path)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    read(app, tenant, id, vm_path(&path)).await
}

pub(crate) async fn get_root(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    read(app, tenant, id, "/".into()).await
}

/// What a read found.
enum Found {
    Dir(Vec<FileInfo>),
    File(Vec<u8>),
}

async fn read(app: Arc<App>, tenant: crate::Tenant, id: String, path: String) -> Result<Response, ApiError> {
    let limit = app.max_body as u64;
    let found = with_session(&app, &tenant, &id, false, move |session| {
        if session.stat(&path)?.kind == FileKind::Dir {
            Ok(Found::Dir(session.list(&path)?))
        } else {
            Ok(Found::File(session.read_file(&path, limit)?))
        }
    })
    .await?;
    Ok(match found {
        Found::File(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Found::Dir(entries) => {
            let entries: Vec<Value> = entries
                .iter()
                .map(|info| {
                    json!({
                        "name": info.name,
                        "type": match info.kind {
                            FileKind::File => "file",
                            FileKind::Dir => "dir",
                            FileKind::Symlink => "symlink",
                            FileKind::Other => "other",
                        },
                        "size": info.size,
                        "mode": format!("{:o}", info.mode),
                        "mtime": info.mtime / 1_000_000_000,
                    })
                })
                .collect();
            Json(json!({ "entries": entries })).into_response()
        }
    })
}

pub(crate) async fn delete(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path((id, path)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let path = vm_path(&path);
    with_session(&app, &tenant, &id, true, move |session| Ok(session.remove(&path)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?path=P` of the archive endpoints.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArchiveQuery {
    path: String,
}

/// `GET /v1/sandboxes/{id}/archive?path=P`: a tar of `P`.
pub(crate) async fn get_archive(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ArchiveQuery>,
) -> Result<Response, ApiError> {
    let limit = app.max_body as u64;
    let tar = with_session(&app, &tenant, &id, false, move |session| Ok(session.pack(&query.path, limit)?)).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-tar")], tar).into_response())
}

/// `PUT /v1/sandboxes/{id}/archive?path=P`: unpacks a tar (or .tar.gz)
/// into `P`.
pub(crate) async fn put_archive(
    State(app): State<Arc<App>>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ArchiveQuery>,
    RawBody(body): RawBody,
) -> Result<Json<Value>, ApiError> {
    let made = with_session(&app, &tenant, &id, true, move |session| Ok(session.unpack(&query.path, &body)?)).await?;
    Ok(Json(json!({"entries": made.entries, "bytes": made.bytes})))
}
