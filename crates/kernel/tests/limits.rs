//! Limits and identity: quota, permissions, devices, timestamps, threads.

mod common;

use std::io::SeekFrom;

use capsa_kernel::{Cred, FileType, KernelError, OpenOptions, Quota, SetTime};
use common::*;

#[test]
fn quota_bytes_and_inodes() {
    let vfs = vfs_with(vec![], Quota { max_bytes: 10, max_inodes: 2 });
    let dir = vfs.root();
    let file = vfs.open_at(&root(), &dir, "/tmp/a", create()).unwrap();
    file.write(b"12345678").unwrap();
    assert_eq!(file.write(b"abc").err(), Some(KernelError::NoSpace));
    assert_eq!(file.stat().unwrap().size, 8, "a failed write changes nothing");
    assert_eq!(file.set_size(100).err(), Some(KernelError::NoSpace));
    assert_eq!(file.pwrite(b"x", u64::MAX).err(), Some(KernelError::FileTooBig));
    vfs.mkdir_at(&root(), &dir, "/tmp/d", 0o755).unwrap();
    assert_eq!(vfs.mkdir_at(&root(), &dir, "/tmp/e", 0o755).err(), Some(KernelError::NoSpace));
    assert_eq!(vfs.symlink_at(&root(), "t", &dir, "/tmp/s").err(), Some(KernelError::NoSpace));
    assert_eq!(vfs.usage().inodes, 2);
    file.set_size(0).unwrap();
    assert_eq!(vfs.usage().bytes, 0);
}

#[test]
fn hard_links_count_against_the_inode_quota() {
    let vfs = vfs_with(vec![], Quota { max_bytes: 100, max_inodes: 3 });
    let dir = vfs.root();
    write_file(&vfs, &dir, "/tmp/a", b"x");
    vfs.link_at(&root(), &dir, "/tmp/a", false, &dir, "/tmp/b").unwrap();
    vfs.link_at(&root(), &dir, "/tmp/a", false, &dir, "/tmp/c").unwrap();
    assert_eq!(vfs.usage().inodes, 3);
    assert_eq!(vfs.link_at(&root(), &dir, "/tmp/a", false, &dir, "/tmp/d").err(), Some(KernelError::NoSpace));
    // A layer's file linked by the VM is a name the VM made, too.
    assert_eq!(vfs.link_at(&root(), &dir, "/dev/null", false, &dir, "/tmp/n").err(), Some(KernelError::NoSpace));
    // Any name removed gives one back; the last one frees the inode.
    vfs.unlink_at(&root(), &dir, "/tmp/a").unwrap();
    assert_eq!(vfs.usage().inodes, 2);
    vfs.rename_at(&root(), &dir, "/tmp/b", &dir, "/tmp/e").unwrap();
    assert_eq!(vfs.usage().inodes, 2, "a rename makes no name");
    vfs.unlink_at(&root(), &dir, "/tmp/e").unwrap();
    assert_eq!(vfs.usage().inodes, 1);
    assert_eq!(read_file(&vfs, &dir, "/tmp/c"), b"x");
    vfs.unlink_at(&root(), &dir, "/tmp/c").unwrap();
    assert_eq!((vfs.usage().inodes, vfs.usage().bytes), (0, 0));
}

#[test]
fn permissions_for_an_unprivileged_user() {
    let vfs = vfs();
    let dir = vfs.root();
    let secret = vfs.open_at(&root(), &dir, "/tmp/secret", OpenOptions { mode: 0o600, ..create() }).unwrap();
    secret.write(b"s").unwrap();
    let user = user();
    assert_eq!(vfs.open_at(&user, &dir, "/tmp/secret", read()).err(), Some(KernelError::AccessDenied));
    assert_eq!(vfs.set_mode_at(&user, &dir, "/tmp/secret", true, 0o777).err(), Some(KernelError::NotPermitted));
    assert_eq!(vfs.mkdir_at(&user, &dir, "/etc", 0o755).err(), Some(KernelError::AccessDenied));
    assert_eq!(vfs.unlink_at(&user, &dir, "/tmp/secret").err(), Some(KernelError::NotPermitted), "sticky /tmp");
    vfs.mkdir_at(&root(), &dir, "/tmp/locked", 0o700).unwrap();
    write_file(&vfs, &dir, "/tmp/locked/f", b"");
    assert_eq!(vfs.stat_at(&user, &dir, "/tmp/locked/f", true).err(), Some(KernelError::AccessDenied));
    let mine = vfs.open_at(&user, &dir, "/tmp/mine", create()).unwrap();
    mine.write(b"ok").unwrap();
    assert_eq!(vfs.stat_at(&user, &dir, "/tmp/mine", true).unwrap().uid, 1000);
    assert_eq!(vfs.set_owner_at(&user, &dir, "/tmp/mine", true, Some(0), None).err(), Some(KernelError::NotPermitted));
    vfs.set_owner_at(&root(), &dir, "/tmp/mine", true, Some(0), Some(0)).unwrap();
    assert_eq!(
        vfs.set_times_at(&user, &dir, "/tmp/mine", true, SetTime::At(5), SetTime::Keep).err(),
        Some(KernelError::NotPermitted)
    );
}

