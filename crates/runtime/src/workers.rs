//! Process threads that outlive their process: a thread that ran a guest
//! waits a while for the next one with the same stack size instead of
//! ending. Starting a process on a waiting thread skips creating a thread
//! (its stack mapping, its guard page) and wasmtime's per-thread setup (the
//! signal stack), which together cost more than instantiating a module.
//!
//! At most [`MAX_IDLE`] threads per stack size wait, each for at most
//! [`IDLE_TIMEOUT`]; a job that panics ends its thread. Jobs are the
//! runtime's own closures (run a process, report its end), never guest code
//! outside a wasmtime store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Most threads of one stack size kept waiting.
pub const MAX_IDLE: usize = 8;
/// How long a thread waits for its next job before it ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// A job for a worker thread.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// A waiting thread: how to hand it a job, and an id to find it by.
struct Idle {
    id: u64,
    jobs: mpsc::Sender<Job>,
}

/// Waiting threads by stack size.
static IDLE: Mutex<Option<HashMap<usize, Vec<Idle>>>> = Mutex::new(None);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn idle() -> MutexGuard<'static, Option<HashMap<usize, Vec<Idle>>>> {
    // Every update leaves the map consistent: a poisoned lock is still usable.
    IDLE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `job` on a waiting thread with a `stack`-byte stack, or on a new one.
///
/// # Errors
/// If no thread waits and none can be created.
pub fn run(stack: usize, job: Job) -> std::io::Result<()> {
    let mut job = job;
    loop {
        let waiting = idle().as_mut().and_then(|map| map.get_mut(&stack)).and_then(Vec::pop);
        let Some(worker) = waiting else { break };
        match worker.jobs.send(job) {
            Ok(()) => return Ok(()),
            // That thread has ended after all: try the next one.
            Err(mpsc::SendError(back)) => job = back,
        }
    }
    std::thread::Builder::new().name("capsa-process".into()).stack_size(stack).spawn(move || work(stack, job))?;
    Ok(())
}

/// How many threads with a `stack`-byte stack wait now.
#[cfg(test)]
pub fn idle_count(stack: usize) -> usize {
    idle().as_ref().and_then(|map| map.get(&stack)).map_or(0, Vec::len)
}

/// A worker thread's life: run the job, then wait for the next while allowed.
fn work(stack: usize, first: Job) {
    let mut job = first;
    loop {
        // A panicking job ends the thread (its state may be anything); the
        // job's own result channel tells its owner.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            return;
        }
        let (sender, jobs) = mpsc::channel();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        {
            let mut map = idle();
            let waiting = map.get_or_insert_with(HashMap::new).entry(stack).or_default();
            if waiting.len() >= MAX_IDLE {
                return;
            }
            waiting.push(Idle { id, jobs: sender });
        }
        job = match jobs.recv_timeout(IDLE_TIMEOUT) {
            Ok(next) => next,
            Err(RecvTimeoutError::Timeout) => {
                let mut map = idle();
                let waiting = map.as_mut().and_then(|map| map.get_mut(&stack));
                let position = waiting.as_ref().and_then(|w| w.iter().position(|idle| idle.id == id));
                if let (Some(waiting), Some(at)) = (waiting, position) {
                    waiting.swap_remove(at);
                    return;
                }
                drop(map);
                // Someone took this thread off the list just now: its job
                // is on the way (or the sender gave up, and the thread ends).
                match jobs.recv() {
                    Ok(next) => next,
                    Err(_) => return,
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    /// Runs `f` on a worker and returns what it returned (`None` if it panicked).
    fn on_worker<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = mpsc::channel();
        run(
            stack,
            Box::new(move || {
                let _ = tx.send(f());
            }),
        )
        .expect("start a worker");
        rx.recv().ok()
    }

    /// Waits (bounded) until a thread of `stack` waits for work.
    fn wait_idle(stack: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while idle_count(stack) == 0 {
            assert!(Instant::now() < deadline, "no worker came back to wait");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_waiting_thread_runs_the_next_job() {
        // A stack size no other test uses, so no other job takes the thread.
        let stack = (1 << 20) + 4096;
        let first = on_worker(stack, || std::thread::current().id()).expect("ran");
        wait_idle(stack);
        let second = on_worker(stack, || std::thread::current().id()).expect("ran");
        assert_eq!(first, second);
    }

    #[test]
    fn a_panicking_job_ends_its_thread_only() {
        let stack = (1 << 20) + 8192;
        let panicked = on_worker(stack, || -> u32 { panic!("a job panics") });
        assert_eq!(panicked, None);
        assert_eq!(on_worker(stack, || 7), Some(7));
    }

    #[test]
    fn stacks_of_other_sizes_get_their_own_threads() {
        let (small, large) = ((1 << 20) + 12288, (1 << 20) + 16384);
        let first = on_worker(small, || std::thread::current().id()).expect("ran");
        wait_idle(small);
        let other = on_worker(large, || std::thread::current().id()).expect("ran");
        assert_ne!(first, other);
    }
}
