//! TCP stream sockets: bind, listen with a backlog, accept, connect to a
//! listener in the same VM, send/recv over two bounded channels, shutdown,
//! and close with Linux's EOF-or-reset rule (see [`super::stream`]).
//!
//! A listener's backlog holds `min(backlog, max_backlog) + 1` connections,
//! as Linux counts it. A connection is established the moment it is queued;
//! its server side waits in the backlog until accepted (bytes the client
//! sends meanwhile are buffered). Closing a listener resets the connections
//! still in its backlog. A connect to a full backlog waits for room (or, in
//! non-blocking mode, returns `InProgress` and completes when polled or
//! retried).

use std::collections::VecDeque;
use std::fmt;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::ports::{Binding, Role};
use super::stream::{Channel, Endpoint};
use super::{Family, Network, Protocol, RecvFlags, SocketSlot, TlsRequest, canonical_dest, next_ino, source_for};
use crate::control::{WAIT_SLICE, current_pending, wait_slice};
use crate::error::{KernelError, Result};
use crate::types::Readiness;

/// A TCP socket.
pub struct TcpSocket {
    net: Arc<Network>,
    family: Family,
    ino: u64,
    reuse: AtomicBool,
    state: Mutex<TcpState>,
    /// `SO_ERROR`: a non-blocking connect that failed after returning.
    error: Mutex<Option<KernelError>>,
    /// TLS the runtime is to speak on the egress connection, asked for
    /// before the connect.
    tls: Mutex<Option<Box<TlsRequest>>>,
    _slot: SocketSlot,
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket").field("family", &self.family).field("ino", &self.ino).finish_non_exhaustive()
    }
}

enum TcpState {
    Unbound,
    Bound(Binding),
    Listening {
        binding: Binding,
        listener: Arc<Listener>,
    },
    Connecting {
        binding: Binding,
        /// Where to, canonical.
        dest: SocketAddr,
        /// Where to, as the guest gave it (what `getpeername` reports).
        remote: SocketAddr,
    },
    Connected(Conn),
}

struct Conn {
    binding: Binding,
    remote: SocketAddr,
    ep: Endpoint,
}

/// A listener's backlog, shared with the sockets connecting to it.
#[derive(Debug)]
pub(crate) struct Listener {
    state: Mutex<ListenState>,
    /// Signalled when a connection is queued or the listener closes.
    arrived: Condvar,
    /// Signalled when a connection is accepted or the listener closes.
    room: Condvar,
}

#[derive(Debug)]
struct ListenState {
    queue: VecDeque<Pending>,
    capacity: usize,
    closed: bool,
}

/// An established connection waiting to be accepted.
#[derive(Debug)]
struct Pending {
    /// The address the client connected to (canonical).
    local: SocketAddr,
    /// The client's address (canonical).
    remote: SocketAddr,
    ep: Endpoint,
    slot: SocketSlot,
}

