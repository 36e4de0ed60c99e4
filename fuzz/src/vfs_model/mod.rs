//! `vfs_model`: sequences of VFS operations, run as root and as uid 1000 on a
//! fresh kernel VFS and on a reference model ([`model`]), compared after every
//! operation. Invariants checked on every input:
//!
//! - the kernel never panics;
//! - results agree with the model (success or an error the model allows; read
//!   bytes, stat, readlink and directory listings; inode identity: two names
//!   are the same inode in the kernel exactly when they are in the model);
//! - every timestamp reads 0 (no clock grant);
//! - `..` never leaves the VM root, and nothing beneath a directory handle
//!   escapes it (the model's resolver encodes both; `stat` results must name
//!   nodes of the model);
//! - quota use equals the model's after every operation, never exceeds the
//!   quota, and is back to zero once every handle is closed and every name removed;
//! - the read-only host mount is never modified and nothing is created beside it.

pub mod input;
pub mod model;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use capsa_kernel::{
    Cred, FileType, KernelError as E, Layer, LayerBuilder, Meta, Mount, OpenFile, OpenOptions, Quota, Stat, Vfs,
    VfsConfig,
};

use crate::fixture::{Entry, HostFixture};
use input::{Base, Input, Op, SLOTS};
use model::{Body, Expect, Handle, HostNode, Id, LayerNode, Model, ROOT};

/// The quota of the VM's writable layer: small, so that it is hit.
pub const QUOTA: Quota = Quota { max_bytes: 600, max_inodes: 10 };

struct Context {
    fixture: HostFixture,
    ro_dir: cap_std::fs::Dir,
    layer: Arc<Layer>,
    layer_nodes: Vec<LayerNode>,
    host_nodes: Vec<HostNode>,
}

/// The read-only layer under the VM: a world-writable directory `/b` holding a
/// root-owned file and a symlink, and a directory `/c` owned by uid 1000.
fn layer() -> (Arc<Layer>, Vec<LayerNode>) {
    let nodes: Vec<LayerNode> = vec![
        ("b", Body::Dir { entries: Default::default(), parent: ROOT }, 0o777, 0),
        ("b/a", Body::File { data: b"layer file\n".to_vec(), owned: false }, 0o644, 0),
        ("b/c", Body::Symlink("../tmp".into()), 0o777, 0),
        ("c", Body::Dir { entries: Default::default(), parent: ROOT }, 0o755, 1000),
        ("c/c", Body::File { data: b"user's layer file\n".to_vec(), owned: false }, 0o600, 1000),
    ];
    let mut builder = LayerBuilder::new();
    for (path, body, mode, uid) in &nodes {
        let path = format!("/{path}");
        let meta = Meta { mode: *mode, uid: *uid, gid: *uid };
        match body {
            Body::Dir { .. } => builder.dir(&path, meta).map(drop),
            Body::File { data, .. } => builder.file(&path, Arc::from(data.as_slice()), meta).map(drop),
            Body::Symlink(target) => builder.symlink(&path, target).map(drop),
            Body::Device(_) => unreachable!(),
        }
        .expect("layer");
    }
    (builder.build(), nodes)
}

/// The host mount as the model needs it, read from the host itself.
fn scan_host(fixture: &HostFixture) -> Vec<HostNode> {
    use std::os::unix::fs::MetadataExt;
    crate::fixture::snapshot(&fixture.ro)
        .into_iter()
        .map(|(path, entry)| {
            let meta = std::fs::symlink_metadata(fixture.ro.join(&path)).expect("host stat");
            let body = match entry {
                Entry::File { bytes, .. } => Body::File { data: bytes, owned: false },
                Entry::Dir { .. } => Body::Dir { entries: Default::default(), parent: ROOT },
                Entry::Symlink { target } => Body::Symlink(target.to_string_lossy().into_owned()),
                Entry::Other => panic!("unexpected host file type"),
            };
            HostNode {
                path: path.to_string_lossy().into_owned(),
                body,
                mode: meta.mode() & 0o7777,
                nlink: meta.nlink(),
            }
        })
        .collect()
}

fn context() -> &'static Context {
    static CONTEXT: OnceLock<Context> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let fixture = HostFixture::create("vfs_model", false);
        let ro_dir = fixture.ro_dir();
        let (layer, layer_nodes) = layer();
        let host_nodes = scan_host(&fixture);
        Context { fixture, ro_dir, layer, layer_nodes, host_nodes }
    })
}

