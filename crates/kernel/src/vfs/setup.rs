//! Building a VFS: the empty upper layer over the read-only layers, `/dev`,
//! `/tmp` and the mount points. Only the root directory (and the few
//! directories on the way to `/dev`, `/tmp` and mount points) is
//! materialized, so booting costs nothing per layer file.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::budget::Budget;
use crate::error::{KernelError, Result};
use crate::layer::Meta;
use crate::vfs::inode::{Body, DeviceKind, DirData, ROOT_INO, State};
use crate::vfs::{MountEntry, Vfs, VfsConfig};

/// The devices under `/dev`.
const DEVICES: [(&str, DeviceKind); 8] = [
    ("null", DeviceKind::Null),
    ("zero", DeviceKind::Zero),
    ("full", DeviceKind::Full),
    ("urandom", DeviceKind::Urandom),
    ("random", DeviceKind::Random),
    ("stdin", DeviceKind::Stdin),
    ("stdout", DeviceKind::Stdout),
    ("stderr", DeviceKind::Stderr),
];

/// The highest `N` of `/dev/fd/N`.
const MAX_DEV_FD: u8 = 63;

/// `Stat::dev` of the first host mount; the next ones count up from here.
const FIRST_MOUNT_DEV: u64 = 2;

pub(super) fn build(config: VfsConfig, budget: Arc<Budget>) -> Result<Arc<Vfs>> {
    let layers = config.layers.iter().map(|layer| layer.root.clone()).collect();
    let mut st = State::new(layers, config.quota, config.real_time);
    // A snapshot's files are the VM's from the start: charged now, in full,
    // and given back one by one as they are removed.
    for layer in &config.layers {
        st.usage.bytes = st.usage.bytes.saturating_add(layer.usage.bytes);
        st.usage.inodes = st.usage.inodes.saturating_add(layer.usage.inodes);
    }
    if st.usage.bytes > config.quota.max_bytes || st.usage.inodes > config.quota.max_inodes {
        return Err(KernelError::NoSpace);
    }

    let dev = ensure_dir(&mut st, &["dev"])?;
    for (name, kind) in DEVICES {
        add_device(&mut st, dev, name, kind)?;
    }
    // `/dev/fd/N` for the fds a shell hands out (bash's process
    // substitutions count down from 63).
    let fd_dir = ensure_dir(&mut st, &["dev", "fd"])?;
    for n in 0..=MAX_DEV_FD {
        add_device(&mut st, fd_dir, &n.to_string(), DeviceKind::Fd(n))?;
    }
    let tmp = ensure_dir(&mut st, &["tmp"])?;
    st.get_mut(tmp)?.mode = 0o1777;

    let mut mounts: Vec<MountEntry> = Vec::new();
    let mut points: Vec<Vec<&str>> = Vec::new();
    let mut detached = false;
    for (index, mount) in config.mounts.iter().enumerate() {
        let dev = FIRST_MOUNT_DEV.checked_add(index as u64).ok_or(KernelError::Invalid)?;
        let point = if mount.guest_path == "/" {
            // At most one host directory can stand for `/`.
            if std::mem::replace(&mut detached, true) {
                return Err(KernelError::Invalid);
            }
            None
        } else {
            let names = mount_names(&mount.guest_path)?;
            let overlaps = |other: &Vec<&str>| other.starts_with(&names) || names.starts_with(other);
            if points.iter().any(overlaps) {
                return Err(KernelError::Invalid);
            }
            let point = ensure_dir(&mut st, &names)?;
            st.get_mut(point)?.dir_mut()?.mount = Some(index);
            points.push(names);
            Some(point)
        };
        mounts.push(MountEntry { dir: mount.dir.try_clone()?, read_only: mount.read_only, dev, point });
    }
    Ok(Arc::new(Vfs { state: Mutex::new(st), mounts, real_time: config.real_time, entropy: config.entropy, budget }))
}

/// A device node `name` in `dir`, root-owned 0666, replacing what a layer
/// had there; not charged to the quota.
fn add_device(st: &mut State, dir: u64, name: &str, kind: DeviceKind) -> Result<()> {
    let ino = st.alloc(Meta::root(0o666), Body::Device(kind), false)?;
    if st.lookup(dir, name)?.is_some() {
        st.unlink_name(dir, name)?;
    }
    st.link_into(dir, name, ino)
}

/// The components of an attached mount point: absolute, not the root (that
/// is a detached mount), no `.` or `..`.
fn mount_names(path: &str) -> Result<Vec<&str>> {
    if !path.starts_with('/') || path.contains('\0') {
        return Err(KernelError::Invalid);
    }
    let names: Vec<&str> = path.split('/').filter(|name| !name.is_empty()).collect();
    if names.is_empty() || names.iter().any(|name| *name == "." || *name == "..") {
        return Err(KernelError::Invalid);
    }
    Ok(names)
}

/// `mkdir -p` from the root, root-owned 0755, not charged to the quota.
fn ensure_dir(st: &mut State, names: &[&str]) -> Result<u64> {
    let mut dir = ROOT_INO;
    for name in names {
        dir = match st.lookup(dir, name)? {
            Some(ino) if st.get(ino)?.is_dir() => ino,
            Some(_) => return Err(KernelError::NotDir),
            None => {
                let data = DirData { entries: BTreeMap::new(), parent: dir, pending: Vec::new(), mount: None };
                let ino = st.alloc(Meta::root(0o755), Body::Dir(data), false)?;
                st.link_into(dir, name, ino)?;
                ino
            }
        };
    }
    Ok(dir)
}
