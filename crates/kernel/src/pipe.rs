//! Pipes: a bounded in-memory byte queue between a read end and a write end.
//!
//! Each end is one open-file description ([`OpenFile`]); `dup` and fd
//! inheritance share the description, so the "writers exist" and "readers
//! exist" counts are counts of live descriptions, kept by `Drop` of
//! the private `PipeEnd`. Dropping the last end of a side wakes everyone blocked on the
//! other side (readers then see EOF, writers `BrokenPipe`).
//!
//! A pipe's buffer is allocated at its full [`PIPE_CAPACITY`] when the pipe
//! is made and charged to the VM's memory budget ([`PIPE_CHARGE`]) until both
//! ends are gone, so the memory a VM's pipes can hold is bounded by its budget.
//!
//! Blocking waits sleep on a condition variable in slices of
//! [`WAIT_SLICE`] and give up with `Interrupted`
//! once the current process has a pending kill, so a kill never waits on a
//! peer that will not come.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::budget::{Budget, MemoryCharge};
use crate::control::wait_slice;
use crate::error::{KernelError, Result};
use crate::file::{FileKind, OpenFile};
use crate::types::{FileType, Readiness, Stat, StatusFlags};

/// Most bytes a pipe buffers; a writer blocks while the buffer is full.
pub const PIPE_CAPACITY: usize = 64 * 1024;
/// Writes of at most this many bytes are atomic (never interleaved with
/// other writers' bytes), as POSIX `PIPE_BUF` promises.
pub const PIPE_BUF: usize = 4096;
/// What one pipe is charged to its VM's memory budget: its buffer and its
/// bookkeeping.
pub const PIPE_CHARGE: u64 = PIPE_CAPACITY as u64 + 512;

/// Inode numbers for `stat` of pipes, unique per process lifetime.
static NEXT_PIPE_INO: AtomicU64 = AtomicU64::new(1);

/// The shared part of a pipe.
#[derive(Debug)]
pub(crate) struct Pipe {
    state: Mutex<PipeState>,
    /// Signalled when bytes arrive or the last writer goes.
    readable: Condvar,
    /// Signalled when room appears or the last reader goes.
    writable: Condvar,
    ino: u64,
    /// The pipe's share of the VM's memory budget, given back with the pipe.
    _charge: MemoryCharge,
}

#[derive(Debug)]
struct PipeState {
    buf: VecDeque<u8>,
    readers: usize,
    writers: usize,
}

/// One end of a pipe, owned by exactly one open-file description.
#[derive(Debug)]
pub(crate) struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut st = self.pipe.lock();
        if self.write {
            st.writers = st.writers.saturating_sub(1);
        } else {
            st.readers = st.readers.saturating_sub(1);
        }
        drop(st);
        self.pipe.readable.notify_all();
        self.pipe.writable.notify_all();
    }
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, PipeState> {
        // Every update below leaves the state consistent before anything
        // that could panic, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PipeEnd {
    /// Reads what is buffered (at most `out.len()` bytes), blocking while the
    /// pipe is empty and a writer exists; `Ok(0)` at end of file.
    pub(crate) fn read(&self, out: &mut [u8], nonblock: bool) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let pipe = &self.pipe;
        let mut st = pipe.lock();
        loop {
            if !st.buf.is_empty() {
                let count = take_front(&mut st.buf, out);
                drop(st);
                pipe.writable.notify_all();
                return Ok(count);
            }
            if st.writers == 0 {
                return Ok(0);
            }
            if nonblock {
                return Err(KernelError::WouldBlock);
            }
            st = wait_slice(&pipe.readable, st)?;
        }
    }

    /// Writes all of `data`, blocking while the pipe is full. Writes of at
    /// most [`PIPE_BUF`] bytes go in at once or not at all; larger ones may
    /// be split. If the write is cut short (non-blocking, no reader left, or
    /// interrupted) after some bytes went in, the count so far is returned.
    pub(crate) fn write(&self, data: &[u8], nonblock: bool) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let pipe = &self.pipe;
        let atomic = data.len() <= PIPE_BUF;
        let mut written = 0;
        let mut st = pipe.lock();
        loop {
            if st.readers == 0 {
                return if written > 0 { Ok(written) } else { Err(KernelError::BrokenPipe) };
            }
            let rest = data.get(written..).unwrap_or_default();
            let room = PIPE_CAPACITY.saturating_sub(st.buf.len());
            let fits = if atomic { room >= rest.len() } else { room > 0 };
            if fits {
                let count = room.min(rest.len());
                // A slice of `u8` extends a `VecDeque` by memcpy.
                st.buf.extend(rest.get(..count).unwrap_or_default());
                written += count;
                if written >= data.len() {
                    drop(st);
                    pipe.readable.notify_all();
                    return Ok(written);
                }
                pipe.readable.notify_all();
                continue;
            }
            if nonblock {
                return if written > 0 { Ok(written) } else { Err(KernelError::WouldBlock) };
            }
            st = match wait_slice(&pipe.writable, st) {
                Ok(st) => st,
                Err(err) if written == 0 => return Err(err),
                Err(_) => return Ok(written),
            };
        }
    }

    /// Whether a read or write would block now (see [`Readiness`]).
    pub(crate) fn readiness(&self) -> Readiness {
        let st = self.pipe.lock();
        if self.write {
            let room = PIPE_CAPACITY.saturating_sub(st.buf.len());
            let hangup = st.readers == 0;
            Readiness { readable: None, writable: (hangup || room > 0).then_some(room as u64), hangup }
        } else {
            let hangup = st.writers == 0;
            Readiness {
                readable: (hangup || !st.buf.is_empty()).then_some(st.buf.len() as u64),
                writable: None,
                hangup,
            }
        }
    }

    /// `stat` of either end: a FIFO with the buffered byte count as size.
    pub(crate) fn stat(&self) -> Stat {
        let size = self.pipe.lock().buf.len() as u64;
        Stat {
            dev: 0,
            ino: self.pipe.ino,
            file_type: FileType::Fifo,
            nlink: 1,
            size,
            atime: 0,
            mtime: 0,
            ctime: 0,
            mode: 0o600,
            uid: 0,
            gid: 0,
        }
    }
}

