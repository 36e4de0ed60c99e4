//! How a guest process stops other than by returning from `_start`, and the
//! control block through which the runtime (deadlines) and, later, other
//! processes (kill) stop it.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use capsa_kernel::LimitKind;

/// Why a running process was stopped from outside its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillReason {
    /// It passed its wall-clock deadline.
    WallClock,
    /// It hit an output cap.
    Output(LimitKind),
    /// It was sent a terminating signal (Linux numbering).
    Signal(u8),
}

/// A guest process ended without returning: returned as the error of the
/// host call that ended it, and recognised by the runtime with `downcast_ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuestExit {
    /// `proc_exit(code)`.
    #[error("guest exited with status {0}")]
    Exit(u32),
    /// Ended by a signal it raised itself (`proc_raise`), Linux numbering.
    #[error("guest terminated by signal {0}")]
    Signal(u8),
    /// Stopped by the runtime or another process.
    #[error("guest killed: {0:?}")]
    Killed(KillReason),
}

/// Per-process control block: the wall-clock deadline and a pending kill.
/// Sleeping host calls wait on it so a kill or the deadline wakes them.
#[derive(Debug)]
pub struct ProcessControl {
    deadline: Option<Instant>,
    kill: Mutex<Option<KillReason>>,
    wake: Condvar,
}

impl ProcessControl {
    /// A control block with an optional wall-clock deadline.
    pub fn new(deadline: Option<Instant>) -> Self {
        ProcessControl { deadline, kill: Mutex::new(None), wake: Condvar::new() }
    }

    /// Asks the process to stop; the first reason given wins.
    pub fn kill(&self, reason: KillReason) {
        let mut pending = self.kill.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        pending.get_or_insert(reason);
        self.wake.notify_all();
    }

    /// Whether the process must stop now, and why.
    pub fn pending(&self) -> Option<KillReason> {
        let pending = *self.kill.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        pending.or_else(|| self.deadline.filter(|d| Instant::now() >= *d).map(|_| KillReason::WallClock))
    }

    /// Sleeps for `duration`, returning early with the reason if the process
    /// is killed or reaches its deadline meanwhile.
    ///
    /// # Errors
    /// The kill reason.
    pub fn sleep(&self, duration: Duration) -> Result<(), KillReason> {
        let wake_at = Instant::now().checked_add(duration);
        let mut pending = self.kill.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if let Some(reason) = *pending {
                return Err(reason);
            }
            let now = Instant::now();
            if self.deadline.is_some_and(|d| now >= d) {
                return Err(KillReason::WallClock);
            }
            let until = match (wake_at, self.deadline) {
                (Some(w), Some(d)) => w.min(d),
                (Some(w), None) => w,
                (None, Some(d)) => d,
                // Sleeping "forever" with no deadline: wake periodically.
                (None, None) => now + Duration::from_secs(3600),
            };
            if wake_at.is_some_and(|w| now >= w) {
                return Ok(());
            }
            let (guard, _) = self
                .wake
                .wait_timeout(pending, until.saturating_duration_since(now))
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pending = guard;
        }
    }
}
