//! Saved state in the object store: persistent sandboxes and snapshots
//! (each a record and an image, the image naming content-addressed blobs
//! stored once for the whole cluster), and compiled modules.
//!
//! ```text
//! capsa-saved   sandbox.<id>, snapshot.<id>   {record, image} (JSON)
//! capsa-blobs   <sha256>                      a file's bytes
//! capsa-modules <engine fingerprint>/<sha256>.cwasm
//! ```
//!
//! Blobs go up before the image that names them, and a copy is taken in
//! only once every blob is here: a reader never sees an image whose bytes
//! are missing. A push sends only the blobs the cluster lacks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use capsa_server::App;
use capsa_server::registry::Exported;
use capsa_session::Store;
use futures_util::StreamExt;

use crate::nats::{Cluster, ClusterError};

/// The object a persistent sandbox is saved as.
pub(crate) fn sandbox_object(id: &str) -> String {
    format!("sandbox.{id}")
}

/// The object a snapshot is saved as.
pub(crate) fn snapshot_object(id: &str) -> String {
    format!("snapshot.{id}")
}

/// Blobs this process knows the cluster holds (so a push asks about each
/// once).
#[derive(Debug, Default)]
pub(crate) struct Pushed(Mutex<HashSet<String>>);

impl Pushed {
    fn has(&self, blob: &str) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).contains(blob)
    }

    fn add(&self, blob: String) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(blob);
    }
}

/// Copies an export to the object store as `name`: missing blobs first,
/// then the record and image.
pub(crate) async fn push(
    cluster: &Cluster,
    app: &Arc<App>,
    pushed: &Pushed,
    name: &str,
    exported: &Exported,
) -> Result<(), ClusterError> {
    let blobs = Store::blobs_of(&exported.image).map_err(|err| ClusterError::nats(name, err))?;
    for blob in blobs {
        if pushed.has(&blob) {
            continue;
        }
        if cluster.blobs.info(&blob).await.is_err() {
            let reader = app.clone();
            let digest = blob.clone();
            let bytes = tokio::task::spawn_blocking(move || reader.registry().store().blob_bytes(&digest))
                .await
                .map_err(|err| ClusterError::nats(name, err))?
                .map_err(|err| ClusterError::nats(name, err))?;
            cluster.put_object(&cluster.blobs, &blob, &bytes).await?;
        }
        pushed.add(blob);
    }
    let bytes = serde_json::to_vec(exported).map_err(|err| ClusterError::nats(name, err))?;
    cluster.put_object(&cluster.saved, name, &bytes).await
}

/// Fetches the export saved as `name` and the blobs of it this store
/// lacks; `None` if nothing is saved under that name.
pub(crate) async fn pull(cluster: &Cluster, app: &Arc<App>, name: &str) -> Result<Option<Exported>, ClusterError> {
    let Some(bytes) = cluster.get_object(&cluster.saved, name).await? else { return Ok(None) };
    let exported: Exported = serde_json::from_slice(&bytes).map_err(|err| ClusterError::nats(name, err))?;
    let blobs = Store::blobs_of(&exported.image).map_err(|err| ClusterError::nats(name, err))?;
    for blob in blobs {
        if app.registry().store().has_blob(&blob) {
            continue;
        }
        let bytes = cluster
            .get_object(&cluster.blobs, &blob)
            .await?
            .ok_or_else(|| ClusterError::nats(name, format!("blob {blob} is missing from the cluster")))?;
        let writer = app.clone();
        tokio::task::spawn_blocking(move || writer.registry().store().put_blob(&blob, &bytes))
            .await
            .map_err(|err| ClusterError::nats(name, err))?
            .map_err(|err| ClusterError::nats(name, err))?;
    }
    Ok(Some(exported))
}

/// The compiled modules under `dir`, by their name in the bucket.
fn local_modules(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(engines) = std::fs::read_dir(dir) else { return found };
    for engine in engines.flatten() {
        let Ok(files) = std::fs::read_dir(engine.path()) else { continue };
        for file in files.flatten() {
            let (Some(engine), Some(file_name)) =
                (engine.file_name().to_str().map(String::from), file.file_name().to_str().map(String::from))
            else {
                continue;
            };
            if file_name.ends_with(".cwasm") && !file_name.starts_with('.') {
                found.push((format!("{engine}/{file_name}"), file.path()));
            }
        }
    }
    found
}

/// Fetches the compiled modules the cluster has and `dir` lacks; returns
/// how many. A module is written beside its place and renamed into it,
/// as the runtime's own cache does.
///
/// Compiled modules are native code: whoever may write the NATS account's
/// `capsa-modules` bucket can run code on the workers (`SECURITY.md`).
pub(crate) async fn pull_modules(cluster: &Cluster, dir: &Path) -> Result<usize, ClusterError> {
    let have: HashSet<String> = local_modules(dir).into_iter().map(|(name, _)| name).collect();
    let mut list = cluster.modules.list().await.map_err(|err| ClusterError::nats("listing modules", err))?;
    let mut names = Vec::new();
    while let Some(Ok(info)) = list.next().await {
        if !info.deleted && !have.contains(&info.name) {
            names.push(info.name);
        }
    }
    let mut fetched = 0;
    for name in names {
        let Some((engine, file)) = name.split_once('/') else { continue };
        let plain = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
                && !s.starts_with('.')
        };
        if !plain(engine) || !plain(file) || !file.ends_with(".cwasm") {
            continue;
        }
        let Some(bytes) = cluster.get_object(&cluster.modules, &name).await? else { continue };
        let target = dir.join(engine).join(file);
        let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let parent = target.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(parent)?;
            let tmp = parent.join(format!(".tmp-cluster-{}", std::process::id()));
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &target)
        })
        .await;
        if matches!(written, Ok(Ok(()))) {
            fetched += 1;
        }
    }
    Ok(fetched)
}

/// Sends the compiled modules under `dir` the cluster lacks; returns how
/// many.
pub(crate) async fn push_modules(cluster: &Cluster, dir: &Path, pushed: &Pushed) -> Result<usize, ClusterError> {
    let mut sent = 0;
    for (name, path) in local_modules(dir) {
        if pushed.has(&name) {
            continue;
        }
        if cluster.modules.info(&name).await.is_err() {
            let Ok(bytes) = tokio::fs::read(&path).await else { continue };
            cluster.put_object(&cluster.modules, &name, &bytes).await?;
            sent += 1;
        }
        pushed.add(name);
    }
    Ok(sent)
}
