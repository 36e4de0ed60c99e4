//! UDP datagram sockets: bind, sendto/recvfrom with message boundaries, a
//! bounded receive queue, and connect as a default destination and a filter.
//!
//! Delivery is immediate: a datagram lands in the receiving socket's queue
//! during the send, or is dropped (and counted) when the queue or the VM's
//! buffer budget is full, as a real network drops it. A datagram to a port
//! nobody holds is dropped too; if the sender is connected to that port, its
//! next send or receive fails with `ConnectionRefused`, as Linux reports the
//! ICMP error. A receive into a buffer shorter than the datagram returns its
//! head and discards the rest (`truncated`).

use std::collections::VecDeque;
use std::fmt;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::ports::{Binding, Role};
use super::{
    DGRAM_OVERHEAD, Family, MAX_DATAGRAM_V4, MAX_DATAGRAM_V6, Network, Protocol, Received, RecvFlags, SocketSlot,
    canonical_dest, next_ino, source_for,
};
use crate::control::wait_slice;
use crate::error::{KernelError, Result};
use crate::types::Readiness;

/// A UDP socket.
pub struct UdpSocket {
    net: Arc<Network>,
    family: Family,
    ino: u64,
    reuse: AtomicBool,
    queue: Arc<DgramQueue>,
    state: Mutex<UdpState>,
    _slot: SocketSlot,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket").field("family", &self.family).field("ino", &self.ino).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct UdpState {
    binding: Option<Binding>,
    /// The connected peer, as the guest gave it.
    peer: Option<SocketAddr>,
    write_shut: bool,
}

/// A socket's receive queue, which senders reach through the port table.
#[derive(Debug)]
pub(crate) struct DgramQueue {
    net: Arc<Network>,
    capacity: usize,
    state: Mutex<QueueState>,
    readable: Condvar,
}

#[derive(Debug, Default)]
struct QueueState {
    msgs: VecDeque<Datagram>,
    /// Bytes charged for `msgs` (payloads plus overhead).
    charged: usize,
    /// Only datagrams from this (canonical) address are queued.
    filter: Option<SocketAddr>,
    read_shut: bool,
    error: Option<KernelError>,
    dropped: u64,
}

#[derive(Debug)]
struct Datagram {
    /// The sender, canonical.
    from: SocketAddr,
    data: Vec<u8>,
}

impl Drop for DgramQueue {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        self.net.release(st.charged);
    }
}

impl DgramQueue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // Pushes, pops and field stores only: a poisoned lock is consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a datagram from canonical `from`, or drops it if filtered out
    /// or out of room. Returns whether it was queued.
    fn deliver(&self, from: SocketAddr, data: &[u8]) -> bool {
        let charge = data.len().saturating_add(DGRAM_OVERHEAD);
        let mut st = self.lock();
        if st.filter.is_some_and(|peer| peer != from) {
            return false;
        }
        if st.charged.saturating_add(charge) > self.capacity || !self.net.reserve_exact(charge) {
            st.dropped = st.dropped.saturating_add(1);
            return false;
        }
        st.charged += charge;
        st.msgs.push_back(Datagram { from, data: data.to_vec() });
        drop(st);
        self.readable.notify_all();
        true
    }
}

impl UdpSocket {
    pub(crate) fn new(net: Arc<Network>, family: Family, slot: SocketSlot) -> Self {
        let queue = Arc::new(DgramQueue {
            net: net.clone(),
            capacity: net.config.dgram_queue,
            state: Mutex::new(QueueState::default()),
            readable: Condvar::new(),
        });
        UdpSocket {
            net,
            family,
            ino: next_ino(),
            reuse: AtomicBool::new(false),
            queue,
            state: Mutex::new(UdpState::default()),
            _slot: slot,
        }
    }

