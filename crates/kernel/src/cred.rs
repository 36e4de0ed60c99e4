//! Credentials: who a process is, for permission checks.

/// The identity a process acts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cred {
    /// Effective user id (0 is root and bypasses mode checks except exec).
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl Cred {
    /// The superuser.
    pub fn root() -> Self {
        Cred { uid: 0, gid: 0, groups: Vec::new() }
    }

    /// An ordinary user with one group.
    pub fn user(uid: u32, gid: u32) -> Self {
        Cred { uid, gid, groups: Vec::new() }
    }

    /// Whether this is the superuser.
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    /// Whether the credential is a member of `gid` (primary or supplementary).
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}
