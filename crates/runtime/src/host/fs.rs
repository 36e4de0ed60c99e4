//! Granted host directories: each opened once, by the path the user gave,
//! as the `cap_std::fs::Dir` that is the kernel's only authority over it.

use cap_std::ambient_authority;
use capsa_kernel::Mount;

use super::GrantError;
use crate::config::DirGrant;

/// Opens a granted host directory as a kernel mount.
///
/// # Errors
/// The directory cannot be opened.
pub(crate) fn mount(grant: &DirGrant) -> Result<Mount, GrantError> {
    let dir = cap_std::fs::Dir::open_ambient_dir(&grant.host, ambient_authority())
        .map_err(|source| GrantError::Dir { host: grant.host.clone(), source })?;
    Ok(Mount { guest_path: mount_point(&grant.guest), dir, read_only: grant.read_only })
}

/// The absolute VFS path a guest path is mounted at (relative ones go under `/`).
pub(crate) fn mount_point(guest: &str) -> String {
    if guest.starts_with('/') { guest.to_string() } else { format!("/{guest}") }
}