    fn lock(&self) -> MutexGuard<'_, UdpState> {
        // Field stores of fully built values only.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn family(&self) -> Family {
        self.family
    }

    pub(crate) fn ino(&self) -> u64 {
        self.ino
    }

    fn role(&self) -> Role {
        Role::Datagram(Arc::downgrade(&self.queue))
    }

    /// Binds a local address (port 0: an ephemeral port).
    ///
    /// # Errors
    /// `AddrFamily`, `AddrNotAvailable`, `AddrInUse`; `Invalid` if already bound.
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        self.family.check(addr)?;
        let mut st = self.lock();
        if st.binding.is_some() {
            return Err(KernelError::Invalid);
        }
        st.binding = Some(self.net.bind(Protocol::Udp, addr, self.reuse_addr(), self.role())?);
        Ok(())
    }

    /// Binds an ephemeral port on the unspecified address if unbound.
    fn autobind<'a>(&self, st: &'a mut UdpState) -> Result<&'a mut Binding> {
        if st.binding.is_none() {
            let binding =
                self.net.bind_auto(Protocol::Udp, self.family.unspecified(0), self.reuse_addr(), self.role())?;
            st.binding = Some(binding);
        }
        st.binding.as_mut().ok_or(KernelError::Invalid)
    }

    /// Makes `dest` the default destination and the only source datagrams are
    /// received from (those already queued stay). A destination outside the
    /// VM goes to the egress policy.
    ///
    /// # Errors
    /// `AddrFamily`; `AccessDenied` or `ConnectionRefused` from egress;
    /// `AddrNotAvailable` without a free ephemeral port.
    pub fn connect(&self, dest: SocketAddr) -> Result<()> {
        self.family.check(dest)?;
        let canonical = canonical_dest(dest);
        if !self.net.is_local(canonical.ip()) {
            return Err(self.net.egress(Protocol::Udp, dest));
        }
        let mut st = self.lock();
        let binding = self.autobind(&mut st)?;
        if binding.addr().ip().is_unspecified() {
            binding.set_ip(source_for(canonical.ip()));
        }
        st.peer = Some(dest);
        self.queue.lock().filter = Some(canonical);
        Ok(())
    }

    /// Dissolves a connect (`AF_UNSPEC`): no default destination, no filter.
    pub fn disconnect(&self) {
        self.lock().peer = None;
        self.queue.lock().filter = None;
    }

    /// Sends one datagram to `dest`, or to the connected peer. Never blocks;
    /// a datagram nobody can take is dropped (see the module doc).
    ///
    /// # Errors
    /// `DestAddrRequired` without a destination; `MessageSize` past the
    /// largest datagram; `BrokenPipe` after `shutdown(Write)`; a pending
    /// `ConnectionRefused`; `AddrFamily`; `AccessDenied` or
    /// `ConnectionRefused` from egress.
    pub fn send_to(&self, data: &[u8], dest: Option<SocketAddr>) -> Result<usize> {
        let mut st = self.lock();
        if st.write_shut {
            return Err(KernelError::BrokenPipe);
        }
        let given = match dest {
            Some(dest) => {
                self.family.check(dest)?;
                dest
            }
            None => st.peer.ok_or(KernelError::DestAddrRequired)?,
        };
        let canonical = canonical_dest(given);
        let max = if canonical.is_ipv4() { MAX_DATAGRAM_V4 } else { MAX_DATAGRAM_V6 };
        if data.len() > max {
            return Err(KernelError::MessageSize);
        }
        if let Some(err) = self.take_error() {
            return Err(err);
        }
        if !self.net.is_local(canonical.ip()) {
            return Err(self.net.egress(Protocol::Udp, given));
        }
        let to_peer = st.peer.is_some_and(|peer| canonical_dest(peer) == canonical);
        let local = self.autobind(&mut st)?.canonical();
        drop(st);
        let from_ip = if local.ip().is_unspecified() { source_for(canonical.ip()) } else { local.ip() };
        let from = SocketAddr::new(from_ip, local.port());
        match self.net.find_dgram(canonical) {
            Some(receiver) => {
                receiver.deliver(from, data);
            }
            None if to_peer => self.queue.lock().error = Some(KernelError::ConnectionRefused),
            None => {}
        }
        Ok(data.len())
    }

    /// Receives one datagram, blocking while none is queued unless
    /// `nonblock`. With `peek` the datagram stays queued.
    ///
    /// # Errors
    /// A pending `ConnectionRefused`; `WouldBlock`; `Interrupted`.
    pub fn recv_from(&self, out: &mut [u8], flags: RecvFlags, nonblock: bool) -> Result<Received> {
        let queue = &self.queue;
        let mut st = queue.lock();
        loop {
            if let Some(err) = st.error.take() {
                return Err(err);
            }
            if let Some(msg) = st.msgs.front() {
                let len = msg.data.len().min(out.len());
                if let (Some(to), Some(from)) = (out.get_mut(..len), msg.data.get(..len)) {
                    to.copy_from_slice(from);
                }
                let received =
                    Received { len, from: Some(self.family.view(msg.from)), truncated: msg.data.len() > out.len() };
                if !flags.peek
                    && let Some(msg) = st.msgs.pop_front()
                {
                    let charge = msg.data.len().saturating_add(DGRAM_OVERHEAD);
                    st.charged = st.charged.saturating_sub(charge);
                    self.net.release(charge);
                }
                return Ok(received);
            }
            if st.read_shut {
                return Ok(Received { len: 0, from: None, truncated: false });
            }
            if nonblock {
                return Err(KernelError::WouldBlock);
            }
            st = wait_slice(&queue.readable, st)?;
        }
    }

    /// Shuts down receiving (receives return 0 once the queue is empty),
    /// sending (sends fail with `BrokenPipe`) or both.
    ///
    /// # Errors
    /// `NotConnected` unless connected.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        let mut st = self.lock();
        if st.peer.is_none() {
            return Err(KernelError::NotConnected);
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            st.write_shut = true;
        }
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            self.queue.lock().read_shut = true;
            self.queue.readable.notify_all();
        }
        Ok(())
    }

    /// The local address (unspecified, port 0, while unbound).
    pub fn local_addr(&self) -> SocketAddr {
        self.lock().binding.as_ref().map_or(self.family.unspecified(0), Binding::addr)
    }

    /// The connected peer.
    ///
    /// # Errors
    /// `NotConnected` unless connected.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        self.lock().peer.ok_or(KernelError::NotConnected)
    }

    /// Sets `SO_REUSEADDR` for later binds.
    pub fn set_reuse_addr(&self, on: bool) {
        self.reuse.store(on, Ordering::SeqCst);
    }

    /// `SO_REUSEADDR`.
    pub fn reuse_addr(&self) -> bool {
        self.reuse.load(Ordering::SeqCst)
    }

    /// Takes `SO_ERROR` (a refused datagram to the connected peer).
    pub fn take_error(&self) -> Option<KernelError> {
        self.queue.lock().error.take()
    }

    /// How many datagrams addressed to this socket were dropped for want of room.
    pub fn dropped(&self) -> u64 {
        self.queue.lock().dropped
    }

    /// Readiness for poll: readable with the next datagram's length;
    /// always writable (a send never blocks).
    pub fn readiness(&self) -> Readiness {
        let write_shut = self.lock().write_shut;
        let st = self.queue.lock();
        let next = st.msgs.front().map(|msg| msg.data.len() as u64);
        let readable = next.or_else(|| (st.error.is_some() || st.read_shut).then_some(0));
        let writable = Some(if write_shut { 0 } else { MAX_DATAGRAM_V4 as u64 });
        Readiness { readable, writable, hangup: false }
    }
}