impl Listener {
    fn new(capacity: usize) -> Self {
        let state = ListenState { queue: VecDeque::new(), capacity, closed: false };
        Listener { state: Mutex::new(state), arrived: Condvar::new(), room: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, ListenState> {
        // Pushes, pops and flag stores only: a poisoned lock is consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops accepting; the connections still queued are reset.
    fn close(&self) {
        let pending: Vec<Pending> = {
            let mut st = self.lock();
            st.closed = true;
            st.queue.drain(..).collect()
        };
        self.arrived.notify_all();
        self.room.notify_all();
        for conn in &pending {
            conn.ep.abort();
        }
    }

    /// Takes the next queued connection, blocking unless `nonblock`.
    fn take(&self, nonblock: bool) -> Result<Pending> {
        let mut st = self.lock();
        loop {
            if let Some(pending) = st.queue.pop_front() {
                drop(st);
                self.room.notify_all();
                return Ok(pending);
            }
            if st.closed {
                return Err(KernelError::Invalid);
            }
            if nonblock {
                return Err(KernelError::WouldBlock);
            }
            st = wait_slice(&self.arrived, st)?;
        }
    }

    /// Queues a connection from outside the VM to canonical `local`; returns
    /// the outside end. Never waits.
    pub(crate) fn offer(&self, net: &Arc<Network>, local: SocketAddr, remote: SocketAddr) -> Result<Endpoint> {
        let mut st = self.lock();
        if st.closed || st.queue.len() >= st.capacity {
            return Err(KernelError::ConnectionRefused);
        }
        let slot = net.slot().map_err(|_| KernelError::ConnectionRefused)?;
        let (outside, server) = Endpoint::pair(net);
        st.queue.push_back(Pending { local, remote, ep: server, slot });
        drop(st);
        self.arrived.notify_all();
        Ok(outside)
    }

    /// Waits at most one slice for room in a full backlog.
    fn wait_room(&self) {
        let st = self.lock();
        if st.queue.len() >= st.capacity && !st.closed {
            drop(self.room.wait_timeout(st, WAIT_SLICE).unwrap_or_else(PoisonError::into_inner));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        for conn in st.queue.drain(..) {
            conn.ep.abort();
        }
    }
}

/// How far a connect got.
enum Progress {
    Done,
    /// The listener's backlog is full (or the VM is out of sockets).
    Full(Arc<Listener>),
}

impl TcpSocket {
    pub(crate) fn new(net: Arc<Network>, family: Family, slot: SocketSlot) -> Self {
        TcpSocket {
            net,
            family,
            ino: next_ino(),
            reuse: AtomicBool::new(false),
            state: Mutex::new(TcpState::Unbound),
            error: Mutex::new(None),
            tls: Mutex::new(None),
            _slot: slot,
        }
    }

    fn lock(&self) -> MutexGuard<'_, TcpState> {
        // State changes are single assignments of a fully built state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn family(&self) -> Family {
        self.family
    }

    pub(crate) fn ino(&self) -> u64 {
        self.ino
    }

    /// Binds a local address (port 0: an ephemeral port).
    ///
    /// # Errors
    /// `AddrFamily`, `AddrNotAvailable`, `AddrInUse`; `Invalid` if already bound.
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        self.family.check(addr)?;
        let mut st = self.lock();
        if !matches!(*st, TcpState::Unbound) {
            return Err(KernelError::Invalid);
        }
        *st = TcpState::Bound(self.net.bind(Protocol::Tcp, addr, self.reuse_addr(), Role::Plain)?);
        Ok(())
    }

    /// Listens, binding an ephemeral port on the unspecified address first if
    /// unbound. Listening again changes the backlog.
    ///
    /// # Errors
    /// `AddrInUse` if another socket listens on the address; `Invalid` if
    /// connected or connecting.
    pub fn listen(&self, backlog: u32) -> Result<()> {
        let capacity =
            usize::try_from(backlog.min(self.net.config.max_backlog)).unwrap_or(usize::MAX).saturating_add(1);
        let reuse = self.reuse_addr();
        let mut st = self.lock();
        match &*st {
            TcpState::Listening { listener, .. } => {
                listener.lock().capacity = capacity;
                return Ok(());
            }
            TcpState::Connecting { .. } | TcpState::Connected(_) => return Err(KernelError::Invalid),
            TcpState::Unbound | TcpState::Bound(_) => {}
        }
        let binding = match std::mem::replace(&mut *st, TcpState::Unbound) {
            TcpState::Bound(binding) => binding,
            _ => self.net.bind(Protocol::Tcp, self.family.unspecified(0), reuse, Role::Plain)?,
        };
        let listener = Arc::new(Listener::new(capacity));
        if let Err(err) = self.net.set_listening(&binding, Some(Arc::downgrade(&listener)), reuse) {
            *st = TcpState::Bound(binding);
            return Err(err);
        }
        *st = TcpState::Listening { binding, listener };
        Ok(())
    }

    /// Takes the next connection off the backlog, blocking while it is empty
    /// unless `nonblock`. The new socket is connected; its peer's address is
    /// returned with it.
    ///
    /// # Errors
    /// `Invalid` if not listening (or the listener was shut down meanwhile),
    /// `WouldBlock`, `Interrupted` by a kill.
    pub fn accept(&self, nonblock: bool) -> Result<(TcpSocket, SocketAddr)> {
        let listener = match &*self.lock() {
            TcpState::Listening { listener, .. } => listener.clone(),
            TcpState::Unbound | TcpState::Bound(_) | TcpState::Connecting { .. } | TcpState::Connected(_) => {
                return Err(KernelError::Invalid);
            }
        };
        let pending = listener.take(nonblock)?;
        let reuse = self.reuse_addr();
        let binding = self.net.bind_accepted(self.family.view(pending.local), reuse);
        let remote = self.family.view(pending.remote);
        let socket = TcpSocket {
            net: self.net.clone(),
            family: self.family,
            ino: next_ino(),
            reuse: AtomicBool::new(reuse),
            state: Mutex::new(TcpState::Connected(Conn { binding, remote, ep: pending.ep })),
            error: Mutex::new(None),
            tls: Mutex::new(None),
            _slot: pending.slot,
        };
        Ok((socket, remote))
    }

    /// Connects to `dest`. A destination outside the VM goes to the egress
    /// policy (and is refused in this version).
    ///
    /// # Errors
    /// `ConnectionRefused` if nothing listens there; `AccessDenied` or
    /// `ConnectionRefused` from egress; `IsConnected`; `InProgress` (non-blocking,
    /// backlog full) and then `Already` while it stays full; `AddrFamily`;
    /// `AddrNotAvailable` without a free ephemeral port; `Interrupted`.
    pub fn connect(&self, dest: SocketAddr, nonblock: bool) -> Result<()> {
        self.family.check(dest)?;
        let canonical = canonical_dest(dest);
        let mut st = self.lock();
        match &*st {
            TcpState::Listening { .. } | TcpState::Connected(_) => return Err(KernelError::IsConnected),
            TcpState::Connecting { .. } => {
                drop(st);
                if nonblock {
                    return match self.try_complete()? {
                        Progress::Done => Ok(()),
                        Progress::Full(_) => Err(KernelError::Already),
                    };
                }
                return self.finish_connect(false);
            }
            TcpState::Unbound | TcpState::Bound(_) => {}
        }
        if let Some(err) = self.take_error() {
            return Err(err);
        }
        if !self.net.is_local(canonical.ip()) {
            drop(st);
            return self.connect_outside(dest);
        }
        if self.tls.lock().unwrap_or_else(PoisonError::into_inner).is_some() {
            // TLS is the runtime's, on the way out; a server in the VM
            // speaks its own.
            return Err(KernelError::NotSupported);
        }
        let source = source_for(canonical.ip());
        let binding = match std::mem::replace(&mut *st, TcpState::Unbound) {
            TcpState::Bound(mut binding) => {
                if binding.addr().ip().is_unspecified() {
                    binding.set_ip(source);
                }
                binding
            }
            _ => {
                let local = self.family.view(SocketAddr::new(source, 0));
                self.net.bind_auto(Protocol::Tcp, local, self.reuse_addr(), Role::Plain)?
            }
        };
        *st = TcpState::Connecting { binding, dest: canonical, remote: dest };
        drop(st);
        self.finish_connect(nonblock)
    }

    /// Connects to a destination outside the VM through the egress policy
    /// (blocking, also in non-blocking mode: the policy's connect is one call).
    fn connect_outside(&self, dest: SocketAddr) -> Result<()> {
        let tls = self.tls.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let ep = self.net.egress_connect(dest, tls.as_deref())?;
        let mut st = self.lock();
        let binding = match std::mem::replace(&mut *st, TcpState::Unbound) {
            TcpState::Bound(binding) => binding,
            TcpState::Unbound => {
                let own = self.net.config.addresses.first().copied();
                let source = own.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
                let local = self.family.view(SocketAddr::new(source, 0));
                self.net.bind_auto(Protocol::Tcp, local, self.reuse_addr(), Role::Plain)?
            }
            other => {
                // Another thread connected the socket meanwhile.
                *st = other;
                return Err(KernelError::IsConnected);
            }
        };
        *st = TcpState::Connected(Conn { binding, remote: dest, ep });
        Ok(())
    }

    fn finish_connect(&self, nonblock: bool) -> Result<()> {
        loop {
            match self.try_complete()? {
                Progress::Done => return Ok(()),
                Progress::Full(_) if nonblock => return Err(KernelError::InProgress),
                Progress::Full(listener) => {
                    if current_pending().is_some() {
                        return Err(KernelError::Interrupted);
                    }
                    listener.wait_room();
                }
            }
        }
    }

    /// One attempt to queue a connecting socket's connection on its listener.
    fn try_complete(&self) -> Result<Progress> {
        let mut st = self.lock();
        let (dest, source) = match &*st {
            TcpState::Connecting { binding, dest, .. } => (*dest, binding.canonical()),
            TcpState::Connected(_) => return Ok(Progress::Done),
            TcpState::Unbound | TcpState::Bound(_) | TcpState::Listening { .. } => {
                return Err(KernelError::NotConnected);
            }
        };
        let Some(listener) = self.net.find_listener(dest) else {
            fail(&mut st);
            return Err(KernelError::ConnectionRefused);
        };
        let mut backlog = listener.lock();
        if backlog.closed {
            drop(backlog);
            fail(&mut st);
            return Err(KernelError::ConnectionRefused);
        }
        let slot = match self.net.slot() {
            Ok(slot) if backlog.queue.len() < backlog.capacity => slot,
            Ok(_) | Err(_) => {
                drop(backlog);
                return Ok(Progress::Full(listener));
            }
        };
        let (client, server) = Endpoint::pair(&self.net);
        backlog.queue.push_back(Pending { local: dest, remote: source, ep: server, slot });
        drop(backlog);
        listener.arrived.notify_all();
        *st = match std::mem::replace(&mut *st, TcpState::Unbound) {
            TcpState::Connecting { binding, remote, .. } => TcpState::Connected(Conn { binding, remote, ep: client }),
            other => other,
        };
        Ok(Progress::Done)
    }

    /// The channels of an established connection, finishing a pending
    /// connect first (waiting unless `nonblock`).
    fn channels(&self, nonblock: bool) -> Result<(Arc<Channel>, Arc<Channel>)> {
        loop {
            match &*self.lock() {
                TcpState::Connected(conn) => return Ok((conn.ep.tx.clone(), conn.ep.rx.clone())),
                TcpState::Connecting { .. } => {}
                TcpState::Unbound | TcpState::Bound(_) | TcpState::Listening { .. } => {
                    return Err(KernelError::NotConnected);
                }
            }
            match self.try_complete()? {
                Progress::Done => {}
                Progress::Full(_) if nonblock => return Err(KernelError::WouldBlock),
                Progress::Full(listener) => {
                    if current_pending().is_some() {
                        return Err(KernelError::Interrupted);
                    }
                    listener.wait_room();
                }
            }
        }
    }

    /// Sends all of `data` (blocking while the peer's buffer is full), or
    /// what fits without blocking if `nonblock`.
    ///
    /// # Errors
    /// `BrokenPipe` if not connected, after `shutdown(Write)` or once the
    /// peer closed; `ConnectionReset` once after a reset; `WouldBlock`;
    /// `Interrupted`.
    pub fn send(&self, data: &[u8], nonblock: bool) -> Result<usize> {
        let (tx, _) = match self.channels(nonblock) {
            Err(KernelError::NotConnected) => return Err(KernelError::BrokenPipe),
            other => other?,
        };
        tx.write(data, nonblock)
    }

    /// Receives what is buffered, blocking while nothing is unless `nonblock`.
    /// `Ok(0)` at EOF (peer shut down or closed, or our reading side shut).
    ///
    /// # Errors
    /// `NotConnected`; `ConnectionReset` once after a reset; `WouldBlock`;
    /// `Interrupted`.
    pub fn recv(&self, out: &mut [u8], flags: RecvFlags, nonblock: bool) -> Result<usize> {
        let (_, rx) = self.channels(nonblock)?;
        rx.read(out, flags, nonblock)
    }

    /// Shuts down reading (reads return 0), writing (the peer reads EOF) or
    /// both. On a listener, shutting down reading stops it: blocked accepts
    /// return `Invalid` and the socket is back to bound. On a connecting
    /// socket, it abandons the connect.
    ///
    /// # Errors
    /// `NotConnected` on an unconnected socket.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        let read = matches!(how, Shutdown::Read | Shutdown::Both);
        let write = matches!(how, Shutdown::Write | Shutdown::Both);
        let mut st = self.lock();
        match &*st {
            TcpState::Connected(conn) => {
                if read {
                    conn.ep.rx.shut_read();
                }
                if write {
                    conn.ep.tx.shut_write();
                }
                Ok(())
            }
            TcpState::Listening { .. } if !read => Ok(()),
            TcpState::Listening { .. } => {
                if let TcpState::Listening { binding, listener } = std::mem::replace(&mut *st, TcpState::Unbound) {
                    listener.close();
                    // Back to a plain entry cannot conflict: no reuse check.
                    let _ = self.net.set_listening(&binding, None, true);
                    *st = TcpState::Bound(binding);
                }
                Ok(())
            }
            TcpState::Connecting { .. } => {
                fail(&mut st);
                Ok(())
            }
            TcpState::Unbound | TcpState::Bound(_) => Err(KernelError::NotConnected),
        }
    }

    /// The local address (unspecified, port 0, while unbound).
    pub fn local_addr(&self) -> SocketAddr {
        match &*self.lock() {
            TcpState::Unbound => self.family.unspecified(0),
            TcpState::Bound(binding)
            | TcpState::Listening { binding, .. }
            | TcpState::Connecting { binding, .. }
            | TcpState::Connected(Conn { binding, .. }) => binding.addr(),
        }
    }

    /// The peer's address.
    ///
    /// # Errors
    /// `NotConnected` unless connected.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        match &*self.lock() {
            TcpState::Connected(conn) => Ok(conn.remote),
            TcpState::Unbound | TcpState::Bound(_) | TcpState::Listening { .. } | TcpState::Connecting { .. } => {
                Err(KernelError::NotConnected)
            }
        }
    }

    /// Sets `SO_REUSEADDR` for later binds.
    pub fn set_reuse_addr(&self, on: bool) {
        self.reuse.store(on, Ordering::SeqCst);
    }

    /// Asks the runtime to speak TLS on this socket's egress connection.
    ///
    /// # Errors
    /// `IsConnected` once the socket is connecting, connected or listening.
    pub fn set_tls(&self, tls: TlsRequest) -> Result<()> {
        let st = self.lock();
        if !matches!(&*st, TcpState::Unbound | TcpState::Bound(_)) {
            return Err(KernelError::IsConnected);
        }
        *self.tls.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(tls));
        Ok(())
    }

    /// `SO_REUSEADDR`.
    pub fn reuse_addr(&self) -> bool {
        self.reuse.load(Ordering::SeqCst)
    }

    /// Takes `SO_ERROR`.
    pub fn take_error(&self) -> Option<KernelError> {
        self.error.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Readiness for poll. An unconnected socket reports hangup and
    /// writable, as Linux's `POLLOUT | POLLHUP`; a pending connect is
    /// retried, and a failed one reports hangup with its error kept for
    /// `SO_ERROR`.
    pub fn readiness(&self) -> Readiness {
        match &*self.lock() {
            TcpState::Unbound | TcpState::Bound(_) => {
                return Readiness { readable: None, writable: Some(0), hangup: true };
            }
            TcpState::Listening { listener, .. } => {
                let st = listener.lock();
                let queued = st.queue.len() as u64;
                return Readiness {
                    readable: (queued > 0 || st.closed).then_some(queued),
                    writable: None,
                    hangup: false,
                };
            }
            TcpState::Connected(conn) => return conn_readiness(conn),
            TcpState::Connecting { .. } => {}
        }
        match self.try_complete() {
            Ok(Progress::Done) => match &*self.lock() {
                TcpState::Connected(conn) => conn_readiness(conn),
                TcpState::Unbound | TcpState::Bound(_) | TcpState::Listening { .. } | TcpState::Connecting { .. } => {
                    Readiness::default()
                }
            },
            Ok(Progress::Full(_)) => Readiness::default(),
            Err(err) => {
                *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(err);
                Readiness { readable: Some(0), writable: Some(0), hangup: true }
            }
        }
    }
}

fn conn_readiness(conn: &Conn) -> Readiness {
    Readiness {
        readable: conn.ep.rx.read_ready(),
        writable: conn.ep.tx.write_ready(),
        hangup: conn.ep.rx.finished_reading() && conn.ep.tx.finished_writing(),
    }
}

/// A connect failed: the socket returns to what it was before (an implicit
/// binding is given up, an explicit one keeps its requested address).
fn fail(st: &mut TcpState) {
    *st = match std::mem::replace(st, TcpState::Unbound) {
        TcpState::Connecting { binding, .. } if binding.auto() => TcpState::Unbound,
        TcpState::Connecting { mut binding, .. } => {
            binding.restore();
            TcpState::Bound(binding)
        }
        other => other,
    };
}

impl Drop for TcpSocket {
    fn drop(&mut self) {
        let state = std::mem::replace(self.state.get_mut().unwrap_or_else(PoisonError::into_inner), TcpState::Unbound);
        if let TcpState::Listening { listener, .. } = &state {
            listener.close();
        }
        drop(state);
    }
}
