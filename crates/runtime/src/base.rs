//! The base layer every VM boots from: the directories and account files a
//! POSIX program expects. Built once per runtime and shared by all VMs.

use std::sync::Arc;

use capsa_kernel::{KernelError, Layer, LayerBuilder, Meta};

/// uid and gid of the VM's default unprivileged user.
pub const DEFAULT_UID: u32 = 1000;
/// Name of the default user.
pub const DEFAULT_USER: &str = "user";

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n";

/// Builds the base layer.
///
/// # Errors
/// Only if the fixed tree above were inconsistent.
pub fn base_layer() -> Result<Arc<Layer>, KernelError> {
    let mut layer = LayerBuilder::new();
    let user = Meta { mode: 0o755, uid: DEFAULT_UID, gid: DEFAULT_UID };
    layer
        .dir("/bin", Meta::root(0o755))?
        .dir("/usr/bin", Meta::root(0o755))?
        .dir("/etc", Meta::root(0o755))?
        .dir("/root", Meta::root(0o700))?
        .dir("/home", Meta::root(0o755))?
        .dir("/home/user", user)?
        .file("/etc/passwd", Arc::from(PASSWD.as_bytes()), Meta::root(0o644))?
        .file("/etc/group", Arc::from(GROUP.as_bytes()), Meta::root(0o644))?
        .file("/etc/hostname", Arc::from(&b"capsa\n"[..]), Meta::root(0o644))?;
    Ok(layer.build())
}
