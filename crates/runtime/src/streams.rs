//! In-memory stdio a program hands a VM, for callers that drive sandboxes
//! rather than terminals: an [`OutputSink`] called with each write as it
//! happens (streamed output), and an [`InputPipe`] the caller feeds while
//! the guest reads (streamed stdin). Neither touches the host.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use capsa_kernel::{HostInput, HostOutput};

/// How often a guest blocked on an empty pipe checks whether it was killed.
const PIPE_POLL: Duration = Duration::from_millis(50);

/// Most bytes an [`InputPipe`] holds unread; a writer past it waits.
const PIPE_CAPACITY: usize = 1 << 20;

/// A sink called with every chunk a guest writes to the stream, in order,
/// on the writing process's thread. The output caps still apply before it.
#[derive(Clone)]
pub struct OutputSink(Arc<SinkFn>);

/// What an [`OutputSink`] calls.
type SinkFn = dyn Fn(&[u8]) + Send + Sync;

impl OutputSink {
    /// A sink calling `write` with each chunk.
    pub fn new(write: impl Fn(&[u8]) + Send + Sync + 'static) -> Self {
        OutputSink(Arc::new(write))
    }
}

impl fmt::Debug for OutputSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OutputSink")
    }
}

impl PartialEq for OutputSink {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for OutputSink {}

impl HostOutput for OutputSink {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        (self.0)(buf);
        Ok(())
    }
}

/// A stdin the caller writes into while the guest reads it: bytes queue up
/// (a writer waits while 1 MiB is unread), [`InputPipe::close`] is end of
/// input. Clones share one pipe.
#[derive(Clone, Default)]
pub struct InputPipe(Arc<PipeState>);

#[derive(Default)]
struct PipeState {
    queue: Mutex<Queue>,
    changed: Condvar,
}

#[derive(Default)]
struct Queue {
    bytes: VecDeque<u8>,
    closed: bool,
}

/// Why bytes could not be written into an [`InputPipe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PipeError {
    /// The pipe was closed.
    #[error("stdin is closed")]
    Closed,
    /// The guest has not read enough for the bytes to fit in time.
    #[error("stdin is full: the program is not reading it")]
    Full,
}

impl InputPipe {
    /// An empty, open pipe.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `bytes` for the guest, waiting up to `patience` for room.
    ///
    /// # Errors
    /// The pipe is closed, or stayed full.
    pub fn write(&self, bytes: &[u8], patience: Duration) -> Result<(), PipeError> {
        let deadline = std::time::Instant::now() + patience;
        let mut queue = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if queue.closed {
                return Err(PipeError::Closed);
            }
            // A write larger than the capacity goes in whole once the
            // queue is empty: the caller bounds what it writes.
            if queue.bytes.is_empty() || queue.bytes.len() + bytes.len() <= PIPE_CAPACITY {
                queue.bytes.extend(bytes);
                self.0.changed.notify_all();
                return Ok(());
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(PipeError::Full);
            }
            queue = self.0.changed.wait_timeout(queue, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Ends the input: the guest reads what is queued, then end of file.
    pub fn close(&self) {
        self.0.queue.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        self.0.changed.notify_all();
    }
}

impl fmt::Debug for InputPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InputPipe")
    }
}

impl PartialEq for InputPipe {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for InputPipe {}

impl HostInput for InputPipe {
    /// Blocks until bytes are queued or the pipe is closed, checking every
    /// 50 ms whether the reading guest was killed.
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut queue = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if !queue.bytes.is_empty() {
                let n = buf.len().min(queue.bytes.len());
                for (slot, byte) in buf.iter_mut().zip(queue.bytes.drain(..n)) {
                    *slot = byte;
                }
                self.0.changed.notify_all();
                return Ok(n);
            }
            if queue.closed || buf.is_empty() {
                return Ok(0);
            }
            if capsa_kernel::current_pending().is_some() {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            queue = self.0.changed.wait_timeout(queue, PIPE_POLL).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_delivers_in_order_then_end_of_file() {
        let pipe = InputPipe::new();
        let reader = pipe.clone();
        let thread = std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = [0u8; 3];
            loop {
                match reader.read(&mut buf).unwrap() {
                    0 => return all,
                    n => all.extend_from_slice(&buf[..n]),
                }
            }
        });
        pipe.write(b"hello ", Duration::from_secs(1)).unwrap();
        pipe.write(b"world", Duration::from_secs(1)).unwrap();
        pipe.close();
        assert_eq!(thread.join().unwrap(), b"hello world");
        assert_eq!(pipe.write(b"x", Duration::ZERO), Err(PipeError::Closed));
    }

    #[test]
    fn a_full_pipe_refuses_after_its_patience() {
        let pipe = InputPipe::new();
        pipe.write(&vec![0; PIPE_CAPACITY], Duration::ZERO).unwrap();
        assert_eq!(pipe.write(b"x", Duration::from_millis(10)), Err(PipeError::Full));
    }
}