#[test]
fn devices() {
    let vfs = vfs();
    let dir = vfs.root();
    let rw = OpenOptions { read: true, write: true, ..OpenOptions::default() };
    let null = vfs.open_at(&user(), &dir, "/dev/null", rw).unwrap();
    assert_eq!(null.read(&mut [1u8; 4]).unwrap(), 0);
    assert_eq!(null.write(b"gone").unwrap(), 4);
    assert_eq!(null.seek(SeekFrom::Start(10)).unwrap(), 0);
    let zero = vfs.open_at(&user(), &dir, "/dev/zero", read()).unwrap();
    let mut buf = [1u8; 4];
    assert_eq!(zero.read(&mut buf).unwrap(), 4);
    assert_eq!(buf, [0; 4]);
    let random = vfs.open_at(&user(), &dir, "/dev/urandom", read()).unwrap();
    assert_eq!(random.read(&mut [0u8; 16]).unwrap(), 16);
    assert_eq!(random.stat().unwrap().file_type, FileType::CharDevice);
    for (path, fd) in [("/dev/stdin", 0), ("/dev/stdout", 1), ("/dev/stderr", 2), ("/dev/fd/0", 0), ("/dev/fd/63", 63)]
    {
        assert_eq!(vfs.open_at(&user(), &dir, path, read()).unwrap().stdio_alias(), Some(fd));
        assert_eq!(vfs.stat_or_opener_fd_at(&user(), &dir, path, true), Ok(capsa_kernel::PathStat::OpenerFd(fd)));
    }
    assert_eq!(null.stdio_alias(), None);
    assert!(vfs.open_at(&user(), &dir, "/dev/fd/64", read()).is_err(), "/dev/fd stops at 63");
    let stat = vfs.stat_or_opener_fd_at(&user(), &dir, "/dev/null", true);
    assert!(matches!(&stat, Ok(capsa_kernel::PathStat::Stat(s)) if s.file_type == FileType::CharDevice), "{stat:?}");

    let no_entropy = capsa_kernel::Vfs::new(capsa_kernel::VfsConfig {
        layers: vec![],
        mounts: vec![],
        quota: quota(),
        real_time: false,
        entropy: false,
    })
    .unwrap();
    let no_root = no_entropy.root();
    assert_eq!(no_entropy.open_at(&user(), &no_root, "/dev/random", read()).err(), Some(KernelError::AccessDenied));
    assert_eq!(no_entropy.stat_at(&root(), &no_root, "/tmp", true).unwrap().mode, 0o1777);
}

#[test]
fn timestamps_read_zero_without_real_time() {
    let vfs = vfs();
    let dir = vfs.root();
    write_file(&vfs, &dir, "/tmp/f", b"x");
    let stat = vfs.stat_at(&root(), &dir, "/tmp/f", true).unwrap();
    assert_eq!((stat.atime, stat.mtime, stat.ctime), (0, 0, 0));
    vfs.set_times_at(&root(), &dir, "/tmp/f", true, SetTime::At(42), SetTime::Now).unwrap();
    let stat = vfs.stat_at(&root(), &dir, "/tmp/f", true).unwrap();
    assert_eq!((stat.atime, stat.mtime), (42, 0));

    let timed = capsa_kernel::Vfs::new(capsa_kernel::VfsConfig {
        layers: vec![],
        mounts: vec![],
        quota: quota(),
        real_time: true,
        entropy: false,
    })
    .unwrap();
    let timed_root = timed.root();
    write_file(&timed, &timed_root, "/tmp/f", b"x");
    assert!(timed.stat_at(&root(), &timed_root, "/tmp/f", true).unwrap().mtime > 0);
}

#[test]
fn open_files_are_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<capsa_kernel::OpenFile>();
    assert_send_sync::<capsa_kernel::Vfs>();
    let vfs = vfs();
    let dir = vfs.root();
    let file = vfs.open_at(&Cred::root(), &dir, "/tmp/f", create()).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let file = file.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    file.write(b"ab").unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(file.stat().unwrap().size, 800);
}
