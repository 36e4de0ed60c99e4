//! Host mounts through cap-std: reads, writes, read-only enforcement,
//! symlinks interpreted inside the VM, cross-device checks.

mod common;

use std::sync::Arc;

use capsa_kernel::{FileType, KernelError, Mount, OpenOptions, SetTime, Vfs, VfsConfig};
use common::*;

fn host_dir(path: &std::path::Path) -> cap_std::fs::Dir {
    cap_std::fs::Dir::open_ambient_dir(path, cap_std::ambient_authority()).unwrap()
}

fn mounted(mounts: Vec<Mount>) -> Arc<Vfs> {
    Vfs::new(VfsConfig { layers: vec![], mounts, quota: quota(), real_time: false, entropy: false }).unwrap()
}

#[test]
fn read_write_mount() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("hello.txt"), b"from host").unwrap();
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    let vfs = mounted(vec![Mount { guest_path: "/data".into(), dir: host_dir(tmp.path()), read_only: false }]);
    let dir = vfs.root();
    let cred = root();
    assert_eq!(read_file(&vfs, &dir, "/data/hello.txt"), b"from host");
    write_file(&vfs, &dir, "/data/sub/new.txt", b"from guest");
    assert_eq!(std::fs::read(tmp.path().join("sub/new.txt")).unwrap(), b"from guest");
    assert_eq!(vfs.usage().bytes, 0, "host bytes are not charged");

    let stat = vfs.stat_at(&cred, &dir, "/data/hello.txt", true).unwrap();
    assert_eq!((stat.uid, stat.gid, stat.size, stat.mtime), (1000, 1000, 9, 0));
    assert_ne!(stat.dev, vfs.stat_at(&cred, &dir, "/tmp", true).unwrap().dev);

    let data = vfs.open_at(&cred, &dir, "/data", read()).unwrap();
    assert_eq!(names(&data), [".", "..", "hello.txt", "sub"]);
    assert_eq!(read_file(&vfs, &data, "sub/../hello.txt"), b"from host");
    assert_eq!(vfs.open_at(&cred, &data, "..", read()).err(), Some(KernelError::NotPermitted));
    assert_eq!(read_file(&vfs, &dir, "/data/../data/hello.txt"), b"from host");

    vfs.mkdir_at(&cred, &dir, "/data/d", 0o755).unwrap();
    vfs.rename_at(&cred, &dir, "/data/sub/new.txt", &dir, "/data/d/moved.txt").unwrap();
    vfs.link_at(&cred, &dir, "/data/d/moved.txt", false, &dir, "/data/d/linked.txt").unwrap();
    vfs.symlink_at(&cred, "moved.txt", &dir, "/data/d/sym").unwrap();
    assert_eq!(vfs.readlink_at(&cred, &dir, "/data/d/sym").unwrap(), "moved.txt");
    assert_eq!(read_file(&vfs, &dir, "/data/d/sym"), b"from guest");
    vfs.set_mode_at(&cred, &dir, "/data/d/moved.txt", true, 0o600).unwrap();
    assert_eq!(vfs.stat_at(&cred, &dir, "/data/d/moved.txt", true).unwrap().mode, 0o600);
    vfs.unlink_at(&cred, &dir, "/data/d/sym").unwrap();
    vfs.unlink_at(&cred, &dir, "/data/d/linked.txt").unwrap();
    vfs.unlink_at(&cred, &dir, "/data/d/moved.txt").unwrap();
    vfs.rmdir_at(&cred, &dir, "/data/d").unwrap();
    assert!(!tmp.path().join("d").exists());
    assert_eq!(vfs.rmdir_at(&cred, &dir, "/data").err(), Some(KernelError::Busy));
    let write_dir = OpenOptions { write: true, ..OpenOptions::default() };
    assert_eq!(vfs.open_at(&cred, &dir, "/data/sub", write_dir).err(), Some(KernelError::IsDir));
}

