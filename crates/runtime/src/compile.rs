//! Compiling modules nobody has compiled yet, on a bounded pool of threads,
//! while the process that asked waits only as long as its own limits allow.
//!
//! Cranelift cannot be interrupted once it starts, so a compile that would
//! outlast its requester's deadline is not run on the requester's thread:
//! it is handed to one of [`pool_size`] compile threads shared by the whole
//! host process, and the requester waits for the result in slices,
//! checking its process's kill and deadline between them. A requester that
//! gives up stops waiting at once (its process ends on time); a job it
//! abandoned is dropped if it has not started, and finished (its result
//! cached for the next requester) if it has. So the pool's queue never
//! holds more jobs than there are requesters waiting, and a VM has at most
//! one guest module compiling at a time (see [`Gate`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use capsa_kernel::{KillReason, ProcessControl};

/// How often a waiting requester checks whether it must stop.
const WAIT_SLICE: Duration = Duration::from_millis(20);
/// Stack of a compile thread: Cranelift recurses on deeply nested code.
const COMPILE_STACK: usize = 16 << 20;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The compile threads of this host process.
struct Pool {
    jobs: Mutex<Sender<Job>>,
}

/// Threads compiling at once: the host's cores, at most four.
pub(crate) fn pool_size() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..pool_size() {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("capsa-compile-{n}"))
                .stack_size(COMPILE_STACK)
                .spawn(move || work(&receiver));
            if let Err(err) = spawned {
                tracing::warn!("cannot start a compile thread: {err}");
            }
        }
        Pool { jobs: Mutex::new(sender) }
    })
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A job that panics must not take the thread (and the pool) with it;
        // its requester sees its channel close.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// A job handed to the pool, and its result when it comes.
pub(crate) struct Ticket<T> {
    result: Receiver<T>,
    abandoned: Arc<AtomicBool>,
}

/// Hands `job` to the pool. If the requester has given up before the job
/// starts, the job is dropped unrun.
pub(crate) fn submit<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Ticket<T> {
    let (sender, result) = mpsc::sync_channel(1);
    let abandoned = Arc::new(AtomicBool::new(false));
    let flag = abandoned.clone();
    let run: Job = Box::new(move || {
        if flag.load(Ordering::SeqCst) {
            return;
        }
        // Nobody may be listening any more: that is fine.
        let _ = sender.send(job());
    });
    let sent = pool().jobs.lock().unwrap_or_else(PoisonError::into_inner).send(run);
    if let Err(mpsc::SendError(run)) = sent {
        // No compile thread could be started: compile here instead.
        run();
    }
    Ticket { result, abandoned }
}

impl<T> Ticket<T> {
    /// The job's result, or why the requester stopped waiting for it.
    ///
    /// # Errors
    /// The kill reason; `None` inside if the job panicked.
    pub(crate) fn wait(self, requester: &ProcessControl) -> Result<T, Option<KillReason>> {
        loop {
            if let Some(reason) = requester.pending() {
                self.abandoned.store(true, Ordering::SeqCst);
                return Err(Some(reason));
            }
            match self.result.recv_timeout(WAIT_SLICE) {
                Ok(value) => return Ok(value),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(None),
            }
        }
    }
}

/// One VM's turn at the pool: a VM compiles one module of its guests' at a
/// time, so a VM cannot fill the pool's queue with work nobody waits for.
/// The turn is held by the job itself ([`Turn`]) and ends when the job does,
/// even if its requester stopped waiting long before.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    busy: Mutex<bool>,
    free: Condvar,
}

/// A VM's turn at the pool; ends on drop.
pub(crate) struct Turn(Arc<Gate>);

impl Gate {
    /// Waits for the VM's turn.
    ///
    /// # Errors
    /// Why the requester stopped waiting.
    pub(crate) fn enter(self: &Arc<Self>, requester: &ProcessControl) -> Result<Turn, KillReason> {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(reason) = requester.pending() {
                return Err(reason);
            }
            if !*busy {
                *busy = true;
                return Ok(Turn(self.clone()));
            }
            busy = self.free.wait_timeout(busy, WAIT_SLICE).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.0.free.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_requester_stops_waiting_at_its_deadline_and_its_job_is_skipped() {
        let gate = Arc::new(Gate::default());
        let patient = ProcessControl::new(Some(Instant::now() + Duration::from_secs(30)));
        let past = ProcessControl::new(Some(Instant::now()));
        let turn = gate.enter(&patient).expect("free");
        assert_eq!(gate.enter(&past).err(), Some(KillReason::WallClock), "the VM's turn is taken");
        // Every compile thread busy: the next job waits in the queue.
        let blockers: Vec<_> =
            (0..pool_size()).map(|_| submit(|| std::thread::sleep(Duration::from_millis(300)))).collect();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let started = Instant::now();
        let ticket = submit(move || {
            flag.store(true, Ordering::SeqCst);
            drop(turn);
        });
        assert_eq!(ticket.wait(&past).err(), Some(Some(KillReason::WallClock)));
        assert!(started.elapsed() < Duration::from_secs(5));
        for blocker in blockers {
            assert!(blocker.wait(&patient).is_ok());
        }
        // The skipped job gave the VM's turn back without running.
        assert!(gate.enter(&patient).is_ok());
        assert!(!ran.load(Ordering::SeqCst), "an abandoned job ran");
        assert_eq!(submit(|| 7).wait(&patient).ok(), Some(7));
    }
}
