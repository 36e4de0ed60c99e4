//! Snapshots: a VM's own filesystem frozen into a [`Layer`]. A new VM
//! booted with the snapshot as its top layer sees exactly the tree this VM
//! saw — its root hides every layer below — and starts charged with what
//! this VM owned, so restoring never widens a disk budget.
//!
//! Nothing is copied: layer files keep their shared bytes, and the VM's own
//! files are frozen in place (their bytes become shared, and the VM's next
//! write to one copies it, as for a layer's file). What a snapshot leaves
//! out: devices (every VM makes its own `/dev`), what host mounts show (a
//! mount point is kept as an empty directory), files open but unlinked, and
//! hard links (each name becomes a file of its own, each charged).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bytes::SharedBytes;
use crate::error::Result;
use crate::layer::{Layer, LayerDir, LayerNode, Meta, Stamp};
use crate::vfs::inode::{Body, Contents, Inode, ROOT_INO, State};
use crate::vfs::{Usage, Vfs};

impl Vfs {
    /// The VM's own filesystem as it is now, as a layer (see the module doc).
    ///
    /// # Errors
    /// Only if the inode table were inconsistent.
    pub fn snapshot(&self) -> Result<Arc<Layer>> {
        let mut st = self.lock();
        let mut usage = Usage::default();
        let mut root = freeze_dir(&mut st, ROOT_INO, &mut usage)?;
        root.opaque = true;
        Ok(Arc::new(Layer { root: Arc::new(root), usage }))
    }
}

/// Directory `ino` as a layer directory, walking it without recursion on
/// the host stack (a guest can nest directories deeper than a stack).
fn freeze_dir(st: &mut State, ino: u64, usage: &mut Usage) -> Result<LayerDir> {
    /// A directory being built, and the entries still to visit.
    struct Frame {
        name: String,
        dir: LayerDir,
        todo: Vec<(String, u64)>,
    }
    let start = |st: &mut State, name: String, ino: u64| -> Result<Frame> {
        let (dir, todo) = open_dir(st, ino)?;
        Ok(Frame { name, dir, todo })
    };
    let root = start(st, String::new(), ino)?;
    add_layer_usage(usage, &root.dir);
    let mut stack = vec![root];
    loop {
        let Some(frame) = stack.last_mut() else { return Ok(LayerDir::default()) };
        match frame.todo.pop() {
            Some((name, child)) => {
                let inode = st.get(child)?;
                let stamp = stamp_of(inode);
                let meta = meta_of(inode);
                let is_dir = inode.is_dir();
                if is_dir {
                    add(usage, stamp);
                    let frame = start(st, name, child)?;
                    // What a directory never looked at holds is still its
                    // layers': charged as their stamps say (a restored
                    // snapshot's), nothing for a host's layer.
                    add_layer_usage(usage, &frame.dir);
                    stack.push(frame);
                    continue;
                }
                if let Some(node) = freeze_leaf(st, child, meta, stamp)? {
                    add(usage, stamp);
                    frame.dir.entries.insert(name, node);
                }
            }
            None => {
                let Some(done) = stack.pop() else { return Ok(LayerDir::default()) };
                match stack.last_mut() {
                    Some(parent) => {
                        parent.dir.entries.insert(done.name, LayerNode::Dir(Arc::new(done.dir)));
                    }
                    None => return Ok(done.dir),
                }
            }
        }
    }
}

/// A directory's own layer entry (meta, stamp) and its children to visit.
/// One never looked at is still its layers' directories: those are shared
/// as they are, merged if several. A mount point shows nothing of the host.
fn open_dir(st: &mut State, ino: u64) -> Result<(LayerDir, Vec<(String, u64)>)> {
    let inode = st.get(ino)?;
    let mut dir = LayerDir { meta: Some(meta_of(inode)), stamp: stamp_of(inode), ..LayerDir::default() };
    let data = inode.dir()?;
    if data.mount.is_some() {
        return Ok((dir, Vec::new()));
    }
    if data.entries.is_empty() && !data.pending.is_empty() {
        dir.entries = merge(&data.pending).entries.clone();
        return Ok((dir, Vec::new()));
    }
    st.materialize(ino)?;
    let todo = st.get(ino)?.dir()?.entries.iter().rev().map(|(name, &child)| (name.clone(), child)).collect();
    Ok((dir, todo))
}

