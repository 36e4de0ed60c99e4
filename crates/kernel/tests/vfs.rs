//! In-memory VFS behaviour: files, directories, layers, resolution, quota,
//! permissions, devices.

mod common;

use std::io::SeekFrom;
use std::sync::Arc;

use capsa_kernel::{FileType, KernelError, LayerBuilder, Meta, OpenOptions};
use common::*;

fn layer() -> Arc<capsa_kernel::Layer> {
    let mut builder = LayerBuilder::new();
    builder.file("/bin/hello", Arc::from(&b"hello world"[..]), Meta::root(0o755)).unwrap();
    builder.dir("/etc", Meta::root(0o755)).unwrap();
    builder.file("/etc/motd", Arc::from(&b"welcome"[..]), Meta::root(0o644)).unwrap();
    builder.symlink("/bin/hi", "hello").unwrap();
    builder.build()
}

#[test]
fn layers_are_shared_and_copied_up_on_write() {
    let shared = layer();
    let a = vfs_with(vec![shared.clone()], quota());
    let b = vfs_with(vec![shared], quota());
    let (ra, rb) = (a.root(), b.root());
    assert_eq!(read_file(&a, &ra, "/bin/hi"), b"hello world");
    assert_eq!(a.usage().bytes, 0);
    assert_eq!(a.usage().inodes, 0);

    let opts = OpenOptions { write: true, ..OpenOptions::default() };
    let file = a.open_at(&root(), &ra, "/etc/motd", opts).unwrap();
    assert_eq!(a.usage().bytes, 0, "opening for write copies nothing");
    file.write(b"W").unwrap();
    assert_eq!(a.usage().bytes, 7, "the copy-up is charged");
    assert_eq!(read_file(&a, &ra, "/etc/motd"), b"Welcome");
    assert_eq!(read_file(&b, &rb, "/etc/motd"), b"welcome");
}

#[test]
fn higher_layer_wins_and_directories_merge() {
    let mut low = LayerBuilder::new();
    low.file("/usr/a", Arc::from(&b"low"[..]), Meta::root(0o644)).unwrap();
    low.file("/usr/b", Arc::from(&b"low"[..]), Meta::root(0o644)).unwrap();
    let mut high = LayerBuilder::new();
    high.file("/usr/b", Arc::from(&b"high"[..]), Meta::root(0o644)).unwrap();
    high.file("/usr/c", Arc::from(&b"high"[..]), Meta::root(0o644)).unwrap();
    let vfs = vfs_with(vec![low.build(), high.build()], quota());
    let root_dir = vfs.root();
    assert_eq!(read_file(&vfs, &root_dir, "/usr/b"), b"high");
    let usr = vfs.open_at(&root(), &root_dir, "usr", read()).unwrap();
    assert_eq!(names(&usr), [".", "..", "a", "b", "c"]);
}

#[test]
fn layer_builder_rejects_bad_paths() {
    let mut builder = LayerBuilder::new();
    assert_eq!(builder.dir("relative", Meta::root(0o755)).err(), Some(KernelError::Invalid));
    builder.file("/f", Arc::from(&b""[..]), Meta::root(0o644)).unwrap();
    assert_eq!(builder.file("/f", Arc::from(&b""[..]), Meta::root(0o644)).err(), Some(KernelError::Exists));
    assert_eq!(builder.dir("/f/x", Meta::root(0o755)).err(), Some(KernelError::Exists));
}

#[test]
fn rename_replaces_atomically() {
    let vfs = vfs();
    let dir = vfs.root();
    write_file(&vfs, &dir, "/tmp/a", b"new");
    write_file(&vfs, &dir, "/tmp/b", b"old");
    let held = vfs.open_at(&root(), &dir, "/tmp/b", read()).unwrap();
    vfs.rename_at(&root(), &dir, "/tmp/a", &dir, "/tmp/b").unwrap();
    assert_eq!(read_file(&vfs, &dir, "/tmp/b"), b"new");
    assert_eq!(vfs.stat_at(&root(), &dir, "/tmp/a", false).err(), Some(KernelError::NotFound));
    let mut buf = [0u8; 8];
    assert_eq!(held.read(&mut buf).unwrap(), 3, "the replaced file lives on while open");
    assert_eq!(&buf[..3], b"old");
}

