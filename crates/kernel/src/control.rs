//! How a process is stopped from outside its own code: the per-process
//! control block through which the runtime (deadlines, output caps) and other
//! processes (`kill`) stop it, and the thread-local "current process" that
//! lets blocking kernel waits notice a pending kill.
//!
//! Every blocking wait in the kernel (pipe and socket reads and writes,
//! `accept`, `wait_child`) waits on its own condition variable through
//! [`wait_slice`]: slices of at most [`WAIT_SLICE`], [`current_pending`]
//! checked before each, so a kill is noticed within one slice without the
//! waiter having to be registered anywhere.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{KernelError, LimitKind};

/// Longest a blocking kernel wait sleeps before rechecking for a kill.
pub const WAIT_SLICE: Duration = Duration::from_millis(20);

/// One slice of a blocking kernel wait: fails with `Interrupted` if the
/// process running on this thread is being killed, else waits on `condvar`
/// for at most [`WAIT_SLICE`] and gives the guard back (the caller rechecks
/// its condition).
///
/// # Errors
/// `Interrupted` if a kill or deadline is pending.
pub(crate) fn wait_slice<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> Result<MutexGuard<'a, T>, KernelError> {
    if current_pending().is_some() {
        return Err(KernelError::Interrupted);
    }
    let (guard, _) = condvar.wait_timeout(guard, WAIT_SLICE).unwrap_or_else(PoisonError::into_inner);
    Ok(guard)
}

/// Why a running process was stopped from outside its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillReason {
    /// It passed its wall-clock deadline.
    WallClock,
    /// Its VM used up its CPU-time budget.
    CpuTime,
    /// It hit an output cap.
    Output(LimitKind),
    /// It was sent a terminating signal (Linux numbering).
    Signal(u8),
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

    fn lock(&self) -> MutexGuard<'_, Option<KillReason>> {
        // The guarded value is a plain Option: a panic cannot leave it torn.
        self.kill.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the process to stop; the first reason given wins. Wakes the
    /// process if it is inside [`ProcessControl::sleep`].
    pub fn kill(&self, reason: KillReason) {
        let mut pending = self.lock();
        pending.get_or_insert(reason);
        self.wake.notify_all();
    }

    /// Whether the process must stop now, and why.
    pub fn pending(&self) -> Option<KillReason> {
        let pending = *self.lock();
        pending.or_else(|| self.deadline.filter(|d| Instant::now() >= *d).map(|_| KillReason::WallClock))
    }

    /// The kill asked for, if any (not the deadline): a process that was
    /// killed and then exits on its own still ended by the kill, as on
    /// Linux, where a pending SIGKILL is taken before `exit` returns.
    pub fn killed(&self) -> Option<KillReason> {
        *self.lock()
    }

    /// Sleeps for `duration`, returning early with the reason if the process
    /// is killed or reaches its deadline meanwhile.
    ///
    /// # Errors
    /// The kill reason.
    pub fn sleep(&self, duration: Duration) -> Result<(), KillReason> {
        let wake_at = Instant::now().checked_add(duration);
        let mut pending = self.lock();
        loop {
            if let Some(reason) = *pending {
                return Err(reason);
            }
            let now = Instant::now();
            if self.deadline.is_some_and(|d| now >= d) {
                return Err(KillReason::WallClock);
            }
            if wake_at.is_some_and(|w| now >= w) {
                return Ok(());
            }
            let until = match (wake_at, self.deadline) {
                (Some(w), Some(d)) => w.min(d),
                (Some(w), None) => w,
                (None, Some(d)) => d,
                // Sleeping "forever" with no deadline: wake periodically.
                (None, None) => now + Duration::from_secs(3600),
            };
            let (guard, _) = self
                .wake
                .wait_timeout(pending, until.saturating_duration_since(now))
                .unwrap_or_else(PoisonError::into_inner);
            pending = guard;
        }
    }
}

thread_local! {
    /// The process whose host calls run on this thread (one guest per thread).
    static CURRENT: RefCell<Option<Arc<ProcessControl>>> = const { RefCell::new(None) };
}

/// Records `control` as the process running on this thread, so blocking
/// kernel waits on this thread can be interrupted by killing it.
pub fn set_current(control: Arc<ProcessControl>) {
    CURRENT.with(|current| *current.borrow_mut() = Some(control));
}

/// Forgets the process running on this thread (when its guest has ended).
pub fn clear_current() {
    CURRENT.with(|current| *current.borrow_mut() = None);
}

/// The control block of the process running on this thread, if any.
pub fn current() -> Option<Arc<ProcessControl>> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Why the process running on this thread must stop, if it must; `None` if
/// no process is recorded for this thread.
pub fn current_pending() -> Option<KillReason> {
    CURRENT.with(|current| current.borrow().as_ref().and_then(|c| c.pending()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_wakes_a_sleeper_and_the_first_reason_wins() {
        let control = Arc::new(ProcessControl::new(None));
        let sleeper = {
            let control = control.clone();
            std::thread::spawn(move || control.sleep(Duration::from_secs(30)))
        };
        std::thread::sleep(Duration::from_millis(20));
        control.kill(KillReason::Signal(15));
        control.kill(KillReason::WallClock);
        assert_eq!(sleeper.join().ok(), Some(Err(KillReason::Signal(15))));
        assert_eq!(control.pending(), Some(KillReason::Signal(15)));
    }

    #[test]
    fn the_deadline_counts_as_a_kill_and_current_is_per_thread() {
        let control = Arc::new(ProcessControl::new(Some(Instant::now())));
        assert_eq!(control.sleep(Duration::from_secs(1)), Err(KillReason::WallClock));
        // Only a kill asked for overrides a process's own exit status.
        assert_eq!(control.killed(), None);
        assert_eq!(current_pending(), None);
        set_current(control);
        assert_eq!(current_pending(), Some(KillReason::WallClock));
        assert!(std::thread::spawn(current_pending).join().ok() == Some(None));
        clear_current();
        assert_eq!(current_pending(), None);
    }
}
