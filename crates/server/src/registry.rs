//! The sandboxes and snapshots of a server, and what of them is on disk.
//!
//! ```text
//! DATA_DIR/sandboxes/<id>.json   a persistent sandbox: its tenant and spec
//! DATA_DIR/snapshots/<id>.json   a snapshot: its tenant and origin
//! DATA_DIR/store/                the snapshot store (capsa_session::Store):
//!                                a persistent sandbox's files under its id,
//!                                each snapshot under its id
//! ```
//!
//! A persistent sandbox's filesystem is saved after every call that may
//! have changed it (an exec, a file written or removed) and before that
//! call answers: what a client saw succeed survives `kill -9`. A sandbox
//! whose VM is not in memory (after a restart, or paused for being idle)
//! comes back on its next call, from its saved files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use capsa_runtime::Runtime;
use capsa_session::{Session, Snapshot, Store, store::write_atomically};
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::error::ApiError;
use crate::processes::Processes;
use crate::spec::{NamedMount, Spec};

/// A sandbox: a spec, and its session while it is in memory.
#[derive(Debug)]
pub struct Sandbox {
    /// Its id (`sb-` and 16 hex digits).
    pub id: String,
    /// The tenant it belongs to.
    pub tenant: String,
    /// What it was created with.
    pub spec: Spec,
    /// When it was created (seconds since the epoch).
    pub created: u64,
    /// Its memory and disk limits, as counted against its tenant's quotas
    /// (worked out once, from its spec).
    reserved: (u64, u64),
    session: Mutex<Option<Arc<Session>>>,
    /// Serializes saves, so an older state never lands after a newer one.
    saving: Mutex<()>,
    last_used: Mutex<Instant>,
    born: Instant,
    /// Calls and background processes running in it now.
    pub running: AtomicUsize,
    /// Its background processes.
    pub processes: Mutex<Processes>,
    /// Its persistent Python interpreter, once a `/python` call started
    /// one; held for the whole of a cell, so cells run one at a time.
    pub interpreter: tokio::sync::Mutex<Option<Arc<crate::processes::Process>>>,
}

/// Work running in a sandbox (see [`Sandbox::busy`]).
#[derive(Debug)]
pub struct Busy(Arc<Sandbox>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

/// On disk for each persistent sandbox.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SandboxRecord {
    id: String,
    tenant: String,
    created: u64,
    spec: Spec,
}

/// A sandbox or snapshot as it moves between machines: its record and
/// its image (JSON, as on disk; see `capsa_session::store`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exported {
    /// The record.
    pub record: Vec<u8>,
    /// The image.
    pub image: Vec<u8>,
}

/// On disk for each snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRecord {
    /// Its id (`snap-` and 16 hex digits).
    pub id: String,
    /// Its tenant.
    pub tenant: String,
    /// The sandbox it was taken of.
    pub sandbox: String,
    /// When (seconds since the epoch).
    pub created: u64,
    /// Bytes its files hold (charged to a sandbox made from it).
    pub bytes: u64,
}

/// Every sandbox and snapshot of the server.
pub struct Registry {
    dir: PathBuf,
    runtime: Arc<Runtime>,
    mounts: Vec<NamedMount>,
    store: Store,
    sandboxes: Mutex<HashMap<String, Arc<Sandbox>>>,
    snapshots: Mutex<HashMap<String, SnapshotRecord>>,
}

/// Why the registry could not open its data dir.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A directory or file of the data dir.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What the host said.
        source: std::io::Error,
    },
    /// The snapshot store.
    #[error(transparent)]
    Store(#[from] capsa_session::StoreError),
    /// A record that does not parse.
    #[error("{path}: {message}")]
    BadRecord {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("dir", &self.dir).field("mounts", &self.mounts).finish_non_exhaustive()
    }
}

/// The memory and disk limits a sandbox of this configuration holds.
fn reserved_by(base: &capsa_runtime::VmConfig) -> (u64, u64) {
    (base.limits.memory, base.limits.disk_bytes)
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A fresh id with `prefix`.
pub(crate) fn new_id(prefix: &str) -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|err| ApiError::internal(format!("no randomness: {err}")))?;
    Ok(format!("{prefix}-{}", hex::encode(bytes)))
}

