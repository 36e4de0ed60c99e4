//! Snapshots: a VM's own filesystem frozen into a layer, and a new VM
//! booted over it that sees the same tree and is charged what the first
//! one owned.

mod common;

use std::sync::Arc;

use capsa_kernel::{KernelError, Layer, LayerBuilder, Meta, Quota, Usage, Vfs};
use common::{create, names, quota, read_file, root, user, vfs_with, write_file};

fn base() -> Arc<Layer> {
    let mut builder = LayerBuilder::new();
    builder
        .file("/bin/tool", &b"tool v1"[..], Meta::root(0o755))
        .unwrap()
        .file("/etc/motd", &b"hello"[..], Meta::root(0o644))
        .unwrap()
        .dir("/home/user", Meta { mode: 0o755, uid: 1000, gid: 1000 })
        .unwrap();
    builder.build()
}

/// A VM with the base layer, as `user` in its home.
fn first_vm() -> Arc<Vfs> {
    let vfs = vfs_with(vec![base()], quota());
    let home = vfs.open_at(&user(), &vfs.root(), "/home/user", common::read()).unwrap();
    let file = vfs.open_at(&user(), &home, "notes.txt", create()).unwrap();
    file.write(b"remember").unwrap();
    vfs.mkdir_at(&user(), &home, "src", 0o750).unwrap();
    vfs.symlink_at(&user(), "../notes.txt", &home, "src/link").unwrap();
    // Removing a layer's file must stay removed in the restored VM.
    vfs.unlink_at(&root(), &vfs.root(), "/etc/motd").unwrap();
    vfs
}

#[test]
fn a_restored_vm_sees_the_same_tree_with_owners_and_modes() {
    let first = first_vm();
    let snapshot = first.snapshot().unwrap();
    let second = vfs_with(vec![base(), snapshot.clone()], quota());
    let r = second.root();
    assert_eq!(read_file(&second, &r, "/home/user/notes.txt"), b"remember");
    assert_eq!(read_file(&second, &r, "/home/user/src/link"), b"remember");
    assert_eq!(read_file(&second, &r, "/bin/tool"), b"tool v1");
    let motd = second.stat_at(&root(), &r, "/etc/motd", false);
    assert_eq!(motd.unwrap_err(), KernelError::NotFound);
    let src = second.stat_at(&root(), &r, "/home/user/src", false).unwrap();
    assert_eq!((src.mode, src.uid, src.gid), (0o750, 1000, 1000));
    // Devices are the new VM's own; /tmp is still sticky and world-writable.
    let dev = second.open_at(&root(), &r, "/dev", common::read()).unwrap();
    assert!(names(&dev).contains(&"null".to_string()));
    assert_eq!(second.stat_at(&root(), &r, "/tmp", false).unwrap().mode, 0o1777);
    // The first VM goes on unchanged, and its writes are its own.
    write_file(&first, &first.root(), "/home/user/notes.txt", b"changed!");
    assert_eq!(read_file(&second, &r, "/home/user/notes.txt"), b"remember");
    assert_eq!(read_file(&first, &first.root(), "/home/user/notes.txt"), b"changed!");
}

#[test]
fn a_restored_vm_is_charged_what_the_first_owned() {
    let first = first_vm();
    let owned = first.usage();
    assert_eq!(owned, Usage { bytes: 8 + 12, inodes: 3 });
    let snapshot = first.snapshot().unwrap();
    assert_eq!(snapshot.usage(), owned);
    let second = vfs_with(vec![base(), snapshot.clone()], quota());
    assert_eq!(second.usage(), owned);
    // Removing a restored file gives its share back, no more.
    second.unlink_at(&user(), &second.root(), "/home/user/notes.txt").unwrap();
    assert_eq!(second.usage(), Usage { bytes: 12, inodes: 2 });
    // A snapshot larger than the new VM's budget does not boot.
    let tight = Quota { max_bytes: 10, max_inodes: 1000 };
    let err = Vfs::new(capsa_kernel::VfsConfig {
        layers: vec![base(), snapshot],
        mounts: vec![],
        quota: tight,
        real_time: false,
        entropy: false,
    })
    .unwrap_err();
    assert_eq!(err, KernelError::NoSpace);
}

#[test]
fn a_snapshot_of_a_restored_vm_carries_what_it_never_looked_at() {
    let first = first_vm();
    let second = vfs_with(vec![base(), first.snapshot().unwrap()], quota());
    // `/home/user` is never looked at in the second VM: its files are still
    // the first snapshot's, and are charged again in the third.
    let third = vfs_with(vec![base(), second.snapshot().unwrap()], quota());
    assert_eq!(third.usage(), first.usage());
    assert_eq!(read_file(&third, &third.root(), "/home/user/notes.txt"), b"remember");
}

#[test]
fn a_frozen_file_is_copied_on_its_next_write_and_stays_charged_once() {
    let first = first_vm();
    let before = first.usage();
    let _snapshot = first.snapshot().unwrap();
    assert_eq!(first.usage(), before);
    let file = first.open_at(&user(), &first.root(), "/home/user/notes.txt", common::create()).unwrap();
    file.write(b"R").unwrap();
    assert_eq!(first.usage(), before);
    assert_eq!(read_file(&first, &first.root(), "/home/user/notes.txt"), b"Remember");
}

#[test]
fn a_snapshot_rebuilt_from_its_image_is_the_same_layer() {
    use capsa_kernel::{ImageEntry, ImageNode};
    let first = first_vm();
    let snapshot = first.snapshot().unwrap();
    let image = snapshot.image();
    assert_eq!(image[0].path, "/");
    assert!(matches!(image[0].node, ImageNode::Dir { opaque: true }));
    let rebuilt = Layer::from_image(image.clone()).unwrap();
    assert_eq!(rebuilt.usage(), snapshot.usage());
    let paths = |image: &[ImageEntry]| image.iter().map(|e| e.path.clone()).collect::<Vec<_>>();
    assert_eq!(paths(&rebuilt.image()), paths(&image));
    let second = vfs_with(vec![base(), rebuilt], quota());
    let r = second.root();
    assert_eq!(read_file(&second, &r, "/home/user/src/link"), b"remember");
    assert_eq!(second.stat_at(&root(), &r, "/etc/motd", false).unwrap_err(), KernelError::NotFound);
    let notes = second.stat_at(&root(), &r, "/home/user/notes.txt", false).unwrap();
    let before = first.stat_at(&root(), &first.root(), "/home/user/notes.txt", false).unwrap();
    assert_eq!((notes.mode, notes.uid, notes.mtime), (before.mode, before.uid, before.mtime));

    // An entry without its parent, a path given twice, a path with `..`.
    let file = |path: &str| ImageEntry {
        path: path.into(),
        node: ImageNode::File(b"x".to_vec().into()),
        meta: None,
        stamp: Default::default(),
    };
    let root_dir = image[0].clone();
    let bad = [
        vec![root_dir.clone(), file("/missing/x")],
        vec![root_dir.clone(), file("/x"), file("/x")],
        vec![root_dir.clone(), file("/a/../x")],
        vec![file("/x")],
    ];
    for entries in bad {
        assert!(Layer::from_image(entries).is_err());
    }
}
