//! The process table of one VM: pids, parent/child links, process groups,
//! zombies, `wait` and `kill`.
//!
//! One mutex guards the whole table and one condition variable signals every
//! change of it (an exit); tables are small (bounded by
//! `KernelConfig::max_processes`, which counts zombies), so a single lock keeps every operation
//! atomic without ordering problems. The table never calls into a process
//! other than through [`ProcessControl::kill`], which takes only its own lock.
//!
//! Invariants kept by every operation:
//! - a zombie has no children (they are re-parented when it exits);
//! - a process's parent, if any, is live (exiting re-parents or orphans the
//!   children), so a zombie always has someone who can wait for it;
//! - pids grow from 1 and are never reused while the VM lives;
//! - a held process (a session line's child that outlived it) has no
//!   parent, and stays in the table after it ends until the next line
//!   adopts it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::control::{KillReason, ProcessControl, wait_slice};
use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;

/// A process id. Pid 1 is the VM's first process.
pub type Pid = u32;

/// The highest valid signal number (Linux numbering, real-time included).
pub const MAX_SIGNAL: u8 = 64;

/// How a process ended, as `wait` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    /// It exited with this status.
    Exited(u32),
    /// It was ended by this signal (Linux numbering).
    Signaled(u8),
}

impl WaitStatus {
    /// The Linux encoding of a wait status: an exit code `c` is `(c & 0xff) << 8`,
    /// a terminating signal `s` is `s`.
    pub fn encode(&self) -> u32 {
        match *self {
            WaitStatus::Exited(code) => (code & 0xff) << 8,
            WaitStatus::Signaled(signal) => u32::from(signal & 0x7f),
        }
    }
}

/// What a new process is made of.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// The spawning process; `None` for a VM's first process.
    pub parent: Option<Pid>,
    /// Who it runs as.
    pub cred: Cred,
    /// Its working directory (absolute VM path).
    pub cwd: String,
    /// How it is stopped from outside.
    pub control: Arc<ProcessControl>,
    /// A line of an interactive session (`capsa sh`): it adopts what the
    /// previous line left running, and what it leaves running when it ends
    /// is held for the next line (a shell's background jobs), not orphaned.
    pub session_line: bool,
}

/// One entry of the table.
#[derive(Debug)]
struct Entry {
    parent: Option<Pid>,
    pgid: Pid,
    cred: Cred,
    cwd: String,
    control: Arc<ProcessControl>,
    /// `Some` once it has ended: a zombie waiting to be reaped.
    ended: Option<WaitStatus>,
    children: BTreeSet<Pid>,
    /// See [`ProcessSpec::session_line`].
    session_line: bool,
}

impl Entry {
    fn live(&self) -> bool {
        self.ended.is_none()
    }
}

#[derive(Debug)]
struct Table {
    procs: BTreeMap<Pid, Entry>,
    /// Children of an ended session line, waiting for the next line.
    held: BTreeSet<Pid>,
    next_pid: Pid,
    live: usize,
    max: usize,
}

/// The process table (kept inside the [`Kernel`]).
#[derive(Debug)]
pub(crate) struct ProcessTable {
    table: Mutex<Table>,
    /// Signalled whenever a process ends.
    changed: Condvar,
}