impl Sandbox {
    fn new(id: String, tenant: String, spec: Spec, reserved: (u64, u64), session: Option<Arc<Session>>) -> Sandbox {
        Sandbox {
            id,
            tenant,
            spec,
            reserved,
            created: now_secs(),
            session: Mutex::new(session),
            saving: Mutex::new(()),
            last_used: Mutex::new(Instant::now()),
            born: Instant::now(),
            running: AtomicUsize::new(0),
            processes: Mutex::default(),
            interpreter: tokio::sync::Mutex::default(),
        }
    }

    /// Marks it used now.
    pub fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// How long since its last call.
    pub fn idle_for(&self) -> Duration {
        self.last_used.lock().unwrap_or_else(PoisonError::into_inner).elapsed()
    }

    /// How long it has existed in this server.
    pub fn age(&self) -> Duration {
        self.born.elapsed()
    }

    /// Counts a call or process as running in it (so it is neither paused
    /// nor reaped under it) until the guard is dropped; both ends mark it
    /// used.
    pub fn busy(self: &Arc<Self>) -> Busy {
        self.touch();
        self.running.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// Its session if it is in memory.
    pub fn loaded(&self) -> Option<Arc<Session>> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Drops its VM from memory (its files are on disk); `false` if a
    /// call is running in it.
    fn pause(&self) -> bool {
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        if self.running.load(Ordering::SeqCst) > 0 {
            return false;
        }
        session.take().is_some()
    }

    /// A persistent sandbox as its record describes it, paused (its VM
    /// loads on its next call). A spec that no longer fits this server (a
    /// mount gone) reserves nothing; it fails when the sandbox is next used.
    fn from_record(record: SandboxRecord, mounts: &[NamedMount]) -> Sandbox {
        let reserved = record.spec.vm(mounts).map_or((0, 0), |(_, base)| reserved_by(&base));
        let mut sandbox = Sandbox::new(record.id, record.tenant, record.spec, reserved, None);
        sandbox.created = record.created;
        sandbox
    }

    /// Ends what runs in it: its background processes, and its VM (a
    /// running line is interrupted). Its files are left to the caller.
    fn stop(&self) {
        self.processes.lock().unwrap_or_else(PoisonError::into_inner).kill_all();
        if let Some(session) = self.session.lock().unwrap_or_else(PoisonError::into_inner).take() {
            session.interrupter().interrupt();
        }
    }
}

impl Registry {
    /// Opens the data dir, taking back every persistent sandbox (paused)
    /// and every snapshot recorded there.
    ///
    /// # Errors
    /// The data dir cannot be made or read.
    pub fn open(dir: &Path, runtime: Arc<Runtime>, mounts: Vec<NamedMount>) -> Result<Registry, RegistryError> {
        for sub in ["sandboxes", "snapshots"] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path).map_err(|source| RegistryError::Io { path, source })?;
        }
        let store = Store::open(&dir.join("store"))?;
        if let Ok(layer) = capsa_suite::layer() {
            store.know(&layer);
        }
        let mut sandboxes = HashMap::new();
        for record in read_records::<SandboxRecord>(&dir.join("sandboxes"))? {
            let sandbox = Sandbox::from_record(record, &mounts);
            sandboxes.insert(sandbox.id.clone(), Arc::new(sandbox));
        }
        let snapshots = read_records::<SnapshotRecord>(&dir.join("snapshots"))?
            .into_iter()
            .map(|record| (record.id.clone(), record))
            .collect();
        Ok(Registry {
            dir: dir.to_path_buf(),
            runtime,
            mounts,
            store,
            sandboxes: Mutex::new(sandboxes),
            snapshots: Mutex::new(snapshots),
        })
    }

    /// Creates a sandbox for `tenant` (blocking: boots its VM).
    ///
    /// # Errors
    /// A bad spec (400), a quota (429), an unknown snapshot (404), or the VM
    /// could not boot.
    pub fn create(&self, tenant: &Tenant, spec: Spec) -> Result<Arc<Sandbox>, ApiError> {
        let (shell, base) = spec.vm(&self.mounts)?;
        {
            let sandboxes = self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner);
            let mine: Vec<&Arc<Sandbox>> = sandboxes.values().filter(|sb| sb.tenant == tenant.name).collect();
            let quotas = tenant.quotas;
            if mine.len() >= quotas.sandboxes {
                return Err(ApiError::too_many(format!("tenant quota: {} sandboxes", quotas.sandboxes), 5));
            }
            let (memory, disk) = mine
                .iter()
                .fold((0u64, 0u64), |(m, d), sb| (m.saturating_add(sb.reserved.0), d.saturating_add(sb.reserved.1)));
            if memory.saturating_add(base.limits.memory) > quotas.memory {
                return Err(ApiError::too_many(format!("tenant quota: {} bytes of memory", quotas.memory), 5));
            }
            if disk.saturating_add(base.limits.disk_bytes) > quotas.disk {
                return Err(ApiError::too_many(format!("tenant quota: {} bytes of disk", quotas.disk), 5));
            }
        }
        let reserved = reserved_by(&base);
        let session = match &spec.from_snapshot {
            Some(id) => {
                let snapshot = self.snapshot(&tenant.name, id)?;
                Session::restore(&self.runtime, &shell, base, &snapshot)?
            }
            None => Session::start(&self.runtime, &shell, base)?,
        };
        let id = new_id("sb")?;
        let sandbox = Arc::new(Sandbox::new(id.clone(), tenant.name.clone(), spec, reserved, Some(Arc::new(session))));
        let created = sandbox.created;
        if sandbox.spec.persistent {
            let record =
                SandboxRecord { id: id.clone(), tenant: tenant.name.clone(), created, spec: sandbox.spec.clone() };
            // Its files first, then the record that makes it persistent.
            self.save(&sandbox)?;
            self.write_record("sandboxes", &id, &record)?;
        }
        self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner).insert(id, sandbox.clone());
        Ok(sandbox)
    }

    /// The runtime every VM of the server runs on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// `tenant`'s sandbox `id` (another tenant's is not found).
    ///
    /// # Errors
    /// 404.
    pub fn get(&self, tenant: &str, id: &str) -> Result<Arc<Sandbox>, ApiError> {
        let sandboxes = self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner);
        match sandboxes.get(id) {
            Some(sandbox) if sandbox.tenant == tenant => Ok(sandbox.clone()),
            _ => Err(ApiError::not_found(format!("no sandbox {id}"))),
        }
    }

    /// `tenant`'s sandboxes, oldest first.
    pub fn list(&self, tenant: &str) -> Vec<Arc<Sandbox>> {
        let sandboxes = self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner);
        let mut mine: Vec<Arc<Sandbox>> = sandboxes.values().filter(|sb| sb.tenant == tenant).cloned().collect();
        mine.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        mine
    }

    /// Every sandbox (for the reaper and metrics).
    pub fn all(&self) -> Vec<Arc<Sandbox>> {
        self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// Deletes a sandbox: its VM stops, its files go.
    ///
    /// # Errors
    /// 404, or its files could not be removed.
    pub fn delete(&self, tenant: &str, id: &str) -> Result<(), ApiError> {
        let sandbox = self.get(tenant, id)?;
        self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        sandbox.stop();
        if sandbox.spec.persistent {
            let _saving = sandbox.saving.lock().unwrap_or_else(PoisonError::into_inner);
            remove_file(&self.dir.join("sandboxes").join(format!("{id}.json")))?;
            match self.store.remove(id) {
                Ok(()) | Err(capsa_session::StoreError::NotFound(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// The sandbox's session, brought back from disk if it was paused
    /// (blocking).
    ///
    /// # Errors
    /// Its files could not be loaded, or its VM could not boot.
    pub fn session(&self, sandbox: &Sandbox) -> Result<Arc<Session>, ApiError> {
        let mut slot = sandbox.session.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(session) = slot.as_ref() {
            return Ok(session.clone());
        }
        let (shell, base) = sandbox.spec.vm(&self.mounts)?;
        let session = match self.store.load(&sandbox.id) {
            Ok(snapshot) => Session::restore(&self.runtime, &shell, base, &snapshot)?,
            Err(capsa_session::StoreError::NotFound(_)) => Session::start(&self.runtime, &shell, base)?,
            Err(err) => return Err(err.into()),
        };
        let session = Arc::new(session);
        *slot = Some(session.clone());
        Ok(session)
    }

    /// Saves a persistent sandbox's files (blocking); nothing for another.
    ///
    /// # Errors
    /// The disk refused.
    pub fn save(&self, sandbox: &Sandbox) -> Result<(), ApiError> {
        if !sandbox.spec.persistent {
            return Ok(());
        }
        let _saving = sandbox.saving.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(session) = sandbox.loaded() else { return Ok(()) };
        let snapshot = session.snapshot()?;
        self.store.save(&sandbox.id, &snapshot)?;
        Ok(())
    }

    /// Saves every persistent sandbox in memory (blocking): at shutdown,
    /// so that what running work changed so far is kept. Returns how many
    /// could not be saved.
    pub fn save_all(&self) -> usize {
        let mut failed = 0;
        for sandbox in self.all() {
            if let Err(err) = self.save(&sandbox) {
                tracing::warn!("saving sandbox {} at shutdown: {}", sandbox.id, err.message);
                failed += 1;
            }
        }
        failed
    }

    /// Pauses or deletes what has been idle too long or lived past its TTL;
    /// returns how many were paused and deleted.
    pub fn reap(&self) -> (usize, usize) {
        let (mut paused, mut deleted) = (0, 0);
        for sandbox in self.all() {
            let expired = sandbox.spec.ttl_s.is_some_and(|ttl| sandbox.age() >= Duration::from_secs(ttl));
            let idle = sandbox.running.load(Ordering::SeqCst) == 0 && sandbox.idle_for() >= sandbox.spec.idle_timeout();
            if expired || (idle && !sandbox.spec.persistent) {
                if self.delete(&sandbox.tenant, &sandbox.id).is_ok() {
                    deleted += 1;
                }
            } else if idle && sandbox.pause() {
                paused += 1;
            }
        }
        (paused, deleted)
    }

    /// Takes a snapshot of a sandbox (blocking) and keeps it on disk.
    ///
    /// # Errors
    /// The sandbox's VM could not be loaded, or the disk refused.
    pub fn take_snapshot(&self, sandbox: &Sandbox) -> Result<SnapshotRecord, ApiError> {
        let session = self.session(sandbox)?;
        let snapshot = session.snapshot()?;
        let id = new_id("snap")?;
        self.store.save(&id, &snapshot)?;
        let record = SnapshotRecord {
            id: id.clone(),
            tenant: sandbox.tenant.clone(),
            sandbox: sandbox.id.clone(),
            created: now_secs(),
            bytes: snapshot.usage().bytes,
        };
        self.write_record("snapshots", &id, &record)?;
        self.snapshots.lock().unwrap_or_else(PoisonError::into_inner).insert(id, record.clone());
        Ok(record)
    }

    /// `tenant`'s snapshot records, oldest first.
    pub fn snapshots(&self, tenant: &str) -> Vec<SnapshotRecord> {
        let snapshots = self.snapshots.lock().unwrap_or_else(PoisonError::into_inner);
        let mut mine: Vec<SnapshotRecord> = snapshots.values().filter(|s| s.tenant == tenant).cloned().collect();
        mine.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        mine
    }

    /// `tenant`'s snapshot record `id`.
    ///
    /// # Errors
    /// 404.
    pub fn snapshot_record(&self, tenant: &str, id: &str) -> Result<SnapshotRecord, ApiError> {
        let snapshots = self.snapshots.lock().unwrap_or_else(PoisonError::into_inner);
        match snapshots.get(id) {
            Some(record) if record.tenant == tenant => Ok(record.clone()),
            _ => Err(ApiError::not_found(format!("no snapshot {id}"))),
        }
    }

    /// Deletes `tenant`'s snapshot `id` (sandboxes made from it keep their
    /// files).
    ///
    /// # Errors
    /// 404, or the disk refused.
    pub fn delete_snapshot(&self, tenant: &str, id: &str) -> Result<(), ApiError> {
        self.snapshot_record(tenant, id)?;
        self.snapshots.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        remove_file(&self.dir.join("snapshots").join(format!("{id}.json")))?;
        match self.store.remove(id) {
            Ok(()) | Err(capsa_session::StoreError::NotFound(_)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// The snapshot store (a cluster copies blobs in and out of it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A persistent sandbox's record and last saved image, as a cluster
    /// copies them to another machine; `None` for a sandbox that is not
    /// persistent. Serialized with its saves: never a torn pair.
    ///
    /// # Errors
    /// The disk refused.
    pub fn export(&self, sandbox: &Sandbox) -> Result<Option<Exported>, ApiError> {
        if !sandbox.spec.persistent {
            return Ok(None);
        }
        let _saving = sandbox.saving.lock().unwrap_or_else(PoisonError::into_inner);
        let record = SandboxRecord {
            id: sandbox.id.clone(),
            tenant: sandbox.tenant.clone(),
            created: sandbox.created,
            spec: sandbox.spec.clone(),
        };
        let record = serde_json::to_vec(&record).map_err(|err| ApiError::internal(err.to_string()))?;
        Ok(Some(Exported { record, image: self.store.image_bytes(&sandbox.id)? }))
    }

    /// Takes in a persistent sandbox another machine exported (its blobs
    /// already in [`Registry::store`]), paused, replacing any copy held
    /// here; it loads on its next call.
    ///
    /// # Errors
    /// A record or image that does not parse, a blob missing, or the disk
    /// refused.
    pub fn adopt(&self, exported: &Exported) -> Result<Arc<Sandbox>, ApiError> {
        let record: SandboxRecord = serde_json::from_slice(&exported.record)
            .map_err(|err| ApiError::bad_request(format!("not a sandbox record: {err}")))?;
        if !record.spec.persistent {
            return Err(ApiError::bad_request(format!("sandbox {} is not persistent", record.id)));
        }
        self.store.put_image(&record.id, &exported.image)?;
        self.write_record("sandboxes", &record.id, &record)?;
        let sandbox = Arc::new(Sandbox::from_record(record, &self.mounts));
        let old =
            self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner).insert(sandbox.id.clone(), sandbox.clone());
        if let Some(old) = old {
            old.stop();
        }
        Ok(sandbox)
    }

    /// Lets go of a sandbox held here that now lives elsewhere: its VM and
    /// processes stop and its local files go; nothing else is touched.
    pub fn release(&self, id: &str) {
        let Some(sandbox) = self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner).remove(id) else { return };
        sandbox.stop();
        let _ = std::fs::remove_file(self.dir.join("sandboxes").join(format!("{id}.json")));
        let _ = self.store.remove(id);
    }

    /// A snapshot's record and image, as a cluster copies them.
    ///
    /// # Errors
    /// 404, or the disk refused.
    pub fn export_snapshot(&self, tenant: &str, id: &str) -> Result<Exported, ApiError> {
        let record = self.snapshot_record(tenant, id)?;
        let record = serde_json::to_vec(&record).map_err(|err| ApiError::internal(err.to_string()))?;
        Ok(Exported { record, image: self.store.image_bytes(id)? })
    }

    /// Takes in a snapshot another machine exported (its blobs already in
    /// [`Registry::store`]).
    ///
    /// # Errors
    /// As [`Registry::adopt`].
    pub fn adopt_snapshot(&self, exported: &Exported) -> Result<SnapshotRecord, ApiError> {
        let record: SnapshotRecord = serde_json::from_slice(&exported.record)
            .map_err(|err| ApiError::bad_request(format!("not a snapshot record: {err}")))?;
        self.store.put_image(&record.id, &exported.image)?;
        self.write_record("snapshots", &record.id, &record)?;
        self.snapshots.lock().unwrap_or_else(PoisonError::into_inner).insert(record.id.clone(), record.clone());
        Ok(record)
    }

    fn snapshot(&self, tenant: &str, id: &str) -> Result<Snapshot, ApiError> {
        self.snapshot_record(tenant, id)?;
        Ok(self.store.load(id)?)
    }

    fn write_record(&self, kind: &str, id: &str, record: &impl Serialize) -> Result<(), ApiError> {
        let json = serde_json::to_vec_pretty(record).map_err(|err| ApiError::internal(err.to_string()))?;
        let path = self.dir.join(kind).join(format!("{id}.json"));
        write_atomically(&path, &json).map_err(|err| ApiError::internal(err.to_string()))
    }
}

fn remove_file(path: &Path) -> Result<(), ApiError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(ApiError::internal(format!("{}: {err}", path.display()))),
    }
}

/// Every `*.json` record in `dir`.
fn read_records<T: for<'de> Deserialize<'de>>(dir: &Path) -> Result<Vec<T>, RegistryError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RegistryError::Io { path, source }
    };
    let mut records = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let record = serde_json::from_slice(&bytes)
            .map_err(|err| RegistryError::BadRecord { path: path.clone(), message: err.to_string() })?;
        records.push(record);
    }
    Ok(records)
}
