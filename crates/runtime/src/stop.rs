//! Stopping one run from another thread: a [`StopHandle`] given in
//! [`crate::RunOptions`] learns the run's process when it starts, and
//! [`StopHandle::signal`] ends that process and everything it started —
//! and only those: the VM's other runs go on. A signal sent before the
//! process exists is delivered the moment it does.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use capsa_kernel::{Kernel, KillReason, Pid};

/// A handle on one run's process tree (see the module doc). Clones share it.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<Mutex<State>>);

#[derive(Debug, Default)]
struct State {
    /// The run's process, while it runs.
    running: Option<(Weak<Kernel>, Pid)>,
    /// A signal asked for before the process started.
    pending: Option<u8>,
    /// The run ended: signals do nothing.
    ended: bool,
}

impl StopHandle {
    /// A handle not yet given to a run.
    pub fn new() -> StopHandle {
        StopHandle::default()
    }

    /// Ends the run's process and its descendants with `signal` (Linux
    /// numbering: 9 for SIGKILL, 15 for SIGTERM, 2 for SIGINT); nothing if
    /// the run has ended.
    pub fn signal(&self, signal: u8) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if state.ended {
            return;
        }
        match &state.running {
            Some((kernel, pid)) => {
                if let Some(kernel) = kernel.upgrade() {
                    deliver(&kernel, *pid, signal);
                }
            }
            None => state.pending = Some(signal),
        }
    }

    /// The run's process started as `pid` of `kernel`.
    pub(crate) fn started(&self, kernel: &Arc<Kernel>, pid: Pid) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.running = Some((Arc::downgrade(kernel), pid));
        if let Some(signal) = state.pending.take() {
            deliver(kernel, pid, signal);
        }
    }

    /// The run is over.
    pub(crate) fn ended(&self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.running = None;
        state.ended = true;
    }
}

/// The top first: from then on a child it still registers is killed at
/// birth, so the walk of its descendants cannot miss one.
fn deliver(kernel: &Kernel, pid: Pid, signal: u8) {
    if let Ok(control) = kernel.control_of(pid) {
        control.kill(KillReason::Signal(signal));
    }
    kernel.kill_descendants(pid, KillReason::Signal(signal));
}
