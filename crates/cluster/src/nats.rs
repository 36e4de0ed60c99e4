//! The NATS side: one connection, and the streams, buckets and subjects
//! every front-end and worker agree on (see the crate doc).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, kv, object_store, stream};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

/// The work queue of one-shot runs, and its subject.
pub(crate) const JOBS_STREAM: &str = "CAPSA_JOBS";
pub(crate) const JOBS_SUBJECT: &str = "capsa.jobs";
/// The workers' shared pull consumer of the work queue.
pub(crate) const JOBS_CONSUMER: &str = "capsa-workers";

/// A worker's lease: a heartbeat older than this and it is gone.
pub(crate) const WORKER_TTL: Duration = Duration::from_secs(5);
/// How often a worker renews its lease.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(1);
/// A job not acked (nor marked in progress) for this long goes to another
/// worker.
pub(crate) const ACK_WAIT: Duration = Duration::from_secs(6);

/// The subject a worker takes relayed calls on.
pub(crate) fn worker_subject(worker: &str) -> String {
    format!("capsa.worker.{worker}.http")
}

/// The subject a job's result is announced on.
pub(crate) fn done_subject(job: &str) -> String {
    format!("capsa.done.{job}")
}

/// Seconds since the epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `prefix-` and 16 random hex digits.
pub(crate) fn new_id(prefix: &str) -> Result<String, ClusterError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|err| ClusterError::nats("randomness", err))?;
    Ok(format!("{prefix}-{}", hex::encode(bytes)))
}

/// Why the cluster could not be reached or set up.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The NATS server could not be reached.
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect {
        /// The URL given.
        url: String,
        /// What the client said.
        message: String,
    },
    /// A stream, bucket or message operation failed.
    #[error("NATS {what}: {message}")]
    Nats {
        /// What was being done.
        what: String,
        /// What NATS said.
        message: String,
    },
    /// The worker's own server could not start.
    #[error(transparent)]
    Server(#[from] capsa_server::ServerError),
}

impl ClusterError {
    pub(crate) fn nats(what: impl Into<String>, err: impl std::fmt::Display) -> ClusterError {
        ClusterError::Nats { what: what.into(), message: err.to_string() }
    }
}

/// What a worker says about itself in its heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// Its id (`w-` and 16 hex digits), new at each start.
    pub id: String,
    /// VM calls and one-shot runs it takes at once.
    pub capacity: usize,
    /// Sandboxes it holds.
    pub sandboxes: usize,
    /// Relayed calls and jobs running on it now.
    pub running: usize,
    /// Relayed calls it has answered.
    pub calls: u64,
    /// One-shot jobs it has finished.
    pub jobs: u64,
    /// When it started (seconds since the epoch).
    pub started: u64,
    /// capsa's version.
    pub version: String,
    /// Whether it is draining (takes no new work).
    pub draining: bool,
}

/// Each worker's last heartbeat, when it arrived.
type Heartbeats = HashMap<String, (Instant, WorkerInfo)>;

/// A connection to the cluster's NATS, with its streams and buckets.
#[derive(Clone)]
pub struct Cluster {
    pub(crate) client: async_nats::Client,
    pub(crate) jobs: stream::Stream,
    pub(crate) workers: kv::Store,
    pub(crate) places: kv::Store,
    pub(crate) mcp: kv::Store,
    pub(crate) results: object_store::ObjectStore,
    pub(crate) saved: object_store::ObjectStore,
    pub(crate) blobs: object_store::ObjectStore,
    pub(crate) modules: object_store::ObjectStore,
    /// The workers' heartbeats as a watch delivers them (a front-end's):
    /// when set, liveness is read here, not from the bucket on every call.
    live: Option<Arc<Mutex<Heartbeats>>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").finish_non_exhaustive()
    }
}