impl ProcessTable {
    /// An empty table holding at most `max` processes, zombies included.
    pub(crate) fn new(max: usize) -> Self {
        ProcessTable {
            table: Mutex::new(Table { procs: BTreeMap::new(), held: BTreeSet::new(), next_pid: 1, live: 0, max }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every operation updates the table in steps that cannot panic, so a
        // poisoned lock still guards a consistent table.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Table {
    fn get(&self, pid: Pid) -> Result<&Entry> {
        self.procs.get(&pid).ok_or(KernelError::NoSuchProcess)
    }

    fn get_mut(&mut self, pid: Pid) -> Result<&mut Entry> {
        self.procs.get_mut(&pid).ok_or(KernelError::NoSuchProcess)
    }

    fn is_live(&self, pid: Pid) -> bool {
        self.procs.get(&pid).is_some_and(Entry::live)
    }

    /// Removes a zombie and its parent's link to it.
    fn reap(&mut self, pid: Pid) -> Option<WaitStatus> {
        let entry = self.procs.remove(&pid)?;
        self.held.remove(&pid);
        if let Some(parent) = entry.parent.and_then(|p| self.procs.get_mut(&p)) {
            parent.children.remove(&pid);
        }
        entry.ended
    }
}

/// Which processes a `kill` addresses.
#[derive(Debug, Clone, Copy)]
enum Targets {
    One(Pid),
    Group(Pid),
    All,
}

/// What a signal does to a process that cannot install handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Signal 0: only check existence and permission.
    Check,
    /// Ignored by default (SIGCHLD, SIGCONT, SIGURG, SIGWINCH).
    Ignore,
    /// A stop signal: job control is not supported.
    Stop,
    /// Ends the process.
    Terminate,
}

fn action(signal: u8) -> Result<Action> {
    match signal {
        0 => Ok(Action::Check),
        17 | 18 | 23 | 28 => Ok(Action::Ignore),
        19..=22 => Ok(Action::Stop),
        1..=MAX_SIGNAL => Ok(Action::Terminate),
        _ => Err(KernelError::Invalid),
    }
}

fn may_signal(sender: &Cred, target: &Cred) -> bool {
    sender.is_root() || sender.uid == target.uid
}

impl Kernel {
    /// Adds a process. Pids count up from 1 and are never reused while the
    /// VM lives; the process joins its parent's process group, or leads a
    /// group of its own (pgid = pid) without a parent.
    ///
    /// # Errors
    /// `NoSuchProcess` if the parent is unknown or has ended; `WouldBlock`
    /// (EAGAIN) when the VM's table already holds `max_processes` processes,
    /// live or zombie, or the VM has used up every pid.
    pub fn register_process(&self, spec: ProcessSpec) -> Result<Pid> {
        let mut table = self.procs.lock();
        let (pgid, parent_dying) = match spec.parent {
            Some(parent) if table.is_live(parent) => {
                let entry = table.get(parent)?;
                (Some(entry.pgid), entry.control.pending())
            }
            Some(_) => return Err(KernelError::NoSuchProcess),
            None => (None, None),
        };
        // A parent being killed may still finish a spawn it had begun; the
        // child shares its fate, or it would escape a kill of the parent's
        // tree that walked the table before it was registered. So does a
        // process born after its VM spent its CPU time.
        if let Some(reason) = parent_dying {
            spec.control.kill(reason);
        }
        if self.budget().cpu_exhausted() {
            spec.control.kill(KillReason::CpuTime);
        }
        // Zombies count: an entry holds host memory until it is reaped, so a
        // parent that never waits runs into the limit as one that never ends.
        if table.procs.len() >= table.max {
            return Err(KernelError::WouldBlock);
        }
        let pid = table.next_pid;
        table.next_pid = pid.checked_add(1).ok_or(KernelError::WouldBlock)?;
        let entry = Entry {
            parent: spec.parent,
            pgid: pgid.unwrap_or(pid),
            cred: spec.cred,
            cwd: spec.cwd,
            control: spec.control,
            ended: None,
            children: BTreeSet::new(),
            session_line: spec.session_line,
        };
        table.procs.insert(pid, entry);
        table.live += 1;
        if let Some(parent) = spec.parent.and_then(|p| table.procs.get_mut(&p)) {
            parent.children.insert(pid);
        }
        if spec.session_line {
            // Before the line runs, so its first wait already sees them.
            let held = std::mem::take(&mut table.held);
            let adopted: Vec<Pid> = held.into_iter().filter(|child| table.procs.contains_key(child)).collect();
            for child in &adopted {
                if let Some(entry) = table.procs.get_mut(child) {
                    entry.parent = Some(pid);
                }
            }
            if let Some(entry) = table.procs.get_mut(&pid) {
                entry.children.extend(adopted);
            }
        }
        tracing::debug!(pid, parent = ?spec.parent, "process registered");
        Ok(pid)
    }

    /// Records that `pid` ended with `status`. It stays a zombie until its
    /// parent waits for it, or is reaped at once without a parent (unless
    /// held). Its children are held for the next line if it is a session
    /// line, else re-parented to pid 1 if pid 1 is alive, else they become
    /// orphans (reaped as soon as they end). Wakes every waiter. Unknown or
    /// already-ended pids are ignored.
    pub fn exit_process(&self, pid: Pid, status: WaitStatus) {
        let mut table = self.procs.lock();
        let (children, session_line) = match table.procs.get_mut(&pid) {
            Some(entry) if entry.live() => {
                entry.ended = Some(status);
                (std::mem::take(&mut entry.children), entry.session_line)
            }
            Some(_) | None => return,
        };
        table.live = table.live.saturating_sub(1);
        // A session line's children wait for the next line, not pid 1.
        let adopter = (!session_line && pid != 1 && table.is_live(1)).then_some(1);
        for child in children {
            let zombie = match table.procs.get_mut(&child) {
                Some(entry) => {
                    entry.parent = adopter;
                    !entry.live()
                }
                None => continue,
            };
            match adopter.and_then(|a| table.procs.get_mut(&a)) {
                Some(init) => {
                    init.children.insert(child);
                }
                None if session_line => {
                    table.held.insert(child);
                }
                None if zombie => {
                    table.procs.remove(&child);
                }
                None => {}
            }
        }
        let has_parent =
            table.procs.get(&pid).and_then(|entry| entry.parent).is_some_and(|parent| table.is_live(parent));
        if !has_parent && !table.held.contains(&pid) {
            table.reap(pid);
        }
        drop(table);
        tracing::debug!(pid, ?status, "process exited");
        self.procs.changed.notify_all();
    }

    /// Waits for a child of `parent` to end (`target` = `Some(pid)` for that
    /// child, `None` for any) and reaps it, returning its pid and status.
    /// With `nohang`, returns `Ok(None)` if no matching child has ended yet.
    ///
    /// # Errors
    /// `NoChild` if `parent` has no matching child, live or zombie;
    /// `NoSuchProcess` if `parent` is unknown; `Interrupted` if the process
    /// running on this thread is killed while waiting.
    pub fn wait_child(&self, parent: Pid, target: Option<Pid>, nohang: bool) -> Result<Option<(Pid, WaitStatus)>> {
        let mut table = self.procs.lock();
        loop {
            let entry = table.get(parent)?;
            let mut matching =
                entry.children.iter().copied().filter(|child| target.is_none_or(|t| t == *child)).peekable();
            if matching.peek().is_none() {
                return Err(KernelError::NoChild);
            }
            let ended = matching.find(|child| !table.is_live(*child));
            if let Some(child) = ended
                && let Some(status) = table.reap(child)
            {
                return Ok(Some((child, status)));
            }
            if nohang {
                return Ok(None);
            }
            table = wait_slice(&self.procs.changed, table)?;
        }
    }

    /// Sends `signal` as `sender` (`proc_kill`): `target > 0` is that
    /// process, `0` the sender's group, `< -1` the group `-target`, `-1`
    /// every process but pid 1 and the sender (as Linux). Signal 0 only
    /// checks; SIGCHLD, SIGCONT, SIGURG and SIGWINCH are ignored; any other
    /// signal but a stop signal ends each live target. Zombies exist for the
    /// checks but are not affected.
    ///
    /// # Errors
    /// `Invalid` for a signal above 64; `NoSuchProcess` if no process
    /// matches (or the sender is unknown); `NotPermitted` unless the sender
    /// is root or has the target's uid (for a group: every member refused);
    /// `NotSupported` for SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU.
    pub fn kill(&self, sender: Pid, target: i32, signal: u8) -> Result<()> {
        let action = action(signal)?;
        let table = self.procs.lock();
        let from = table.get(sender)?;
        let targets = match target {
            1.. => Targets::One(target.unsigned_abs()),
            0 => Targets::Group(from.pgid),
            -1 => Targets::All,
            _ => Targets::Group(target.unsigned_abs()),
        };
        let chosen: Vec<(Pid, &Entry)> = table
            .procs
            .iter()
            .filter(|(pid, entry)| match targets {
                Targets::One(one) => **pid == one,
                Targets::Group(group) => entry.pgid == group,
                Targets::All => **pid != 1 && **pid != sender,
            })
            .map(|(pid, entry)| (*pid, entry))
            .collect();
        if chosen.is_empty() {
            return Err(KernelError::NoSuchProcess);
        }
        let allowed: Vec<&Entry> =
            chosen.iter().filter(|(_, entry)| may_signal(&from.cred, &entry.cred)).map(|(_, entry)| *entry).collect();
        // Linux: kill(-1) succeeds if any process was addressed, even when
        // every one of them refused; a pid or a group needs a permitted target.
        if allowed.is_empty() {
            return match targets {
                Targets::All => Ok(()),
                Targets::One(_) | Targets::Group(_) => Err(KernelError::NotPermitted),
            };
        }
        match action {
            Action::Check | Action::Ignore => Ok(()),
            Action::Stop => Err(KernelError::NotSupported),
            Action::Terminate => {
                for entry in allowed.into_iter().filter(|entry| entry.live()) {
                    entry.control.kill(KillReason::Signal(signal));
                }
                tracing::debug!(sender, target, signal, "signal sent");
                Ok(())
            }
        }
    }

    /// The parent of `pid`, or 0 if it has none.
    ///
    /// # Errors
    /// `NoSuchProcess` for an unknown pid.
    pub fn parent_of(&self, pid: Pid) -> Result<Pid> {
        Ok(self.procs.lock().get(pid)?.parent.unwrap_or(0))
    }

    /// The process group of `pid`.
    ///
    /// # Errors
    /// `NoSuchProcess` for an unknown pid.
    pub fn pgid_of(&self, pid: Pid) -> Result<Pid> {
        Ok(self.procs.lock().get(pid)?.pgid)
    }

    /// Moves `pid` (0 = `caller`) into group `pgid` (0 = `pid`'s own).
    /// `pid` must be the caller or one of its live children; the group must
    /// be `pid` itself or already have a live member.
    ///
    /// # Errors
    /// `NoSuchProcess` if `pid` is unknown, ended, or neither the caller nor
    /// its child; `NotPermitted` if the group does not exist.
    pub fn set_pgid(&self, caller: Pid, pid: Pid, pgid: Pid) -> Result<()> {
        let mut table = self.procs.lock();
        let pid = if pid == 0 { caller } else { pid };
        let pgid = if pgid == 0 { pid } else { pgid };
        let entry = table.get(pid)?;
        if !entry.live() || (pid != caller && entry.parent != Some(caller)) {
            return Err(KernelError::NoSuchProcess);
        }
        let group_exists = table.procs.values().any(|other| other.live() && other.pgid == pgid);
        if pgid != pid && !group_exists {
            return Err(KernelError::NotPermitted);
        }
        table.get_mut(pid)?.pgid = pgid;
        Ok(())
    }

    /// The working directory of `pid`.
    ///
    /// # Errors
    /// `NoSuchProcess` for an unknown pid.
    pub fn cwd_of(&self, pid: Pid) -> Result<String> {
        Ok(self.procs.lock().get(pid)?.cwd.clone())
    }

    /// Records a new working directory for `pid` (the caller checked it is a
    /// directory).
    ///
    /// # Errors
    /// `NoSuchProcess` for an unknown pid.
    pub fn set_cwd(&self, pid: Pid, cwd: String) -> Result<()> {
        self.procs.lock().get_mut(pid)?.cwd = cwd;
        Ok(())
    }

    /// The credentials of `pid`.
    ///
    /// # Errors
    /// `NoSuchProcess` for an unknown pid.
    pub fn cred_of(&self, pid: Pid) -> Result<Cred> {
        Ok(self.procs.lock().get(pid)?.cred.clone())
    }

    /// The control block of `pid`.
    ///
    /// # Errors
    /// `NoSuchProcess` for an unknown pid.
    pub fn control_of(&self, pid: Pid) -> Result<Arc<ProcessControl>> {
        Ok(self.procs.lock().get(pid)?.control.clone())
    }

    /// Kills every live descendant of `pid` with `reason` (when a VM's top
    /// process ends, nothing it started may outlive it).
    pub fn kill_descendants(&self, pid: Pid, reason: KillReason) {
        let table = self.procs.lock();
        let mut pending: Vec<Pid> =
            table.procs.get(&pid).map(|entry| entry.children.iter().copied().collect()).unwrap_or_default();
        // Parent links form a tree, but the visited set keeps the walk
        // bounded by the table size whatever the links say.
        let mut visited = BTreeSet::new();
        while let Some(next) = pending.pop() {
            if !visited.insert(next) {
                continue;
            }
            if let Some(entry) = table.procs.get(&next) {
                if entry.live() {
                    entry.control.kill(reason);
                }
                pending.extend(entry.children.iter().copied());
            }
        }
    }

    /// Kills `pid`'s live descendants in its own process group with
    /// `reason`, as a terminal's interrupt reaches its foreground job and not
    /// the jobs a shell put in groups of their own (nor what they started).
    pub fn kill_descendants_in_group(&self, pid: Pid, reason: KillReason) {
        let table = self.procs.lock();
        let Some(top) = table.procs.get(&pid) else { return };
        let group = top.pgid;
        let mut pending: Vec<Pid> = top.children.iter().copied().collect();
        let mut visited = BTreeSet::new();
        while let Some(next) = pending.pop() {
            if !visited.insert(next) {
                continue;
            }
            if let Some(entry) = table.procs.get(&next).filter(|entry| entry.pgid == group) {
                if entry.live() {
                    entry.control.kill(reason);
                }
                pending.extend(entry.children.iter().copied());
            }
        }
    }

    /// Kills every live process of the VM with `reason` (the VM is going
    /// away: nothing it ran may outlive it).
    pub fn kill_all(&self, reason: KillReason) {
        let table = self.procs.lock();
        for entry in table.procs.values().filter(|entry| entry.live()) {
            entry.control.kill(reason);
        }
    }

    /// How many processes a session holds for its next line (see
    /// [`ProcessSpec::session_line`]), live or ended.
    pub fn held_processes(&self) -> usize {
        self.procs.lock().held.len()
    }

    /// Charges `spent` CPU time to the VM; once its budget is spent, every
    /// live process of the VM is killed (`CpuTime`), whichever thread spent
    /// the last of it. Returns whether the VM is still within its budget.
    pub fn charge_cpu(&self, spent: std::time::Duration) -> bool {
        if self.budget().charge_cpu(spent) {
            return true;
        }
        let table = self.procs.lock();
        for entry in table.procs.values().filter(|entry| entry.live()) {
            entry.control.kill(KillReason::CpuTime);
        }
        false
    }

    /// How many processes the table holds: live ones and zombies, what
    /// `KernelConfig::max_processes` bounds.
    pub fn process_entries(&self) -> usize {
        self.procs.lock().procs.len()
    }

    /// How many processes are live (zombies not counted).
    pub fn live_processes(&self) -> usize {
        self.procs.lock().live
    }
}