#[test]
fn rename_errors_match_linux() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    vfs.mkdir_at(&cred, &dir, "/tmp/d", 0o755).unwrap();
    vfs.mkdir_at(&cred, &dir, "/tmp/full", 0o755).unwrap();
    write_file(&vfs, &dir, "/tmp/full/x", b"");
    write_file(&vfs, &dir, "/tmp/f", b"");
    assert_eq!(vfs.rename_at(&cred, &dir, "/tmp/d", &dir, "/tmp/full").err(), Some(KernelError::NotEmpty));
    assert_eq!(vfs.rename_at(&cred, &dir, "/tmp/d", &dir, "/tmp/d/sub").err(), Some(KernelError::Invalid));
    assert_eq!(vfs.rename_at(&cred, &dir, "/tmp/f", &dir, "/tmp/d").err(), Some(KernelError::IsDir));
    assert_eq!(vfs.rename_at(&cred, &dir, "/tmp/d", &dir, "/tmp/f").err(), Some(KernelError::NotDir));
    assert_eq!(vfs.rename_at(&cred, &dir, "/tmp/f/", &dir, "/tmp/g").err(), Some(KernelError::NotDir));
    vfs.rename_at(&cred, &dir, "/tmp/f", &dir, "/tmp/f").unwrap();
    vfs.rename_at(&cred, &dir, "/tmp/d/", &dir, "/tmp/e/").unwrap();
    assert_eq!(vfs.stat_at(&cred, &dir, "/tmp/e", false).unwrap().file_type, FileType::Directory);
    assert_eq!(vfs.rename_at(&cred, &dir, "/dev", &dir, "/tmp/dev2").map(|_| ()), Ok(()));
}

#[test]
fn unlinked_open_file_stays_readable_until_closed() {
    let vfs = vfs();
    let dir = vfs.root();
    let file = vfs.open_at(&root(), &dir, "/tmp/x", create()).unwrap();
    file.write(b"data").unwrap();
    assert_eq!(vfs.usage().inodes, 1);
    vfs.unlink_at(&root(), &dir, "/tmp/x").unwrap();
    assert_eq!(vfs.usage().bytes, 4, "still charged while open");
    let mut buf = [0u8; 4];
    assert_eq!(file.pread(&mut buf, 0).unwrap(), 4);
    assert_eq!(file.stat().unwrap().nlink, 0);
    drop(file);
    assert_eq!(vfs.usage().bytes, 0);
    assert_eq!(vfs.usage().inodes, 0);
}

#[test]
fn directory_removal() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    vfs.mkdir_at(&cred, &dir, "/tmp/d", 0o755).unwrap();
    write_file(&vfs, &dir, "/tmp/d/f", b"");
    assert_eq!(vfs.rmdir_at(&cred, &dir, "/tmp/d").err(), Some(KernelError::NotEmpty));
    assert_eq!(vfs.rmdir_at(&cred, &dir, "/tmp/d/f").err(), Some(KernelError::NotDir));
    assert_eq!(vfs.unlink_at(&cred, &dir, "/tmp/d").err(), Some(KernelError::IsDir));
    assert_eq!(vfs.unlink_at(&cred, &dir, "/tmp/d/f/").err(), Some(KernelError::NotDir));
    assert_eq!(vfs.rmdir_at(&cred, &dir, "/tmp/d/.").err(), Some(KernelError::Invalid));
    assert_eq!(vfs.mkdir_at(&cred, &dir, "/tmp/d", 0o755).err(), Some(KernelError::Exists));
    vfs.unlink_at(&cred, &dir, "/tmp/d/f").unwrap();
    vfs.rmdir_at(&cred, &dir, "/tmp/d/").unwrap();
    assert_eq!(vfs.usage().inodes, 0);
}