/// Moves the first `min(buf.len(), out.len())` bytes of `buf` into `out`
/// and returns how many.
fn take_front(buf: &mut VecDeque<u8>, out: &mut [u8]) -> usize {
    let count = copy_front(buf, out);
    buf.drain(..count);
    count
}

/// Copies the first `min(buf.len(), out.len())` bytes of `buf` into `out`,
/// a slice at a time (the queue's two halves), and returns how many. Also
/// the byte path of socket streams (`net::stream`).
pub(crate) fn copy_front(buf: &VecDeque<u8>, out: &mut [u8]) -> usize {
    let count = buf.len().min(out.len());
    let (front, back) = buf.as_slices();
    let mut copied = 0;
    for part in [front, back] {
        let n = part.len().min(count - copied);
        if let (Some(to), Some(from)) = (out.get_mut(copied..copied + n), part.get(..n)) {
            to.copy_from_slice(from);
        }
        copied += n;
    }
    count
}

impl OpenFile {
    /// A new pipe charged to `budget`: `(read end, write end)`, each its own
    /// open-file description. The pipe lives as long as either end.
    ///
    /// # Errors
    /// `NoMemory` (ENOMEM) if the budget cannot hold [`PIPE_CHARGE`] more.
    pub fn pipe(budget: &Arc<Budget>) -> Result<(Arc<OpenFile>, Arc<OpenFile>)> {
        let charge = budget.charge_memory(PIPE_CHARGE)?;
        let pipe = Arc::new(Pipe {
            // The whole capacity at once: the buffer never reallocates, so
            // what it holds in host memory is exactly what was charged.
            state: Mutex::new(PipeState { buf: VecDeque::with_capacity(PIPE_CAPACITY), readers: 1, writers: 1 }),
            readable: Condvar::new(),
            writable: Condvar::new(),
            ino: NEXT_PIPE_INO.fetch_add(1, Ordering::Relaxed),
            _charge: charge,
        });
        let read_end = PipeEnd { pipe: pipe.clone(), write: false };
        let write_end = PipeEnd { pipe, write: true };
        Ok((
            OpenFile::new(FileKind::Pipe(read_end), true, false, StatusFlags::default()),
            OpenFile::new(FileKind::Pipe(write_end), false, true, StatusFlags::default()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_front_copies_both_halves_of_a_wrapped_queue() {
        let mut buf: VecDeque<u8> = VecDeque::with_capacity(8);
        buf.extend(b"xxxxxa".iter());
        buf.drain(..5);
        buf.extend(b"bcdefg".iter());
        let (front, back) = buf.as_slices();
        assert!(!front.is_empty() && !back.is_empty(), "the queue wraps");
        let mut out = [0u8; 5];
        assert_eq!(take_front(&mut buf, &mut out), 5);
        assert_eq!(&out, b"abcde");
        let mut out = [0u8; 8];
        assert_eq!(take_front(&mut buf, &mut out), 2);
        assert_eq!(&out[..2], b"fg");
        assert!(buf.is_empty());
    }

    #[test]
    fn copy_front_reads_both_halves_of_a_wrapped_queue() {
        let mut buf: VecDeque<u8> = VecDeque::with_capacity(8);
        buf.extend(b"xxxxxa".iter());
        buf.drain(..5);
        buf.extend(b"bcdefg".iter());
        let mut out = [0u8; 5];
        assert_eq!(copy_front(&buf, &mut out), 5);
        assert_eq!(&out, b"abcde");
    }
}
