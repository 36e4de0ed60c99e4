//! One direction of a TCP connection: a bounded byte queue with EOF, a
//! closed reader and reset flags, and the endpoint that owns a connection's
//! two directions.
//!
//! Closing an endpoint is Linux's close: if bytes it never read are left in
//! its receive queue it resets the connection (the peer reads what it was
//! sent, then gets `ConnectionReset` once, then EOF; its next send gets
//! `ConnectionReset` once, then `BrokenPipe`); otherwise the peer reads EOF
//! after the data and its sends fail with `BrokenPipe`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::{Network, RecvFlags};
use crate::control::wait_slice;
use crate::error::{KernelError, Result};
use crate::pipe::copy_front;

/// One direction of a connection.
#[derive(Debug)]
pub(crate) struct Channel {
    net: Arc<Network>,
    capacity: usize,
    state: Mutex<ChanState>,
    /// Signalled when bytes arrive, or the writer or the reader shuts down.
    readable: Condvar,
    /// Signalled when room appears, or the reader goes.
    writable: Condvar,
}

#[derive(Debug, Default)]
struct ChanState {
    buf: VecDeque<u8>,
    /// The writer shut down: EOF once `buf` is drained; writes get `BrokenPipe`.
    eof: bool,
    /// The reader shut down its reading side: reads stop blocking.
    read_shut: bool,
    /// The reader closed: writes fail.
    reader_gone: bool,
    /// A reset not yet reported to this channel's surviving side.
    reset: bool,
}

impl Drop for Channel {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        self.net.release(st.buf.len());
    }
}