/// A file or symlink as a layer node, its bytes frozen in place; `None`
/// for a device.
fn freeze_leaf(st: &mut State, ino: u64, meta: Meta, stamp: Stamp) -> Result<Option<LayerNode>> {
    let inode = st.get_mut(ino)?;
    Ok(match &mut inode.body {
        Body::File(contents) => {
            if let Contents::Owned(bytes) = contents {
                *contents = Contents::Shared(SharedBytes::from(std::mem::take(bytes)));
            }
            let Contents::Shared(bytes) = contents else { return Ok(None) };
            Some(LayerNode::File { contents: bytes.clone(), meta, stamp })
        }
        Body::Symlink(target) => Some(LayerNode::Symlink { target: target.clone(), meta, stamp }),
        Body::Device(_) | Body::Dir(_) => None,
    })
}

/// Layer directories stacked lowest first, as one (as materializing them
/// would show them).
fn merge(dirs: &[Arc<LayerDir>]) -> Arc<LayerDir> {
    if let [only] = dirs {
        return only.clone();
    }
    let mut stacked: BTreeMap<&str, Vec<&LayerNode>> = BTreeMap::new();
    for dir in dirs {
        if dir.opaque {
            stacked.clear();
        }
        for (name, node) in &dir.entries {
            stacked.entry(name).or_default().push(node);
        }
    }
    let mut merged = LayerDir {
        meta: dirs.iter().rev().find_map(|dir| dir.meta),
        stamp: dirs.last().map(|dir| dir.stamp).unwrap_or_default(),
        ..LayerDir::default()
    };
    for (name, nodes) in stacked {
        // The highest leaf wins; directories above it merge.
        let leaf = nodes.iter().rposition(|node| !matches!(node, LayerNode::Dir(_)));
        let above = leaf.map_or(0, |at| at + 1);
        let children: Vec<Arc<LayerDir>> = nodes[above..]
            .iter()
            .filter_map(|node| match node {
                LayerNode::Dir(dir) => Some(dir.clone()),
                LayerNode::File { .. } | LayerNode::Symlink { .. } => None,
            })
            .collect();
        let node = match (children.is_empty(), leaf) {
            (false, _) => LayerNode::Dir(merge(&children)),
            (true, Some(at)) => nodes[at].clone(),
            (true, None) => continue,
        };
        merged.entries.insert(name.to_string(), node);
    }
    Arc::new(merged)
}

fn meta_of(inode: &Inode) -> Meta {
    Meta { mode: inode.mode, uid: inode.uid, gid: inode.gid }
}

fn stamp_of(inode: &Inode) -> Stamp {
    Stamp { mtime: Some(inode.mtime), bytes: inode.charged, counted: inode.counted }
}

/// Adds the stamps of everything beneath `dir`'s entries.
fn add_layer_usage(usage: &mut Usage, dir: &LayerDir) {
    let mut pending: Vec<&LayerDir> = vec![dir];
    while let Some(dir) = pending.pop() {
        for node in dir.entries.values() {
            match node {
                LayerNode::Dir(child) => {
                    add(usage, child.stamp);
                    pending.push(child);
                }
                LayerNode::File { stamp, .. } | LayerNode::Symlink { stamp, .. } => add(usage, *stamp),
            }
        }
    }
}

fn add(usage: &mut Usage, stamp: Stamp) {
    usage.bytes = usage.bytes.saturating_add(stamp.bytes);
    usage.inodes = usage.inodes.saturating_add(u64::from(stamp.counted));
}