#[test]
fn open_flags() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    write_file(&vfs, &dir, "/tmp/f", b"abc");
    let excl = OpenOptions { exclusive: true, ..create() };
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/f", excl).err(), Some(KernelError::Exists));

    let append = OpenOptions { write: true, append: true, ..OpenOptions::default() };
    let file = vfs.open_at(&cred, &dir, "/tmp/f", append).unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.write(b"de").unwrap();
    file.pwrite(b"f", 0).unwrap();
    assert_eq!(read_file(&vfs, &dir, "/tmp/f"), b"abcdef");

    let trunc = OpenOptions { write: true, truncate: true, ..OpenOptions::default() };
    vfs.open_at(&cred, &dir, "/tmp/f", trunc).unwrap();
    assert_eq!(read_file(&vfs, &dir, "/tmp/f"), b"");

    let write_dir = OpenOptions { write: true, ..OpenOptions::default() };
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp", write_dir).err(), Some(KernelError::IsDir));
    let as_dir = OpenOptions { directory: true, ..read() };
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/f", as_dir).err(), Some(KernelError::NotDir));
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/f/", read()).err(), Some(KernelError::NotDir));
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/missing", read()).err(), Some(KernelError::NotFound));
    assert_eq!(vfs.open_at(&cred, &dir, "", read()).err(), Some(KernelError::NotFound));
    assert_eq!(vfs.open_at(&cred, &dir, "a\0b", read()).err(), Some(KernelError::Invalid));
    let long = "x".repeat(300);
    assert_eq!(vfs.open_at(&cred, &dir, &long, read()).err(), Some(KernelError::NameTooLong));

    let ro = vfs.open_at(&cred, &dir, "/tmp/f", read()).unwrap();
    assert_eq!(ro.write(b"x").err(), Some(KernelError::BadFd));
    let wo = vfs.open_at(&cred, &dir, "/tmp/f", OpenOptions { write: true, ..OpenOptions::default() }).unwrap();
    assert_eq!(wo.read(&mut [0u8; 1]).err(), Some(KernelError::BadFd));
}

#[test]
fn seek_and_sparse_writes() {
    let vfs = vfs();
    let dir = vfs.root();
    let file = vfs.open_at(&root(), &dir, "/tmp/f", create()).unwrap();
    assert_eq!(file.seek(SeekFrom::Current(-1)).err(), Some(KernelError::Invalid));
    assert_eq!(file.seek(SeekFrom::Start(4)).unwrap(), 4);
    file.write(b"x").unwrap();
    assert_eq!(read_file(&vfs, &dir, "/tmp/f"), b"\0\0\0\0x");
    assert_eq!(file.seek(SeekFrom::End(-1)).unwrap(), 4);
    let tmp = vfs.open_at(&root(), &dir, "/tmp", read()).unwrap();
    assert_eq!(tmp.seek(SeekFrom::Start(0)).err(), Some(KernelError::BadFd));
    assert_eq!(tmp.read(&mut [0u8; 1]).err(), Some(KernelError::IsDir));
}

#[test]
fn symlinks_and_loops() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    vfs.symlink_at(&cred, "loop", &dir, "/tmp/loop").unwrap();
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/loop", read()).err(), Some(KernelError::Loop));
    let nofollow = OpenOptions { read: true, ..OpenOptions::default() };
    write_file(&vfs, &dir, "/tmp/target", b"t");
    vfs.symlink_at(&cred, "target", &dir, "/tmp/link").unwrap();
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/link", nofollow).err(), Some(KernelError::Loop));
    let nofollow_dir = OpenOptions { directory: true, ..nofollow };
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/link", nofollow_dir).err(), Some(KernelError::NotDir));
    assert_eq!(read_file(&vfs, &dir, "/tmp/link"), b"t");
    assert_eq!(vfs.readlink_at(&cred, &dir, "/tmp/link").unwrap(), "target");
    assert_eq!(vfs.readlink_at(&cred, &dir, "/tmp/target").err(), Some(KernelError::Invalid));
    assert_eq!(vfs.symlink_at(&cred, "x", &dir, "/tmp/link").err(), Some(KernelError::Exists));
    assert_eq!(vfs.stat_at(&cred, &dir, "/tmp/link", false).unwrap().file_type, FileType::Symlink);

    vfs.symlink_at(&cred, "dangling", &dir, "/tmp/dangle").unwrap();
    let excl = OpenOptions { exclusive: true, ..create() };
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/dangle", excl).err(), Some(KernelError::Exists));
    let follow_create = OpenOptions { follow: true, ..create() };
    vfs.open_at(&cred, &dir, "/tmp/dangle", follow_create).unwrap();
    assert_eq!(vfs.stat_at(&cred, &dir, "/tmp/dangling", false).unwrap().file_type, FileType::RegularFile);
}

#[test]
fn root_is_a_chroot_and_other_handles_are_beneath() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    vfs.mkdir_at(&cred, &dir, "/tmp/sub", 0o755).unwrap();
    write_file(&vfs, &dir, "/tmp/sub/f", b"f");
    assert_eq!(read_file(&vfs, &dir, "../../tmp/sub/f"), b"f");
    vfs.symlink_at(&cred, "/tmp/sub/f", &dir, "/tmp/sub/abs").unwrap();
    assert_eq!(read_file(&vfs, &dir, "/tmp/sub/abs"), b"f");

    let sub = vfs.open_at(&cred, &dir, "/tmp/sub", read()).unwrap();
    assert_eq!(read_file(&vfs, &sub, "f"), b"f");
}

