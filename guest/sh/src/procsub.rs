//! Process substitution: `<(list)` and `>(list)`.
//!
//! As bash does on Linux: `list` runs in a child shell whose stdout (for
//! `<(…)`) or stdin (for `>(…)`) is a pipe; this shell keeps the other end
//! at a shell fd counted down from 63, and the word becomes `/dev/fd/N`,
//! which the kernel opens as the opener's fd `N`. External commands get
//! the fd at the same number. When the command the word belongs to ends,
//! the fd is closed (a `>(…)` reader sees its end of input) and the child is
//! waited for, so nothing is left behind.

use std::os::fd::OwnedFd;
use std::rc::Rc;

use brush_parser::ast::{ProcessSubstitutionKind, SubshellCommand};

use crate::child::Job;
use crate::redirect::Saved;
use crate::shell::Shell;

/// The highest shell fd a substitution takes (`/dev/fd/63`, as bash); the
/// kernel's `/dev/fd` goes this far.
const TOP_FD: i32 = 63;
/// The lowest: below it are the fds scripts pick for themselves.
const BOTTOM_FD: i32 = 10;

/// A running substitution: its shell fd and its child.
pub struct Substitution {
    /// The shell fd holding this shell's end of the pipe.
    pub fd: i32,
    pid: u32,
}

impl Shell {
    /// Starts `body` as a process substitution; returns its `/dev/fd/N`
    /// path and what [`Shell::finish_substitutions`] ends.
    ///
    /// # Errors
    /// No pipe, no free fd, or the child shell could not start (the message
    /// to print).
    pub fn substitute(
        &mut self,
        kind: &ProcessSubstitutionKind,
        body: &SubshellCommand,
    ) -> Result<(String, Substitution), String> {
        let fd = (BOTTOM_FD..=TOP_FD)
            .rev()
            .find(|n| !self.fds.contains_key(n))
            .ok_or_else(|| "process substitution: no free file descriptor".to_string())?;
        let (read, write) =
            wasi_ext::pipe().map_err(|e| format!("process substitution: {}", crate::sysio::strerror(&e)))?;
        let (ours, theirs, child_std): (OwnedFd, OwnedFd, i32) = match kind {
            ProcessSubstitutionKind::Read => (read.into(), write.into(), 1),
            ProcessSubstitutionKind::Write => (write.into(), read.into(), 0),
        };
        // The child finds the pipe at its stdin or stdout, redirected for
        // the spawn and restored as any redirection is.
        let mut saved = Saved::default();
        let spawned = self
            .install(child_std, theirs, false, &mut saved)
            .map_err(|msg| format!("process substitution: {msg}"))
            .and_then(|()| {
                self.spawn_subshell(Job::List(body.list.clone()))
                    .map_err(|_| "process substitution: the child shell did not start".to_string())
            });
        self.restore(saved);
        let pid = spawned?;
        self.fds.insert(fd, Rc::new(ours));
        Ok((format!("/dev/fd/{fd}"), Substitution { fd, pid }))
    }

    /// Closes the substitutions' fds and waits for their children.
    pub fn finish_substitutions(&mut self, substitutions: Vec<Substitution>) {
        for sub in &substitutions {
            self.fds.remove(&sub.fd);
        }
        for sub in substitutions {
            self.wait_pid(sub.pid);
        }
    }
}
