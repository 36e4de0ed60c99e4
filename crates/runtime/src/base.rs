//! The base layer every VM boots from: the directories and account files a
//! POSIX program expects. Built once per runtime and shared by all VMs.

use std::sync::Arc;

use capsa_kernel::{KernelError, Layer, LayerBuilder, Meta};

use crate::identity::Identity;

/// The account no file belongs to.
const NOBODY: &str = "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const NOGROUP: &str = "nogroup:x:65534:\n";

/// Builds the base layer.
///
/// # Errors
/// Only if the fixed tree above were inconsistent.
pub fn base_layer() -> Result<Arc<Layer>, KernelError> {
    let mut layer = LayerBuilder::new();
    let (root, user) = (Identity::ROOT, Identity::USER);
    let passwd = format!("{}{}{NOBODY}", root.passwd_line(), user.passwd_line());
    let group = format!("{}{}{NOGROUP}", root.group_line(), user.group_line());
    layer
        .dir("/bin", Meta::root(0o755))?
        .dir("/usr/bin", Meta::root(0o755))?
        .dir("/etc", Meta::root(0o755))?
        .dir(root.home, Meta::root(0o700))?
        .dir("/home", Meta::root(0o755))?
        .dir(user.home, Meta { mode: 0o755, uid: user.uid, gid: user.uid })?
        .file("/etc/passwd", Arc::from(passwd.into_bytes()), Meta::root(0o644))?
        .file("/etc/group", Arc::from(group.into_bytes()), Meta::root(0o644))?
        .file("/etc/hostname", Arc::from(&b"capsa\n"[..]), Meta::root(0o644))?;
    Ok(layer.build())
}
