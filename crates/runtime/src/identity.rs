//! Who a VM's first processes are: one of the two login accounts of the
//! base layer's `/etc/passwd`. Every place that needs a uid, a user name or
//! a home directory asks an [`Identity`], so they cannot disagree.

use capsa_kernel::Cred;

/// A login account inside a VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// User id (and primary group id).
    pub uid: u32,
    /// Login name (`$USER`).
    pub user: &'static str,
    /// Home directory (`$HOME`).
    pub home: &'static str,
    /// Login shell.
    pub shell: &'static str,
}

impl Identity {
    /// The unprivileged user every VM runs as by default.
    pub const USER: Identity = Identity { uid: 1000, user: "user", home: "/home/user", shell: "/bin/sh" };
    /// Root: every permission inside the VM, no authority outside it.
    pub const ROOT: Identity = Identity { uid: 0, user: "root", home: "/root", shell: "/bin/sh" };

    /// [`Identity::ROOT`] if `root`, else [`Identity::USER`].
    pub fn of(root: bool) -> Identity {
        if root { Identity::ROOT } else { Identity::USER }
    }

    /// Whether this is root.
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    /// The kernel credentials of its processes.
    pub fn cred(&self) -> Cred {
        if self.is_root() { Cred::root() } else { Cred::user(self.uid, self.uid) }
    }

    /// Its `/etc/passwd` line.
    pub(crate) fn passwd_line(&self) -> String {
        let Identity { uid, user, home, shell } = self;
        format!("{user}:x:{uid}:{uid}:{user}:{home}:{shell}\n")
    }

    /// Its `/etc/group` line (its own group).
    pub(crate) fn group_line(&self) -> String {
        format!("{}:x:{}:\n", self.user, self.uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accounts_are_the_usual_ones() {
        assert_eq!(Identity::ROOT.passwd_line(), "root:x:0:0:root:/root:/bin/sh\n");
        assert_eq!(Identity::USER.passwd_line(), "user:x:1000:1000:user:/home/user:/bin/sh\n");
        assert_eq!(Identity::of(true), Identity::ROOT);
        assert_eq!(Identity::USER.cred(), Cred::user(1000, 1000));
    }
}
