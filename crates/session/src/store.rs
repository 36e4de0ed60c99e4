//! Snapshots on disk: what makes a persistent sandbox survive its server.
//!
//! A store is a directory of content-addressed blobs and one image per
//! saved snapshot:
//!
//! ```text
//! DIR/blobs/<first two hex digits>/<sha256>   a file's bytes
//! DIR/images/<name>.json                      the tree: paths, kinds, owners,
//!                                             modes, times, charges, blob digests
//! ```
//!
//! Every write is to a new file, fsynced, then renamed into place (and the
//! directory fsynced), blobs before the image that names them: after a crash
//! (`kill -9`, power loss) a name holds either its previous image or its new
//! one, whole. Blobs are written once: a file unchanged since the last save,
//! or the same bytes in two sandboxes, costs nothing more. Bytes a layer
//! builder already hashed (the command suite's) are not hashed again, and on
//! load bytes the host already holds ([`Store::know`]) are shared, not read.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use capsa_kernel::{ImageEntry, ImageNode, Layer, Meta, SharedBytes, Stamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Snapshot;

/// Why a snapshot could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's files could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the host said.
        source: io::Error,
    },
    /// An image is not one this store wrote (or was damaged).
    #[error("{path}: not a snapshot image: {reason}")]
    BadImage {
        /// The image file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No snapshot is saved under this name.
    #[error("no snapshot named {0:?}")]
    NotFound(String),
    /// A name that could not be a file name.
    #[error("{0:?} is not a snapshot name (letters, digits, '-' and '_', at most 64)")]
    BadName(String),
}

/// A directory of saved snapshots (see the module doc). Shared by threads.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// Digests of bytes saved before, by their address: frozen files keep
    /// their address until every VM lets go, and a held clone keeps it.
    digests: Mutex<HashMap<Address, (SharedBytes, [u8; 32])>>,
    /// Bytes the host holds anyway, by digest: loaded from here, not disk.
    known: Mutex<HashMap<[u8; 32], SharedBytes>>,
}

/// Where a file's bytes are, and how many: identifies them while held.
type Address = (usize, usize);

/// One entry of an image file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    path: String,
    kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<u32>,
    #[serde(default)]
    uid: u32,
    #[serde(default)]
    gid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mtime: Option<u64>,
    #[serde(default)]
    charged: u64,
    #[serde(default)]
    counted: bool,
    /// A file's blob (hex sha256) or a symlink's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Dir,
    Opaque,
    File,
    Symlink,
}

/// An image file: a format version, then the entries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    format: u32,
    entries: Vec<Record>,
}

const FORMAT: u32 = 1;