impl Cluster {
    /// Connects to `url` and makes what is missing of the streams and
    /// buckets (each creation is idempotent: front-ends and workers may
    /// start in any order). Job results are kept for `retention`.
    ///
    /// # Errors
    /// NATS cannot be reached, has no JetStream, or refused a setup step.
    pub async fn connect(url: &str, retention: Duration) -> Result<Cluster, ClusterError> {
        let client = async_nats::ConnectOptions::new()
            .name("capsa")
            .connect(url)
            .await
            .map_err(|err| ClusterError::Connect { url: url.into(), message: err.to_string() })?;
        let js = jetstream::new(client.clone());
        let jobs = js
            .get_or_create_stream(stream::Config {
                name: JOBS_STREAM.into(),
                subjects: vec![JOBS_SUBJECT.into()],
                retention: stream::RetentionPolicy::WorkQueue,
                // A job published twice (a retried publish) is queued once.
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(|err| {
                // The first JetStream call: say how to get it, if that is what is missing.
                let hint = if err.to_string().contains("unavailable") { " (start nats-server with -js)" } else { "" };
                ClusterError::nats(format!("stream {JOBS_STREAM}"), format!("{err}{hint}"))
            })?;
        let workers = kv_bucket(
            &js,
            kv::Config { bucket: "capsa-workers".into(), history: 1, max_age: WORKER_TTL, ..Default::default() },
        )
        .await?;
        let places =
            kv_bucket(&js, kv::Config { bucket: "capsa-sandboxes".into(), history: 1, ..Default::default() }).await?;
        let mcp = kv_bucket(&js, kv::Config { bucket: "capsa-mcp".into(), history: 1, ..Default::default() }).await?;
        let results = object_bucket(&js, "capsa-results", retention).await?;
        let saved = object_bucket(&js, "capsa-saved", Duration::ZERO).await?;
        let blobs = object_bucket(&js, "capsa-blobs", Duration::ZERO).await?;
        let modules = object_bucket(&js, "capsa-modules", Duration::ZERO).await?;
        Ok(Cluster { client, jobs, workers, places, mcp, results, saved, blobs, modules, live: None })
    }

    /// Follows the workers' heartbeats from now on (a watch on the
    /// bucket), so that [`Cluster::workers`] and [`Cluster::worker`] cost
    /// no round trip.
    ///
    /// # Errors
    /// NATS refused the watch.
    pub async fn following_workers(mut self) -> Result<Cluster, ClusterError> {
        let live = Arc::new(Mutex::new(HashMap::new()));
        let mut watch = self.workers.watch_all().await.map_err(|err| ClusterError::nats("watching workers", err))?;
        let seen = live.clone();
        let bucket = self.workers.clone();
        tokio::spawn(async move {
            loop {
                while let Some(entry) = watch.next().await {
                    let Ok(entry) = entry else { continue };
                    let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
                    match serde_json::from_slice::<WorkerInfo>(&entry.value) {
                        Ok(info) if entry.operation == kv::Operation::Put => {
                            seen.insert(entry.key, (Instant::now(), info));
                        }
                        _ => {
                            seen.remove(&entry.key);
                        }
                    }
                }
                // The watch ended (NATS reconnected): watch again.
                tokio::time::sleep(HEARTBEAT).await;
                match bucket.watch_all().await {
                    Ok(again) => watch = again,
                    Err(err) => tracing::warn!("watching workers: {err}"),
                }
            }
        });
        self.live = Some(live);
        Ok(self)
    }

    /// Forgets a worker at once (its subject has no listener: it is gone).
    pub(crate) async fn forget_worker(&self, id: &str) {
        if let Some(live) = &self.live {
            live.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        }
        let _ = self.workers.delete(id).await;
    }

    /// The largest message NATS takes (a relayed body's bound).
    pub fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    /// The workers whose lease is current, draining ones excepted.
    ///
    /// # Errors
    /// NATS refused.
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>, ClusterError> {
        if let Some(live) = &self.live {
            let live = live.lock().unwrap_or_else(PoisonError::into_inner);
            let mut found: Vec<WorkerInfo> =
                live.values().filter(|(seen, _)| seen.elapsed() < WORKER_TTL).map(|(_, info)| info.clone()).collect();
            found.sort_by(|a, b| a.id.cmp(&b.id));
            return Ok(found);
        }
        let mut keys = self.workers.keys().await.map_err(|err| ClusterError::nats("listing workers", err))?;
        let mut found = Vec::new();
        while let Some(key) = keys.next().await {
            let Ok(key) = key else { continue };
            if let Some(info) = self.worker(&key).await? {
                found.push(info);
            }
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    /// Worker `id`'s heartbeat, if its lease is current.
    ///
    /// # Errors
    /// NATS refused.
    pub async fn worker(&self, id: &str) -> Result<Option<WorkerInfo>, ClusterError> {
        if let Some(live) = &self.live {
            let live = live.lock().unwrap_or_else(PoisonError::into_inner);
            return Ok(live.get(id).filter(|(seen, _)| seen.elapsed() < WORKER_TTL).map(|(_, info)| info.clone()));
        }
        let value = self.workers.get(id).await.map_err(|err| ClusterError::nats("reading a worker", err))?;
        Ok(value.and_then(|bytes| serde_json::from_slice::<WorkerInfo>(&bytes).ok()))
    }

    /// An object's bytes; `None` if there is no such object.
    pub(crate) async fn get_object(
        &self,
        store: &object_store::ObjectStore,
        name: &str,
    ) -> Result<Option<Vec<u8>>, ClusterError> {
        let mut object = match store.get(name).await {
            Ok(object) => object,
            Err(err) if err.kind() == object_store::GetErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(ClusterError::nats(format!("reading {name}"), err)),
        };
        let mut bytes = Vec::new();
        object.read_to_end(&mut bytes).await.map_err(|err| ClusterError::nats(format!("reading {name}"), err))?;
        Ok(Some(bytes))
    }

    /// Stores `bytes` as the object `name`, replacing it.
    pub(crate) async fn put_object(
        &self,
        store: &object_store::ObjectStore,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), ClusterError> {
        let mut reader = bytes;
        store.put(name, &mut reader).await.map_err(|err| ClusterError::nats(format!("writing {name}"), err))?;
        Ok(())
    }
}

/// The bucket, made if missing (a racing maker's is taken). Its stream is
/// made here with the client's own KV layout, not by `create_key_value`,
/// which first asks for account details that Debian's nats-server 2.9
/// answers in a form this client does not read.
async fn kv_bucket(js: &jetstream::Context, config: kv::Config) -> Result<kv::Store, ClusterError> {
    let name = config.bucket.clone();
    if let Ok(store) = js.get_key_value(&name).await {
        return Ok(store);
    }
    let stream = stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: config.history.max(1),
        max_age: config.max_age,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        num_replicas: 1,
        ..Default::default()
    };
    js.get_or_create_stream(stream).await.map_err(|err| ClusterError::nats(format!("bucket {name}"), err))?;
    js.get_key_value(&name).await.map_err(|err| ClusterError::nats(format!("bucket {name}"), err))
}

/// The object store, made if missing; objects older than `max_age` go
/// (zero: kept).
async fn object_bucket(
    js: &jetstream::Context,
    name: &str,
    max_age: Duration,
) -> Result<object_store::ObjectStore, ClusterError> {
    if let Ok(store) = js.get_object_store(name).await {
        return Ok(store);
    }
    let config = object_store::Config { bucket: name.into(), max_age, ..Default::default() };
    match js.create_object_store(config).await {
        Ok(store) => Ok(store),
        Err(err) => js.get_object_store(name).await.map_err(|_| ClusterError::nats(format!("bucket {name}"), err)),
    }
}

/// Where a sandbox lives: the `capsa-sandboxes` bucket's value, under
/// [`place_key`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Placement {
    pub id: String,
    pub tenant: String,
    pub worker: String,
    pub persistent: bool,
    pub created: u64,
}

/// A tenant's part of a key: names are free text, keys are not.
pub(crate) fn tenant_key(tenant: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(tenant.as_bytes())[..8])
}

/// The key of `tenant`'s sandbox `id` (another tenant's id is another key,
/// so it is simply not found).
pub(crate) fn place_key(tenant: &str, id: &str) -> String {
    format!("{}.{id}", tenant_key(tenant))
}

impl Cluster {
    /// Every placement, with its key and revision.
    pub(crate) async fn placements(&self) -> Result<Vec<(String, u64, Placement)>, ClusterError> {
        let mut keys = self.places.keys().await.map_err(|err| ClusterError::nats("listing sandboxes", err))?;
        let mut found = Vec::new();
        while let Some(key) = keys.next().await {
            let Ok(key) = key else { continue };
            if let Some((revision, place)) = self.placement(&key).await? {
                found.push((key, revision, place));
            }
        }
        Ok(found)
    }

    /// The placement under `key`, with its revision.
    pub(crate) async fn placement(&self, key: &str) -> Result<Option<(u64, Placement)>, ClusterError> {
        let entry = self.places.entry(key).await.map_err(|err| ClusterError::nats("reading a sandbox", err))?;
        Ok(entry
            .filter(|e| e.operation == kv::Operation::Put)
            .and_then(|e| Some((e.revision, serde_json::from_slice(&e.value).ok()?))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sandbox_key_is_the_tenants_own() {
        assert_ne!(place_key("alice", "sb-1"), place_key("bob", "sb-1"));
        assert_eq!(place_key("alice", "sb-1"), place_key("alice", "sb-1"));
        // Free-text tenant names never reach a key.
        let key = place_key("a.b > *", "sb-1");
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'), "{key}");
    }
}