/// Runs one input; panics on any divergence or broken invariant.
pub fn run(input: &Input) {
    let ctx = context();
    let mount = Mount { guest_path: "/ro".into(), dir: ctx.ro_dir.try_clone().expect("dup ro dir"), read_only: true };
    let vfs = Vfs::new(VfsConfig {
        layers: vec![ctx.layer.clone()],
        mounts: vec![mount],
        quota: QUOTA,
        real_time: false,
        entropy: false,
    })
    .expect("boot vfs");
    let model = Model::new(&ctx.layer_nodes, &ctx.host_nodes, QUOTA.max_bytes, QUOTA.max_inodes);
    let root = vfs.root();
    let mut h = Harness { vfs, root, slots: Default::default(), model, inos: Default::default(), log: Vec::new() };
    h.check_usage("boot");
    for op in &input.ops {
        h.log.push(format!("{op:?}"));
        h.step(op);
        h.check_usage("after the operation");
    }
    h.teardown();
    ctx.fixture.check();
}

/// Kernel and model side by side.
struct Harness {
    vfs: Arc<Vfs>,
    root: Arc<OpenFile>,
    slots: [Option<(Arc<OpenFile>, Handle)>; SLOTS],
    model: Model,
    /// Inode identity: model node ↔ kernel `(dev, ino)`, learned on first sight.
    inos: Inos,
    log: Vec<String>,
}

#[derive(Default)]
struct Inos {
    by_model: HashMap<Id, (u64, u64)>,
    by_kernel: HashMap<(u64, u64), Id>,
}

fn cred(user: bool) -> Cred {
    if user { Cred::user(1000, 1000) } else { Cred::root() }
}

impl Harness {
    fn fail(&self, what: String) -> ! {
        let mut tree = String::new();
        for (id, node) in &self.model.nodes {
            tree.push_str(&format!("  {id}: {node:?}\n"));
        }
        panic!("vfs_model divergence: {what}\noperations so far:\n  {}\nmodel:\n{tree}", self.log.join("\n  "));
    }

    /// The kernel and model bases for a path operation.
    fn base(&self, base: Base) -> (Arc<OpenFile>, Result<Id, E>) {
        match base {
            Base::Slot(s) if self.slots[s].is_some() => {
                let (file, handle) = self.slots[s].as_ref().expect("slot");
                let model = if self.model.is_dir(handle.id) { Ok(handle.id) } else { Err(E::NotDir) };
                (file.clone(), model)
            }
            Base::Root | Base::Slot(_) => (self.root.clone(), Ok(ROOT)),
        }
    }

    /// Compares a kernel result with what the model expects; returns the
    /// model's value when the operation succeeded.
    fn judge<T: std::fmt::Debug, K: std::fmt::Debug>(&self, expect: Expect<T>, got: &Result<K, E>) -> Option<T> {
        let ok = match (&expect, got) {
            (Expect::Ok(_) | Expect::OkOrErr(..), Ok(_)) => true,
            (Expect::Err(errs) | Expect::OkOrErr(_, errs), Err(e)) if errs.contains(e) => false,
            (Expect::AnyErr(_), Err(_)) => false,
            _ => self.fail(format!("kernel returned {got:?}, model expected {expect:?}")),
        };
        match expect {
            Expect::Ok(value) | Expect::OkOrErr(value, _) if ok => Some(value),
            _ => None,
        }
    }

    /// Checks a kernel `Stat` against the model and records inode identity.
    fn compare_stat(&mut self, view: &model::StatView, stat: &Stat) {
        let same = stat.dev == view.dev
            && stat.file_type == view.file_type
            && view.nlink.is_none_or(|n| n == stat.nlink)
            && (view.nlink.is_some() || stat.nlink > 0)
            && view.size.is_none_or(|s| s == stat.size)
            && stat.mode == view.mode
            && stat.uid == view.uid
            && stat.gid == view.gid;
        if !same {
            self.fail(format!("stat {stat:?} does not match the model's {view:?}"));
        }
        if (stat.atime, stat.mtime, stat.ctime) != (0, 0, 0) {
            self.fail(format!("a time is visible without the clock grant: {stat:?}"));
        }
        self.observe(view.id, stat.dev, stat.ino);
    }

    fn observe(&mut self, id: Id, dev: u64, ino: u64) {
        let known_kernel = self.inos.by_model.get(&id).copied();
        let known_model = self.inos.by_kernel.get(&(dev, ino)).copied();
        match (known_kernel, known_model) {
            (None, None) => {
                self.inos.by_model.insert(id, (dev, ino));
                self.inos.by_kernel.insert((dev, ino), id);
            }
            (Some(k), Some(m)) if k == (dev, ino) && m == id => {}
            _ => self.fail(format!(
                "inode identity: model node {id} is kernel {:?}, kernel ({dev}, {ino}) is model {:?}",
                known_kernel, known_model
            )),
        }
    }