#[test]
fn read_only_mount_refuses_every_write() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f"), b"x").unwrap();
    std::fs::create_dir(tmp.path().join("d")).unwrap();
    let vfs = mounted(vec![Mount { guest_path: "/ro".into(), dir: host_dir(tmp.path()), read_only: true }]);
    let dir = vfs.root();
    let cred = root();
    let ro = Some(KernelError::ReadOnly);
    assert_eq!(read_file(&vfs, &dir, "/ro/f"), b"x");
    let write = OpenOptions { write: true, ..OpenOptions::default() };
    assert_eq!(vfs.open_at(&cred, &dir, "/ro/f", write).err(), ro);
    let trunc = OpenOptions { read: true, truncate: true, ..OpenOptions::default() };
    assert_eq!(vfs.open_at(&cred, &dir, "/ro/f", trunc).err(), ro);
    assert_eq!(vfs.open_at(&cred, &dir, "/ro/new", create()).err(), ro);
    assert_eq!(vfs.mkdir_at(&cred, &dir, "/ro/new", 0o755).err(), ro);
    assert_eq!(vfs.rmdir_at(&cred, &dir, "/ro/d").err(), ro);
    assert_eq!(vfs.unlink_at(&cred, &dir, "/ro/f").err(), ro);
    assert_eq!(vfs.rename_at(&cred, &dir, "/ro/f", &dir, "/ro/g").err(), ro);
    assert_eq!(vfs.link_at(&cred, &dir, "/ro/f", false, &dir, "/ro/g").err(), ro);
    assert_eq!(vfs.symlink_at(&cred, "f", &dir, "/ro/s").err(), ro);
    assert_eq!(vfs.set_times_at(&cred, &dir, "/ro/f", true, SetTime::Now, SetTime::Now).err(), ro);
    assert_eq!(vfs.set_mode_at(&cred, &dir, "/ro/f", true, 0o777).err(), ro);
    assert_eq!(vfs.set_owner_at(&cred, &dir, "/ro/f", true, Some(0), None).err(), ro);
    let file = vfs.open_at(&cred, &dir, "/ro/f", read()).unwrap();
    assert_eq!(file.set_times(SetTime::Now, SetTime::Keep).err(), ro);
    assert_eq!(file.write(b"y").err(), Some(KernelError::BadFd));
    assert_eq!(file.set_size(0).err(), Some(KernelError::BadFd));
    assert_eq!(std::fs::read(tmp.path().join("f")).unwrap(), b"x");
}

#[test]
fn host_symlinks_resolve_inside_the_vm() {
    let tmp = tempfile::tempdir().unwrap();
    let host_secret = tempfile::tempdir().unwrap();
    std::fs::write(host_secret.path().join("secret"), b"host secret").unwrap();
    // A symlink whose target is a real host path: inside the VM it names a VM path.
    std::os::unix::fs::symlink(host_secret.path().join("secret"), tmp.path().join("abs")).unwrap();
    std::os::unix::fs::symlink("/tmp/vm-file", tmp.path().join("to_vm")).unwrap();
    std::os::unix::fs::symlink("../../tmp/vm-file", tmp.path().join("up")).unwrap();
    let vfs = mounted(vec![Mount { guest_path: "/mnt/host".into(), dir: host_dir(tmp.path()), read_only: false }]);
    let dir = vfs.root();
    write_file(&vfs, &dir, "/tmp/vm-file", b"vm");
    assert_eq!(vfs.open_at(&root(), &dir, "/mnt/host/abs", read()).err(), Some(KernelError::NotFound));
    assert_eq!(read_file(&vfs, &dir, "/mnt/host/to_vm"), b"vm");
    assert_eq!(read_file(&vfs, &dir, "/mnt/host/up"), b"vm");
    let stat = vfs.stat_at(&root(), &dir, "/mnt/host/to_vm", false).unwrap();
    assert_eq!(stat.file_type, FileType::Symlink);

    let mount = vfs.open_at(&root(), &dir, "/mnt/host", read()).unwrap();
    assert_eq!(vfs.open_at(&root(), &mount, "to_vm", read()).err(), Some(KernelError::NotPermitted));
    assert_eq!(vfs.open_at(&root(), &mount, "up", read()).err(), Some(KernelError::NotPermitted));
}