impl Channel {
    pub(crate) fn new(net: Arc<Network>) -> Arc<Channel> {
        let capacity = net.config.stream_buffer;
        Arc::new(Channel {
            net,
            capacity,
            state: Mutex::new(ChanState::default()),
            readable: Condvar::new(),
            writable: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ChanState> {
        // Each update below leaves the state consistent before anything that
        // could panic, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads what is buffered, blocking while nothing is and the writer is
    /// there; with `waitall`, until `out` is full. `Ok(0)` at EOF.
    pub(crate) fn read(&self, out: &mut [u8], flags: RecvFlags, nonblock: bool) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut copied = 0;
        let mut st = self.lock();
        loop {
            if !st.buf.is_empty() {
                let rest = out.get_mut(copied..).unwrap_or_default();
                let count = copy_front(&st.buf, rest);
                copied += count;
                if flags.peek {
                    return Ok(copied);
                }
                st.buf.drain(..count);
                self.net.release(count);
                self.writable.notify_all();
                if copied >= out.len() || !flags.waitall || nonblock {
                    return Ok(copied);
                }
                continue;
            }
            if copied > 0 && (st.eof || st.read_shut || st.reset) {
                return Ok(copied);
            }
            if st.reset {
                st.reset = false;
                st.eof = true;
                return Err(KernelError::ConnectionReset);
            }
            if st.eof || st.read_shut {
                return Ok(copied);
            }
            if nonblock {
                return if copied > 0 { Ok(copied) } else { Err(KernelError::WouldBlock) };
            }
            st = match wait_slice(&self.readable, st) {
                Ok(st) => st,
                Err(err) if copied == 0 => return Err(err),
                Err(_) => return Ok(copied),
            };
        }
    }

    /// Writes all of `data`, blocking while the channel (or the VM's buffer
    /// budget) is full. A write cut short after some bytes went in returns
    /// the count so far.
    pub(crate) fn write(&self, data: &[u8], nonblock: bool) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let mut written = 0;
        let mut st = self.lock();
        loop {
            if st.reset {
                st.reset = false;
                st.reader_gone = true;
                return if written > 0 { Ok(written) } else { Err(KernelError::ConnectionReset) };
            }
            if st.eof || st.reader_gone {
                return if written > 0 { Ok(written) } else { Err(KernelError::BrokenPipe) };
            }
            let rest = data.get(written..).unwrap_or_default();
            let room = self.capacity.saturating_sub(st.buf.len()).min(rest.len());
            let granted = self.net.reserve(room);
            if granted > 0 {
                st.buf.extend(rest.get(..granted).unwrap_or_default());
                written += granted;
                self.readable.notify_all();
                if written >= data.len() {
                    return Ok(written);
                }
                continue;
            }
            if nonblock {
                return if written > 0 { Ok(written) } else { Err(KernelError::WouldBlock) };
            }
            st = match wait_slice(&self.writable, st) {
                Ok(st) => st,
                Err(err) if written == 0 => return Err(err),
                Err(_) => return Ok(written),
            };
        }
    }

    /// The writer shuts down: the reader gets EOF after the data.
    pub(crate) fn shut_write(&self) {
        self.lock().eof = true;
        self.readable.notify_all();
        self.writable.notify_all();
    }

    /// The reader shuts down its side: reads return what is left, then 0.
    pub(crate) fn shut_read(&self) {
        self.lock().read_shut = true;
        self.readable.notify_all();
    }

    /// Bytes waiting to be read.
    pub(crate) fn pending(&self) -> usize {
        self.lock().buf.len()
    }

    /// Readiness of the reading side: `Some(buffered)` if a read would not block.
    pub(crate) fn read_ready(&self) -> Option<u64> {
        let st = self.lock();
        (!st.buf.is_empty() || st.eof || st.read_shut || st.reset).then_some(st.buf.len() as u64)
    }

    /// Readiness of the writing side: `Some(room)` if a write would not block.
    pub(crate) fn write_ready(&self) -> Option<u64> {
        let st = self.lock();
        let closed = st.eof || st.reader_gone || st.reset;
        let room = self.capacity.saturating_sub(st.buf.len());
        (closed || room > 0).then_some(room as u64)
    }

    /// Whether nothing more can be read (EOF or reset) from this channel.
    pub(crate) fn finished_reading(&self) -> bool {
        let st = self.lock();
        st.buf.is_empty() && (st.eof || st.reset)
    }

    /// Whether the reader is gone: closed, shut down reading, or reset.
    pub(crate) fn reader_gone(&self) -> bool {
        let st = self.lock();
        st.reader_gone || st.read_shut || st.reset
    }

    /// Whether nothing more can be written to this channel.
    pub(crate) fn finished_writing(&self) -> bool {
        let st = self.lock();
        st.eof || st.reader_gone || st.reset
    }
}

/// One side of a connection: it writes `tx` and reads `rx`. Dropping it
/// closes that side (see the module doc).
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) tx: Arc<Channel>,
    pub(crate) rx: Arc<Channel>,
}

impl Endpoint {
    /// A connected pair of endpoints.
    pub(crate) fn pair(net: &Arc<Network>) -> (Endpoint, Endpoint) {
        let a_to_b = Channel::new(net.clone());
        let b_to_a = Channel::new(net.clone());
        (Endpoint { tx: a_to_b.clone(), rx: b_to_a.clone() }, Endpoint { tx: b_to_a, rx: a_to_b })
    }

    /// Resets the connection: unread bytes are discarded, the peer reads
    /// what it was sent and then `ConnectionReset`.
    pub(crate) fn abort(&self) {
        {
            let mut rx = self.rx.lock();
            let discarded = rx.buf.len();
            rx.buf.clear();
            self.rx.net.release(discarded);
            rx.reader_gone = true;
            rx.reset = true;
        }
        {
            let mut tx = self.tx.lock();
            tx.eof = true;
            tx.reset = true;
        }
        self.wake();
    }

    fn wake(&self) {
        for channel in [&self.tx, &self.rx] {
            channel.readable.notify_all();
            channel.writable.notify_all();
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if self.rx.pending() > 0 {
            self.abort();
            return;
        }
        self.tx.lock().eof = true;
        self.rx.lock().reader_gone = true;
        self.wake();
    }
}