    fn check_usage(&self, when: &str) {
        let usage = self.vfs.usage();
        let (bytes, inodes) = self.model.usage();
        if (usage.bytes, usage.inodes) != (bytes, inodes) {
            self.fail(format!("{when}: kernel quota use {usage:?}, model ({bytes} bytes, {inodes} inodes)"));
        }
        if usage.bytes > QUOTA.max_bytes || usage.inodes > QUOTA.max_inodes {
            self.fail(format!("{when}: quota use {usage:?} exceeds the quota {QUOTA:?}"));
        }
    }

    fn close(&mut self, slot: usize) {
        if let Some((file, handle)) = self.slots[slot].take() {
            drop(file);
            self.model.close(handle.id);
        }
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Open { user, base, path, flags, mode, slot } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let opts = OpenOptions {
                    read: flags.read,
                    write: flags.write,
                    create: flags.create,
                    exclusive: flags.exclusive,
                    truncate: flags.truncate,
                    directory: flags.directory,
                    follow: flags.follow,
                    append: flags.append,
                    nonblock: false,
                    mode: *mode,
                };
                let got = self.vfs.open_at(&cred(*user), &dir, &path, opts);
                let expect = self.model.open(&cred(*user), mbase, &path, flags, *mode);
                if let Some(effect) = self.judge(expect, &got) {
                    let id = self.model.apply_open(effect);
                    let handle = Handle { id, readable: flags.read, writable: flags.write, append: flags.append };
                    let file = got.expect("judged ok");
                    if let Ok(stat) = file.stat() {
                        let view = self.model.stat_view(id);
                        self.compare_stat(&view, &stat);
                    } else {
                        self.fail("stat of a freshly opened handle failed".into());
                    }
                    self.close(*slot);
                    self.slots[*slot] = Some((file, handle));
                }
            }
            Op::Write { slot, offset, data } => {
                let Some((file, handle)) = self.slots[*slot].clone() else { return };
                let got = file.pwrite(data, *offset);
                let expect = self.model.write(&handle, *offset, data);
                if let Some((count, m)) = self.judge(expect, &got) {
                    if got != Ok(count) {
                        self.fail(format!("pwrite wrote {got:?}, model {count}"));
                    }
                    self.model.apply(m);
                }
            }
            Op::Read { slot, offset, len } => {
                let Some((file, handle)) = self.slots[*slot].clone() else { return };
                let mut buf = vec![0u8; *len];
                let got = file.pread(&mut buf, *offset);
                let expect = self.model.read(&handle, *offset, *len);
                if let Some(bytes) = self.judge(expect, &got) {
                    let n = got.expect("judged ok");
                    if buf[..n] != bytes[..] {
                        self.fail(format!("pread returned {:?}, model {bytes:?}", &buf[..n]));
                    }
                }
            }
            Op::Truncate { slot, size } => {
                let Some((file, handle)) = self.slots[*slot].clone() else { return };
                let got = file.set_size(*size);
                let expect = self.model.truncate(&handle, *size);
                if let Some(m) = self.judge(expect, &got) {
                    self.model.apply(m);
                }
            }
            Op::Mkdir { user, base, path, mode } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let got = self.vfs.mkdir_at(&cred(*user), &dir, &path, *mode);
                let expect = self.model.mkdir(&cred(*user), mbase, &path, *mode);
                self.judge_apply(expect, &got);
            }
            Op::Rmdir { user, base, path } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let got = self.vfs.rmdir_at(&cred(*user), &dir, &path);
                let expect = self.model.rmdir(&cred(*user), mbase, &path);
                self.judge_apply(expect, &got);
            }
            Op::Unlink { user, base, path } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let got = self.vfs.unlink_at(&cred(*user), &dir, &path);
                let expect = self.model.unlink(&cred(*user), mbase, &path);
                self.judge_apply(expect, &got);
            }
            Op::Rename { user, base, old, new_base, new } => {
                let (old_dir, old_mbase) = self.base(*base);
                let (new_dir, new_mbase) = self.base(*new_base);
                let (old, new) = (old.render(), new.render());
                let got = self.vfs.rename_at(&cred(*user), &old_dir, &old, &new_dir, &new);
                let expect = self.model.rename(&cred(*user), old_mbase, &old, new_mbase, &new);
                self.judge_apply(expect, &got);
            }
            Op::Link { user, follow, base, old, new_base, new } => {
                let (old_dir, old_mbase) = self.base(*base);
                let (new_dir, new_mbase) = self.base(*new_base);
                let (old, new) = (old.render(), new.render());
                let got = self.vfs.link_at(&cred(*user), &old_dir, &old, *follow, &new_dir, &new);
                let expect = self.model.link(&cred(*user), old_mbase, &old, *follow, new_mbase, &new);
                self.judge_apply(expect, &got);
            }
            Op::Symlink { user, target, base, path } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let got = self.vfs.symlink_at(&cred(*user), target, &dir, &path);
                let expect = self.model.symlink(&cred(*user), target, mbase, &path);
                self.judge_apply(expect, &got);
            }
            Op::Readlink { user, base, path } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let got = self.vfs.readlink_at(&cred(*user), &dir, &path);
                let expect = self.model.readlink(&cred(*user), mbase, &path);
                if let Some(target) = self.judge(expect, &got)
                    && got.as_ref().ok() != Some(&target)
                {
                    self.fail(format!("readlink gave {got:?}, model {target:?}"));
                }
            }
            Op::Stat { user, follow, base, path } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let got = self.vfs.stat_at(&cred(*user), &dir, &path, *follow);
                let expect = self.model.stat(&cred(*user), mbase, &path, *follow);
                if let Some(view) = self.judge(expect, &got) {
                    self.compare_stat(&view, &got.expect("judged ok"));
                }
            }
            Op::Chmod { user, follow, base, path, mode } => {
                let (dir, mbase) = self.base(*base);
                let path = path.render();
                let got = self.vfs.set_mode_at(&cred(*user), &dir, &path, *follow, *mode);
                let expect = self.model.chmod(&cred(*user), mbase, &path, *follow, *mode);
                self.judge_apply(expect, &got);
            }
            Op::Readdir { slot } => {
                let Some((file, handle)) = self.slots[*slot].clone() else { return };
                let got = file.readdir(0);
                let expect = self.model.readdir(&handle);
                if let Some(entries) = self.judge(expect, &got) {
                    let got = got.expect("judged ok");
                    let names: Vec<(&str, FileType)> = got.iter().map(|e| (e.name.as_str(), e.file_type)).collect();
                    let want: Vec<(&str, FileType)> = entries.iter().map(|e| (e.name.as_str(), e.file_type)).collect();
                    if names != want {
                        self.fail(format!("readdir listed {names:?}, model {want:?}"));
                    }
                    for (i, (entry, view)) in got.iter().zip(&entries).enumerate() {
                        if entry.next_cookie != i as u64 + 1 {
                            self.fail(format!("readdir cookie {} at position {i}", entry.next_cookie));
                        }
                        if let Some((dev, id)) = view.id {
                            self.observe(id, dev, entry.ino);
                        }
                    }
                    let rest = file.readdir(2);
                    if rest.as_ref().map(|r| r.len()) != Ok(got.len() - 2) {
                        self.fail(format!("readdir from cookie 2 gave {rest:?}"));
                    }
                }
            }
            Op::Close { slot } => self.close(*slot),
            Op::Fstat { slot } => {
                let Some((file, handle)) = self.slots[*slot].clone() else { return };
                match file.stat() {
                    Ok(stat) => {
                        let view = self.model.stat_view(handle.id);
                        self.compare_stat(&view, &stat);
                    }
                    Err(e) => self.fail(format!("fstat failed: {e:?}")),
                }
            }
        }
    }

    fn judge_apply(&mut self, expect: Expect<model::Mutation>, got: &Result<(), E>) {
        if let Some(m) = self.judge(expect, got) {
            self.model.apply(m);
        }
    }

    /// Closes every handle, removes every name (as root), and checks that the
    /// quota is back to zero and only the mount point is left.
    fn teardown(&mut self) {
        for slot in 0..SLOTS {
            self.close(slot);
        }
        self.log.push("teardown".into());
        self.check_usage("after closing every handle");
        let root = Cred::root();
        for (path, is_dir) in self.model.teardown_order() {
            let (got, expect) = if is_dir {
                (self.vfs.rmdir_at(&root, &self.root, &path), self.model.rmdir(&root, Ok(ROOT), &path))
            } else {
                (self.vfs.unlink_at(&root, &self.root, &path), self.model.unlink(&root, Ok(ROOT), &path))
            };
            if got.is_err() {
                self.fail(format!("teardown: removing {path} failed: {got:?}"));
            }
            self.judge_apply(expect, &got);
        }
        let usage = self.vfs.usage();
        if (usage.bytes, usage.inodes) != (0, 0) {
            self.fail(format!("quota use {usage:?} after removing everything"));
        }
        let names: Vec<String> = self.root.readdir(0).expect("readdir /").into_iter().map(|e| e.name).collect();
        if names != [".", "..", "ro"] {
            self.fail(format!("after removing everything / holds {names:?}"));
        }
    }
}