#[test]
fn links_and_renames_across_mounts_are_cross_device() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(a.path().join("f"), b"a").unwrap();
    let vfs = mounted(vec![
        Mount { guest_path: "/a".into(), dir: host_dir(a.path()), read_only: false },
        Mount { guest_path: "/b".into(), dir: host_dir(b.path()), read_only: false },
    ]);
    let dir = vfs.root();
    let cred = root();
    write_file(&vfs, &dir, "/tmp/v", b"v");
    let xdev = Some(KernelError::CrossDevice);
    assert_eq!(vfs.link_at(&cred, &dir, "/a/f", false, &dir, "/b/f").err(), xdev);
    assert_eq!(vfs.link_at(&cred, &dir, "/a/f", false, &dir, "/tmp/f").err(), xdev);
    assert_eq!(vfs.link_at(&cred, &dir, "/tmp/v", false, &dir, "/a/v").err(), xdev);
    assert_eq!(vfs.rename_at(&cred, &dir, "/a/f", &dir, "/b/f").err(), xdev);
    assert_eq!(vfs.rename_at(&cred, &dir, "/tmp/v", &dir, "/a/v").err(), xdev);
    assert_eq!(vfs.rename_at(&cred, &dir, "/a/f", &dir, "/tmp/f").err(), xdev);
}

#[test]
fn bad_mount_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let config = |guest_path: &str| VfsConfig {
        layers: vec![],
        mounts: vec![Mount { guest_path: guest_path.into(), dir: host_dir(tmp.path()), read_only: false }],
        quota: quota(),
        real_time: false,
        entropy: false,
    };
    assert_eq!(Vfs::new(config("relative")).err(), Some(KernelError::Invalid));
    assert!(Vfs::new(config("/")).is_ok(), "`/` is a detached mount");
    assert_eq!(Vfs::new(config("/dev/null/x")).err(), Some(KernelError::NotDir));
    let twice = VfsConfig {
        layers: vec![],
        mounts: vec![
            Mount { guest_path: "/m".into(), dir: host_dir(tmp.path()), read_only: false },
            Mount { guest_path: "/m/n".into(), dir: host_dir(tmp.path()), read_only: false },
        ],
        quota: quota(),
        real_time: false,
        entropy: false,
    };
    assert_eq!(Vfs::new(twice).err(), Some(KernelError::Invalid));
}

#[test]
fn host_modes_keep_the_permission_bits_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root_mode = std::fs::metadata(tmp.path()).unwrap().permissions().mode();
    let vfs = mounted(vec![Mount { guest_path: "/w".into(), dir: host_dir(tmp.path()), read_only: false }]);
    let dir = vfs.root();
    let host_mode =
        |name: &str| std::fs::symlink_metadata(tmp.path().join(name)).unwrap().permissions().mode() & 0o7777;
    let setuid = OpenOptions { mode: 0o4755, ..create() };
    vfs.open_at(&root(), &dir, "/w/made", setuid).unwrap();
    assert_eq!(host_mode("made") & 0o7000, 0, "created with a special bit");
    vfs.mkdir_at(&root(), &dir, "/w/d", 0o3777).unwrap();
    assert_eq!(host_mode("d") & 0o7000, 0, "a directory created with a special bit");
    for mode in [0o4755, 0o2755, 0o1777, 0o7777] {
        vfs.set_mode_at(&user(), &dir, "/w/made", true, mode).unwrap();
        assert_eq!(host_mode("made"), mode & 0o777, "chmod {mode:o}");
    }
    assert_eq!(vfs.set_mode_at(&root(), &dir, "/w", true, 0o7777).err(), Some(KernelError::NotPermitted));
    assert_eq!(vfs.set_mode_at(&root(), &dir, "/w/.", true, 0o777).err(), Some(KernelError::NotPermitted));
    assert_eq!(std::fs::metadata(tmp.path()).unwrap().permissions().mode(), root_mode, "the mount root changed");
    let stranger = capsa_kernel::Cred::user(1001, 1001);
    assert_eq!(vfs.set_mode_at(&stranger, &dir, "/w/made", true, 0o777).err(), Some(KernelError::NotPermitted));
    assert_eq!(vfs.set_owner_at(&root(), &dir, "/w/made", true, Some(0), None).err(), Some(KernelError::NotPermitted));
}

