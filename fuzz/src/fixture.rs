//! The host directories a target mounts into its VMs, and the checks that a
//! guest never changed what it must not: a read-only mount is compared with a
//! snapshot taken at startup, and a sentinel directory beside the mounts must
//! stay empty (nothing may be created outside a mount's own directory).
//!
//! Layout, created once per fuzzing process under the system temp dir:
//!
//! ```text
//! capsa-fuzz-<target>-<pid>/
//!     ro/          mounted read-only: never modified
//!     rw/          mounted read-write (targets that ask for it): reset per input
//!     sentinel/    never mounted: stays empty
//! ```
//!
//! Directories left by earlier processes that have exited are removed at startup.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

/// One file of a host tree as the checks compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File { mode: u32, bytes: Vec<u8> },
    Dir { mode: u32 },
    Symlink { target: PathBuf },
    Other,
}

/// A host tree, by path relative to its root (symlinks are not followed).
pub type Snapshot = BTreeMap<PathBuf, Entry>;

/// Contents of the read-only mount: `(path, what)`; `what` is file bytes, `/` for
/// a directory, or `-> target` for a symlink.
pub const RO_TREE: &[(&str, &str)] = &[
    ("a", "host file a\n"),
    ("b", "/"),
    ("b/c", "host file b/c"),
    // A relative symlink that climbs out of the mount: inside the VM it leads
    // to the VM's own /b (beneath the VM root) or is refused (beneath the mount).
    ("c", "-> ../b"),
    ("b/a", "-> /tmp"),
    ("tmp", "-> b/c"),
];

/// Initial contents of the read-write mount, restored before every input.
pub const RW_TREE: &[(&str, &str)] = &[("a", "rw file a\n"), ("b", "/"), ("b/c", "rw file b/c"), ("c", "-> b")];

/// The host directories of one fuzzing process.
#[derive(Debug)]
pub struct HostFixture {
    pub base: PathBuf,
    pub ro: PathBuf,
    pub rw: Option<PathBuf>,
    pub sentinel: PathBuf,
    ro_snapshot: Snapshot,
}

impl HostFixture {
    /// Creates the directories for `target`; `with_rw` adds the read-write mount.
    pub fn create(target: &str, with_rw: bool) -> HostFixture {
        let tmp = std::env::temp_dir();
        sweep_stale(&tmp, target);
        let base = tmp.join(format!("capsa-fuzz-{target}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).expect("create fixture dir");
        let ro = base.join("ro");
        let sentinel = base.join("sentinel");
        fs::create_dir(&ro).expect("create ro");
        fs::create_dir(&sentinel).expect("create sentinel");
        populate(&ro, RO_TREE);
        let rw = with_rw.then(|| {
            let rw = base.join("rw");
            fs::create_dir(&rw).expect("create rw");
            populate(&rw, RW_TREE);
            rw
        });
        let ro_snapshot = snapshot(&ro);
        HostFixture { base, ro, rw, sentinel, ro_snapshot }
    }

    /// A capability on the read-only directory (the only ambient-authority
    /// open of the harness, as in the runtime's `host.rs`).
    pub fn ro_dir(&self) -> cap_std::fs::Dir {
        cap_std::fs::Dir::open_ambient_dir(&self.ro, cap_std::ambient_authority()).expect("open ro")
    }

    /// A capability on the read-write directory.
    pub fn rw_dir(&self) -> cap_std::fs::Dir {
        let rw = self.rw.as_ref().expect("fixture has no rw dir");
        cap_std::fs::Dir::open_ambient_dir(rw, cap_std::ambient_authority()).expect("open rw")
    }

    /// Panics unless the read-only tree is exactly as it was at startup, the
    /// sentinel is empty and the fixture dir holds nothing new.
    pub fn check(&self) {
        let now = snapshot(&self.ro);
        if now != self.ro_snapshot {
            panic!("the read-only mount was modified:\nbefore: {:#?}\nafter: {now:#?}", self.ro_snapshot);
        }
        let sentinel: Vec<_> = fs::read_dir(&self.sentinel).expect("read sentinel").collect();
        assert!(sentinel.is_empty(), "something was created in the sentinel dir outside the mounts: {sentinel:?}");
        let mut names: Vec<String> = fs::read_dir(&self.base)
            .expect("read fixture dir")
            .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let expected: &[&str] = if self.rw.is_some() { &["ro", "rw", "sentinel"] } else { &["ro", "sentinel"] };
        assert_eq!(names, expected, "something was created beside the mounts");
    }

    /// Restores the read-write tree to [`RW_TREE`].
    pub fn reset_rw(&self) {
        let Some(rw) = &self.rw else { return };
        for entry in fs::read_dir(rw).expect("read rw") {
            remove_tree(&entry.expect("rw entry").path());
        }
        populate(rw, RW_TREE);
    }
}

/// Creates `tree` under `root`.
fn populate(root: &Path, tree: &[(&str, &str)]) {
    for (path, what) in tree {
        let full = root.join(path);
        if *what == "/" {
            fs::create_dir(&full).expect("fixture dir");
            fs::set_permissions(&full, fs::Permissions::from_mode(0o755)).expect("chmod");
        } else if let Some(target) = what.strip_prefix("-> ") {
            symlink(target, &full).expect("fixture symlink");
        } else {
            fs::write(&full, what.as_bytes()).expect("fixture file");
            let mode = if path.contains('/') { 0o600 } else { 0o644 };
            fs::set_permissions(&full, fs::Permissions::from_mode(mode)).expect("chmod");
        }
    }
}

/// Removes `path` without following symlinks, whatever modes a guest left.
fn remove_tree(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else { return };
    if meta.is_dir() {
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o700));
        if let Ok(entries) = fs::read_dir(path) {
            for entry in entries.flatten() {
                remove_tree(&entry.path());
            }
        }
        fs::remove_dir(path).expect("remove rw dir");
    } else {
        fs::remove_file(path).expect("remove rw file");
    }
}

/// Every entry under `root`, symlinks not followed.
pub fn snapshot(root: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    walk(root, Path::new(""), &mut out);
    out
}

fn walk(root: &Path, rel: &Path, out: &mut Snapshot) {
    let full = root.join(rel);
    let meta = fs::symlink_metadata(&full).expect("snapshot stat");
    let mode = meta.permissions().mode() & 0o7777;
    let entry = if meta.file_type().is_symlink() {
        Entry::Symlink { target: fs::read_link(&full).expect("snapshot readlink") }
    } else if meta.is_dir() {
        let mut names: Vec<_> =
            fs::read_dir(&full).expect("snapshot readdir").map(|e| e.expect("entry").file_name()).collect();
        names.sort();
        for name in names {
            walk(root, &rel.join(name), out);
        }
        Entry::Dir { mode }
    } else if meta.is_file() {
        Entry::File { mode, bytes: fs::read(&full).expect("snapshot read") }
    } else {
        Entry::Other
    };
    out.insert(rel.to_path_buf(), entry);
}

/// Removes fixture dirs of `target` left by processes that no longer exist.
fn sweep_stale(tmp: &Path, target: &str) {
    let prefix = format!("capsa-fuzz-{target}-");
    let Ok(entries) = fs::read_dir(tmp) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(&prefix) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