#[test]
fn escapes_from_a_handle_are_not_permitted() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    vfs.mkdir_at(&cred, &dir, "/tmp/sub", 0o755).unwrap();
    write_file(&vfs, &dir, "/tmp/sub/f", b"f");
    vfs.symlink_at(&cred, "/tmp/sub/f", &dir, "/tmp/sub/abs").unwrap();
    vfs.symlink_at(&cred, "../sub/f", &dir, "/tmp/sub/up").unwrap();
    let sub = vfs.open_at(&cred, &dir, "/tmp/sub", read()).unwrap();
    let denied = Some(KernelError::NotPermitted);
    assert_eq!(vfs.open_at(&cred, &sub, "..", read()).err(), denied);
    assert_eq!(vfs.open_at(&cred, &sub, "/tmp", read()).err(), denied);
    assert_eq!(vfs.open_at(&cred, &sub, "abs", read()).err(), denied);
    assert_eq!(vfs.open_at(&cred, &sub, "up", read()).err(), denied);
    assert_eq!(vfs.stat_at(&cred, &sub, "../sub/f", true).err(), denied);
    assert_eq!(vfs.stat_at(&cred, &sub, "f/..", true).err(), Some(KernelError::NotDir));
    assert!(vfs.stat_at(&cred, &sub, "f", true).is_ok());
}

#[test]
fn readdir_cookies() {
    let vfs = vfs();
    let dir = vfs.root();
    vfs.mkdir_at(&root(), &dir, "/tmp/d", 0o755).unwrap();
    for name in ["c", "a", "b"] {
        write_file(&vfs, &dir, &format!("/tmp/d/{name}"), b"");
    }
    let d = vfs.open_at(&root(), &dir, "/tmp/d", read()).unwrap();
    let all = d.readdir(0).unwrap();
    let names: Vec<_> = all.iter().map(|entry| entry.name.as_str()).collect();
    assert_eq!(names, [".", "..", "a", "b", "c"]);
    assert_eq!(all[3].next_cookie, 4);
    let rest = d.readdir(all[2].next_cookie).unwrap();
    assert_eq!(rest.iter().map(|entry| entry.name.as_str()).collect::<Vec<_>>(), ["b", "c"]);
    assert!(d.readdir(99).unwrap().is_empty());
    assert_eq!(all[2].file_type, FileType::RegularFile);
    assert_eq!(all[2].ino, vfs.stat_at(&root(), &dir, "/tmp/d/a", false).unwrap().ino);
}

#[test]
fn hard_links() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    write_file(&vfs, &dir, "/tmp/a", b"shared");
    vfs.link_at(&cred, &dir, "/tmp/a", false, &dir, "/tmp/b").unwrap();
    assert_eq!(vfs.stat_at(&cred, &dir, "/tmp/a", false).unwrap().nlink, 2);
    assert_eq!(vfs.link_at(&cred, &dir, "/tmp", false, &dir, "/tmp/c").err(), Some(KernelError::NotPermitted));
    assert_eq!(vfs.link_at(&cred, &dir, "/tmp/a", false, &dir, "/tmp/b").err(), Some(KernelError::Exists));
    vfs.unlink_at(&cred, &dir, "/tmp/a").unwrap();
    assert_eq!(read_file(&vfs, &dir, "/tmp/b"), b"shared");
    assert_eq!(vfs.usage().inodes, 1);
}

#[test]
fn trailing_slashes_on_new_names() {
    let vfs = vfs();
    let dir = vfs.root();
    let cred = root();
    assert_eq!(vfs.symlink_at(&cred, "source", &dir, "/tmp/target/").err(), Some(KernelError::NotFound));
    vfs.mkdir_at(&cred, &dir, "/tmp/target", 0o755).unwrap();
    assert_eq!(vfs.symlink_at(&cred, "source", &dir, "/tmp/target/").err(), Some(KernelError::Exists));
    vfs.rmdir_at(&cred, &dir, "/tmp/target").unwrap();
    write_file(&vfs, &dir, "/tmp/target", b"");
    assert_eq!(vfs.symlink_at(&cred, "source", &dir, "/tmp/target/").err(), Some(KernelError::NotDir));
    assert_eq!(vfs.symlink_at(&cred, "source", &dir, "/tmp/target").err(), Some(KernelError::Exists));
    let created = OpenOptions { exclusive: true, ..create() };
    assert_eq!(vfs.open_at(&cred, &dir, "/tmp/new/", created).err(), Some(KernelError::IsDir));
}