#[test]
fn links_that_lead_out_of_a_host_mount_are_never_made() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("node_modules/.bin")).unwrap();
    std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
    std::fs::write(tmp.path().join("f"), b"f").unwrap();
    // Made by the host's user, not the guest: the guest may not move it about.
    std::os::unix::fs::symlink("/root/.bashrc", tmp.path().join("host_abs")).unwrap();
    let vfs = mounted(vec![Mount { guest_path: "/w".into(), dir: host_dir(tmp.path()), read_only: false }]);
    let dir = vfs.root();
    let cred = root();
    let eperm = Some(KernelError::NotPermitted);
    for target in ["/", "/root/.bashrc", "..", "../x", "a/../../x", "a/../f", "./../f"] {
        assert_eq!(vfs.symlink_at(&cred, target, &dir, "/w/s").err(), eperm, "target {target}");
    }
    assert_eq!(vfs.symlink_at(&cred, "../../..", &dir, "/w/a/b/s").err(), eperm);
    assert!(!tmp.path().join("s").exists() && !tmp.path().join("a/b/s").exists());
    // What stays inside is made, as tools make it.
    vfs.symlink_at(&cred, "../typescript/bin/tsc", &dir, "/w/node_modules/.bin/tsc").unwrap();
    vfs.symlink_at(&cred, "../../f", &dir, "/w/a/b/up").unwrap();
    vfs.symlink_at(&cred, "f", &dir, "/w/rel").unwrap();
    assert_eq!(std::fs::read_link(tmp.path().join("a/b/up")).unwrap(), std::path::Path::new("../../f"));
    // Moving a link closer to the root would make it escape.
    assert_eq!(vfs.rename_at(&cred, &dir, "/w/a/b/up", &dir, "/w/up").err(), eperm);
    assert_eq!(vfs.link_at(&cred, &dir, "/w/a/b/up", false, &dir, "/w/a/up").err(), eperm);
    vfs.rename_at(&cred, &dir, "/w/rel", &dir, "/w/a/rel").unwrap();
    // So would moving the directory that holds it; `mv` copies on EXDEV.
    assert_eq!(vfs.rename_at(&cred, &dir, "/w/a/b", &dir, "/w/b").err(), Some(KernelError::CrossDevice));
    vfs.mkdir_at(&cred, &dir, "/w/a/c", 0o755).unwrap();
    vfs.rename_at(&cred, &dir, "/w/a/b", &dir, "/w/a/c/b").unwrap();
    // A host-made link pointing out may not replace a host file.
    assert_eq!(vfs.rename_at(&cred, &dir, "/w/host_abs", &dir, "/w/f").err(), eperm);
    assert_eq!(std::fs::read(tmp.path().join("f")).unwrap(), b"f");
}