impl Store {
    /// Opens (creating) a store in `dir`.
    ///
    /// # Errors
    /// The directories cannot be made.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        for sub in ["blobs", "images"] {
            let path = dir.join(sub);
            fs::create_dir_all(&path).map_err(|source| StoreError::Io { path, source })?;
        }
        Ok(Store { dir: dir.to_path_buf(), digests: Mutex::default(), known: Mutex::default() })
    }

    /// Remembers the files of `layer` whose digest its builder gave (the
    /// command suite's): a loaded snapshot shares them instead of reading
    /// its own copy.
    pub fn know(&self, layer: &Layer) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        for entry in layer.image() {
            if let ImageNode::File(bytes) = entry.node
                && let Some(digest) = bytes.sha256()
            {
                known.insert(digest, bytes);
            }
        }
    }

    /// Saves `snapshot` as `name`, replacing what was saved under it, so
    /// that it survives a crash from the moment this returns.
    ///
    /// # Errors
    /// A bad name, or the disk refused a write.
    pub fn save(&self, name: &str, snapshot: &Snapshot) -> Result<(), StoreError> {
        check_name(name)?;
        let mut entries = Vec::new();
        for entry in snapshot.layer.image() {
            let meta = entry.meta;
            let (kind, data) = match &entry.node {
                ImageNode::Dir { opaque: false } => (Kind::Dir, None),
                ImageNode::Dir { opaque: true } => (Kind::Opaque, None),
                ImageNode::Symlink(target) => (Kind::Symlink, Some(target.clone())),
                ImageNode::File(bytes) => (Kind::File, Some(hex::encode(self.save_blob(bytes)?))),
            };
            entries.push(Record {
                path: entry.path,
                kind,
                mode: meta.map(|m| m.mode),
                uid: meta.map_or(0, |m| m.uid),
                gid: meta.map_or(0, |m| m.gid),
                mtime: entry.stamp.mtime,
                charged: entry.stamp.bytes,
                counted: entry.stamp.counted,
                data,
            });
        }
        self.forget_unshared();
        let json = serde_json::to_vec(&Image { format: FORMAT, entries })
            .map_err(|err| StoreError::BadImage { path: self.image_path(name), reason: err.to_string() })?;
        write_atomically(&self.image_path(name), &json)
    }

    /// Loads the snapshot saved as `name`.
    ///
    /// # Errors
    /// None saved under that name, a damaged image, or a blob missing.
    pub fn load(&self, name: &str) -> Result<Snapshot, StoreError> {
        check_name(name)?;
        let path = self.image_path(name);
        let json = match fs::read(&path) {
            Ok(json) => json,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(StoreError::NotFound(name.into())),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let bad = |reason: String| StoreError::BadImage { path: path.clone(), reason };
        let image: Image = serde_json::from_slice(&json).map_err(|err| bad(err.to_string()))?;
        if image.format != FORMAT {
            return Err(bad(format!("format {} (this capsa reads {FORMAT})", image.format)));
        }
        let mut entries = Vec::with_capacity(image.entries.len());
        for record in image.entries {
            let node = match (record.kind, record.data) {
                (Kind::Dir, _) => ImageNode::Dir { opaque: false },
                (Kind::Opaque, _) => ImageNode::Dir { opaque: true },
                (Kind::Symlink, Some(target)) => ImageNode::Symlink(target),
                (Kind::File, Some(digest)) => ImageNode::File(self.load_blob(&digest)?),
                (Kind::File | Kind::Symlink, None) => return Err(bad(format!("{}: no data", record.path))),
            };
            let meta = record.mode.map(|mode| Meta { mode, uid: record.uid, gid: record.gid });
            let stamp = Stamp { mtime: record.mtime, bytes: record.charged, counted: record.counted };
            entries.push(ImageEntry { path: record.path, node, meta, stamp });
        }
        let layer = Layer::from_image(entries).map_err(|err| bad(format!("inconsistent tree: {err}")))?;
        Ok(Snapshot { layer })
    }

    /// Removes the snapshot saved as `name` (its blobs stay for others).
    ///
    /// # Errors
    /// None saved under that name, or the disk refused.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        check_name(name)?;
        let path = self.image_path(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound(name.into())),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// The names of the saved snapshots, sorted.
    ///
    /// # Errors
    /// The images directory cannot be read.
    pub fn names(&self) -> Result<Vec<String>, StoreError> {
        let dir = self.dir.join("images");
        let read = fs::read_dir(&dir).map_err(|source| StoreError::Io { path: dir.clone(), source })?;
        let mut names: Vec<String> = read
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter_map(|file| file.strip_suffix(".json").map(str::to_string))
            .filter(|name| check_name(name).is_ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// The image saved as `name`, as stored: what a cluster copies to
    /// another machine together with the blobs it names ([`Store::blobs_of`]).
    ///
    /// # Errors
    /// None saved under that name, or the disk refused.
    pub fn image_bytes(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        check_name(name)?;
        let path = self.image_path(name);
        match fs::read(&path) {
            Ok(json) => Ok(json),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound(name.into())),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// The blobs (hex sha256) an image names, each once.
    ///
    /// # Errors
    /// The image does not parse.
    pub fn blobs_of(image: &[u8]) -> Result<Vec<String>, StoreError> {
        let bad = |reason: String| StoreError::BadImage { path: PathBuf::from("(copied image)"), reason };
        let image: Image = serde_json::from_slice(image).map_err(|err| bad(err.to_string()))?;
        let mut blobs: Vec<String> =
            image.entries.into_iter().filter(|r| r.kind == Kind::File).filter_map(|r| r.data).collect();
        blobs.sort();
        blobs.dedup();
        if let Some(bad_digest) = blobs.iter().find(|d| !is_digest(d)) {
            return Err(bad(format!("{bad_digest:?} is not a sha256")));
        }
        Ok(blobs)
    }

    /// Whether the blob `hex_digest` is here (on disk, or bytes the host
    /// holds anyway).
    pub fn has_blob(&self, hex_digest: &str) -> bool {
        let mut digest = [0u8; 32];
        if hex::decode_to_slice(hex_digest, &mut digest).is_err() {
            return false;
        }
        self.known.lock().unwrap_or_else(PoisonError::into_inner).contains_key(&digest)
            || self.blob_path(hex_digest).is_file()
    }

    /// The bytes of the blob `hex_digest`, checked against it.
    ///
    /// # Errors
    /// Not a digest, missing, or damaged.
    pub fn blob_bytes(&self, hex_digest: &str) -> Result<Vec<u8>, StoreError> {
        self.load_blob(hex_digest).map(|bytes| bytes.to_vec())
    }

    /// Keeps `bytes` as the blob `hex_digest` (bytes copied from another
    /// store); refuses bytes that are not that blob.
    ///
    /// # Errors
    /// A digest that does not match, or the disk refused.
    pub fn put_blob(&self, hex_digest: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.blob_path_checked(hex_digest)?;
        if hex::encode(Sha256::digest(bytes)) != hex_digest {
            return Err(StoreError::BadImage { path, reason: "the bytes do not match their digest".into() });
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| StoreError::Io { path: parent.into(), source })?;
        }
        write_atomically(&path, bytes)
    }

    /// Saves a copied image as `name`, once it parses and every blob it
    /// names is here (so a crash never leaves an image without its bytes).
    ///
    /// # Errors
    /// A bad name or image, a blob missing, or the disk refused.
    pub fn put_image(&self, name: &str, image: &[u8]) -> Result<(), StoreError> {
        check_name(name)?;
        for blob in Store::blobs_of(image)? {
            if !self.has_blob(&blob) {
                return Err(StoreError::BadImage {
                    path: self.image_path(name),
                    reason: format!("blob {blob} missing"),
                });
            }
        }
        write_atomically(&self.image_path(name), image)
    }

    fn blob_path_checked(&self, hex_digest: &str) -> Result<PathBuf, StoreError> {
        if !is_digest(hex_digest) {
            return Err(StoreError::BadImage { path: PathBuf::from(hex_digest), reason: "not a sha256".into() });
        }
        Ok(self.blob_path(hex_digest))
    }

    fn image_path(&self, name: &str) -> PathBuf {
        self.dir.join("images").join(format!("{name}.json"))
    }

    fn blob_path(&self, hex: &str) -> PathBuf {
        self.dir.join("blobs").join(&hex[..2]).join(hex)
    }

    /// Writes `bytes`' blob unless it is there; returns its digest.
    fn save_blob(&self, bytes: &SharedBytes) -> Result<[u8; 32], StoreError> {
        let key = (bytes.as_ptr() as usize, bytes.len());
        let remembered = {
            let digests = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
            digests.get(&key).map(|(_, digest)| *digest)
        };
        let digest = match remembered.or(bytes.sha256()) {
            Some(digest) => digest,
            None => Sha256::digest(&bytes[..]).into(),
        };
        let path = self.blob_path(&hex::encode(digest));
        if remembered.is_none() && !path.exists() {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|source| StoreError::Io { path: parent.into(), source })?;
            }
            write_atomically(&path, bytes)?;
        }
        if remembered.is_none() && bytes.is_shared() {
            let mut digests = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
            digests.insert(key, (bytes.clone(), digest));
        }
        Ok(digest)
    }

    /// Lets go of remembered digests whose bytes no VM holds any more.
    fn forget_unshared(&self) {
        let mut digests = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
        digests.retain(|_, (bytes, _)| bytes.is_shared());
    }

    fn load_blob(&self, hex_digest: &str) -> Result<SharedBytes, StoreError> {
        let bad = |reason: &str| StoreError::BadImage { path: PathBuf::from(hex_digest), reason: reason.into() };
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex_digest, &mut digest).map_err(|_| bad("not a sha256"))?;
        if let Some(bytes) = self.known.lock().unwrap_or_else(PoisonError::into_inner).get(&digest) {
            return Ok(bytes.clone());
        }
        let path = self.blob_path(hex_digest);
        let bytes = fs::read(&path).map_err(|source| StoreError::Io { path: path.clone(), source })?;
        if <[u8; 32]>::from(Sha256::digest(&bytes)) != digest {
            return Err(StoreError::BadImage { path, reason: "the blob does not match its digest".into() });
        }
        Ok(SharedBytes::from(bytes))
    }
}

/// Whether `text` is a sha256 in hex, as blobs are named.
fn is_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Names are file names: no separators, no dots, bounded.
fn check_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(StoreError::BadName(name.into())) }
}

/// Writes `bytes` to `path` so that `path` is either as before or whole:
/// a temporary file beside it, fsynced, renamed over it, the directory
/// fsynced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let dir = path.parent().ok_or_else(|| StoreError::Io {
        path: path.into(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "no parent directory"),
    })?;
    // Unique per writer: two threads may save the same blob at once.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = File::create(&tmp).map_err(io_err(&tmp))?;
    file.write_all(bytes).map_err(io_err(&tmp))?;
    file.sync_all().map_err(io_err(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_err(path))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}
