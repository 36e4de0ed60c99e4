//! Helpers shared by the kernel's integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use capsa_kernel::{Cred, Layer, OpenFile, OpenOptions, Quota, Vfs, VfsConfig};

pub fn quota() -> Quota {
    Quota { max_bytes: 1 << 20, max_inodes: 1000 }
}

pub fn vfs_with(layers: Vec<Arc<Layer>>, quota: Quota) -> Arc<Vfs> {
    Vfs::new(VfsConfig { layers, mounts: vec![], quota, real_time: false, entropy: true }).expect("vfs")
}

pub fn vfs() -> Arc<Vfs> {
    vfs_with(vec![], quota())
}

pub fn root() -> Cred {
    Cred::root()
}

pub fn user() -> Cred {
    Cred::user(1000, 1000)
}

pub fn create() -> OpenOptions {
    OpenOptions { read: true, write: true, create: true, mode: 0o644, ..OpenOptions::default() }
}

pub fn read() -> OpenOptions {
    OpenOptions { read: true, follow: true, ..OpenOptions::default() }
}

pub fn write_file(vfs: &Arc<Vfs>, dir: &OpenFile, path: &str, bytes: &[u8]) {
    let file = vfs.open_at(&root(), dir, path, create()).expect("create");
    file.write(bytes).expect("write");
}

pub fn read_file(vfs: &Arc<Vfs>, dir: &OpenFile, path: &str) -> Vec<u8> {
    let file = vfs.open_at(&root(), dir, path, read()).expect("open");
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

pub fn names(file: &OpenFile) -> Vec<String> {
    file.readdir(0).expect("readdir").into_iter().map(|entry| entry.name).collect()
}

pub fn kernel_with(layers: Vec<Arc<Layer>>, max_processes: usize) -> Arc<capsa_kernel::Kernel> {
    capsa_kernel::Kernel::new(capsa_kernel::KernelConfig {
        vfs: VfsConfig { layers, mounts: vec![], quota: quota(), real_time: false, entropy: false },
        clock: false,
        entropy: false,
        max_processes,
        budget: capsa_kernel::BudgetLimits::UNLIMITED,
    })
    .expect("kernel")
}