#[test]
fn special_host_files_are_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, rustix::fs::Mode::from(0o666), 0).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(tmp.path().join("sock")).unwrap();
    let vfs = mounted(vec![Mount { guest_path: "/w".into(), dir: host_dir(tmp.path()), read_only: false }]);
    let dir = vfs.root();
    let rw = OpenOptions { read: true, write: true, ..OpenOptions::default() };
    let write = OpenOptions { write: true, ..OpenOptions::default() };
    for (path, opts) in [("/w/fifo", read()), ("/w/fifo", write), ("/w/fifo", rw), ("/w/sock", read())] {
        assert_eq!(vfs.open_at(&root(), &dir, path, opts).err(), Some(KernelError::NoDevice), "{path}");
    }
    // It is still listed and stat-able: only opening is refused.
    assert_eq!(vfs.stat_at(&root(), &dir, "/w/fifo", false).unwrap().file_type, FileType::Fifo);
}

#[test]
fn host_files_held_open_count_against_the_vm_budget() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(tmp.path().join(name), name).unwrap();
    }
    let budget =
        capsa_kernel::Budget::new(capsa_kernel::BudgetLimits { host_fds: 2, ..capsa_kernel::BudgetLimits::UNLIMITED });
    let config = VfsConfig {
        layers: vec![],
        mounts: vec![Mount { guest_path: "/w".into(), dir: host_dir(tmp.path()), read_only: false }],
        quota: quota(),
        real_time: false,
        entropy: false,
    };
    let vfs = Vfs::with_budget(config, budget.clone()).unwrap();
    let dir = vfs.root();
    let a = vfs.open_at(&root(), &dir, "/w/a", read()).unwrap();
    let w = vfs.open_at(&root(), &dir, "/w", read()).unwrap();
    assert_eq!(vfs.open_at(&root(), &dir, "/w/b", read()).err(), Some(KernelError::VmFileLimit));
    assert_eq!(vfs.open_at(&root(), &dir, "/w/new", create()).err(), Some(KernelError::VmFileLimit));
    assert_eq!(budget.usage().host_fds, 2);
    // Paths are still resolved, and in-memory files opened, at the limit.
    assert_eq!(vfs.stat_at(&root(), &dir, "/w/c", true).unwrap().size, 1);
    write_file(&vfs, &dir, "/tmp/x", b"x");
    drop((a, w));
    assert_eq!(read_file(&vfs, &dir, "/w/b"), b"b");
}

#[test]
fn a_mount_at_the_root_is_detached_and_reached_by_its_handle() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f"), b"host").unwrap();
    let vfs = mounted(vec![Mount { guest_path: "/".into(), dir: host_dir(tmp.path()), read_only: false }]);
    let dir = vfs.root();
    // The VM's own tree is untouched: `/f` is not the host's.
    assert_eq!(vfs.open_at(&root(), &dir, "/f", read()).err(), Some(KernelError::NotFound));
    assert!(vfs.stat_at(&root(), &dir, "/tmp", true).is_ok());
    let handle = vfs.open_mount(0).unwrap();
    assert_eq!(read_file(&vfs, &handle, "f"), b"host");
    assert_eq!(vfs.open_at(&root(), &handle, "../f", read()).err(), Some(KernelError::NotPermitted));
    assert_eq!(vfs.open_at(&root(), &handle, "/f", read()).err(), Some(KernelError::NotPermitted));
    write_file(&vfs, &handle, "new", b"made");
    assert_eq!(std::fs::read(tmp.path().join("new")).unwrap(), b"made");
    let dots = handle.readdir(0).unwrap();
    assert_eq!(dots[0].ino, dots[1].ino, "`..` of a detached root is itself");
    assert_eq!(vfs.open_mount(1).err(), Some(KernelError::BadFd));
    let twice = VfsConfig {
        layers: vec![],
        mounts: vec![
            Mount { guest_path: "/".into(), dir: host_dir(tmp.path()), read_only: false },
            Mount { guest_path: "/".into(), dir: host_dir(tmp.path()), read_only: true },
        ],
        quota: quota(),
        real_time: false,
        entropy: false,
    };
    assert_eq!(Vfs::new(twice).err(), Some(KernelError::Invalid));
}
