//! The in-VM network: TCP stream and UDP datagram sockets on a network stack
//! of the VM's own, with no host socket behind them.
//!
//! Every VM has one [`Network`], its socket namespace: its own port tables,
//! its loopback (`127.0.0.0/8`, `::1`) and its own addresses
//! ([`NetConfig::addresses`]). Two VMs never see each other's sockets, even
//! when they are given the same address. A destination outside the VM goes
//! through the egress hook ([`EgressPolicy`]): a refused attempt is recorded
//! in the VM's bounded audit log, and a TCP connection the policy allows is
//! handed to it as an [`ExternalConn`] to carry to the host (the runtime
//! does; the kernel holds no host resource). UDP never leaves the VM.
//! Connections from outside come in through [`Network::inject`].
//!
//! Sockets are open-file descriptions ([`OpenFile`]) like pipes: they live in
//! fd tables, `read`/`write`/`readiness` work on them, and the socket
//! operations are reached through [`OpenFile::socket`]. Byte streams are
//! bounded per direction ([`NetConfig::stream_buffer`], 64 KiB like a pipe),
//! datagram queues per socket ([`NetConfig::dgram_queue`]), and all of a VM's
//! buffered bytes together ([`NetConfig::max_buffered`]).
//!
//! Blocking waits (accept, connect to a full backlog, send, recv) sleep in
//! slices of [`WAIT_SLICE`](crate::control::WAIT_SLICE) and give up with
//! `Interrupted` once the current process has a pending kill or is past its
//! deadline, exactly as pipe waits do.
//!
//! Choices where Linux leaves room or we differ, on purpose:
//! - A connect to a listener with room in its backlog completes at once,
//!   also in non-blocking mode (POSIX allows it); `InProgress` only comes
//!   when the backlog is full.
//! - Writing to a connection whose peer has closed fails with `BrokenPipe`
//!   at once (Linux lets one more write through before the reset arrives).

mod egress;
mod external;
mod ports;
mod stream;
mod tcp;
mod udp;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use std::net::Shutdown;

pub use egress::{AuditEntry, DenyAll, EgressPolicy, EgressRequest, TlsRequest, Verdict};
pub use external::ExternalConn;
pub use tcp::TcpSocket;
pub use udp::UdpSocket;

use crate::error::{KernelError, Result};
use crate::file::{FileKind, OpenFile};
use crate::types::{FileType, Readiness, Stat, StatusFlags};
use egress::AuditLog;
use ports::Ports;

/// Largest UDP payload over IPv4 (65535 minus the IP and UDP headers).
pub const MAX_DATAGRAM_V4: usize = 65_507;
/// Largest UDP payload over IPv6 (65535 minus the UDP header).
pub const MAX_DATAGRAM_V6: usize = 65_527;

/// Longest host name `resolve` takes (DNS's limit).
pub const MAX_NAME_LEN: usize = 253;

/// Inode numbers for `stat` of sockets, unique per process lifetime.
static NEXT_SOCKET_INO: AtomicU64 = AtomicU64::new(1);

/// An address family (`AF_INET`, `AF_INET6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    Inet,
    /// IPv6 (dual stack: it also reaches IPv4 through mapped addresses).
    Inet6,
}

impl Family {
    /// The unspecified address of this family with `port`.
    pub fn unspecified(self, port: u16) -> SocketAddr {
        match self {
            Family::Inet => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
            Family::Inet6 => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
        }
    }

    /// `Ok` if a socket of this family can use `addr` (an IPv6 socket takes
    /// IPv6 addresses, IPv4 ones as mapped addresses).
    fn check(self, addr: SocketAddr) -> Result<()> {
        match (self, addr) {
            (Family::Inet, SocketAddr::V4(_)) | (Family::Inet6, SocketAddr::V6(_)) => Ok(()),
            (Family::Inet, SocketAddr::V6(_)) | (Family::Inet6, SocketAddr::V4(_)) => Err(KernelError::AddrFamily),
        }
    }

    /// `addr` (canonical) as a socket of this family sees it: IPv4 addresses
    /// become mapped IPv6 ones for an IPv6 socket.
    fn view(self, addr: SocketAddr) -> SocketAddr {
        match (self, addr.ip()) {
            (Family::Inet6, IpAddr::V4(v4)) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), addr.port()),
            _ => addr,
        }
    }
}

/// A transport protocol: what a socket speaks, and which port table it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP stream sockets.
    Tcp,
    /// UDP datagram sockets.
    Udp,
}

/// Limits and addresses of one VM's network. The defaults: the address
/// `10.0.2.15` besides loopback, 256 sockets, 4 MiB buffered in all, 64 KiB
/// per stream direction and per datagram queue, backlogs of at most 128,
/// Linux's ephemeral range, 1024 audit entries, and egress denied.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The VM's own addresses besides loopback; sockets can bind them and
    /// connections to them stay inside the VM.
    pub addresses: Vec<IpAddr>,
    /// Most sockets alive at once in the VM, counting accepted connections and
    /// connections waiting in a backlog. Past it, `socket` fails with
    /// `TooManyFiles` (EMFILE) and connects wait as if the backlog were full.
    pub max_sockets: usize,
    /// Most bytes buffered in all the VM's sockets together; past it writers
    /// block (or get `WouldBlock`) and datagrams are dropped. A writer
    /// blocked on this budget rechecks it every wait slice.
    pub max_buffered: usize,
    /// Bytes buffered per direction of a TCP connection.
    pub stream_buffer: usize,
    /// Bytes queued per UDP socket; each datagram is charged its length plus
    /// [`DGRAM_OVERHEAD`], so empty datagrams cannot queue without bound.
    pub dgram_queue: usize,
    /// Largest backlog `listen` accepts (Linux's `somaxconn`); larger ones are
    /// clamped to it.
    pub max_backlog: u32,
    /// Ports handed out to sockets that bind port 0 or connect unbound.
    pub ephemeral_ports: RangeInclusive<u16>,
    /// Audit entries kept; older ones are dropped first and counted.
    pub audit_capacity: usize,
    /// Decides connections to destinations outside the VM.
    pub egress: Arc<dyn EgressPolicy>,
}

/// Bytes of bookkeeping each queued datagram is charged besides its payload.
pub const DGRAM_OVERHEAD: usize = 64;

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            addresses: vec![IpAddr::V4(Ipv4Addr::new(10, 0, 2, 15))],
            max_sockets: 256,
            max_buffered: 4 << 20,
            stream_buffer: 64 * 1024,
            dgram_queue: 64 * 1024,
            max_backlog: 128,
            ephemeral_ports: 32768..=60999,
            audit_capacity: 1024,
            egress: Arc::new(DenyAll),
        }
    }
}

/// One VM's network: its sockets' namespace, port tables, limits and audit log.
#[derive(Debug)]
pub struct Network {
    config: NetConfig,
    ports: Mutex<Ports>,
    sockets: AtomicUsize,
    buffered: AtomicUsize,
    audit: Mutex<AuditLog>,
}

impl Network {
    /// A network with no sockets.
    pub fn new(config: NetConfig) -> Arc<Network> {
        let audit = AuditLog::new(config.audit_capacity);
        Arc::new(Network {
            config,
            ports: Mutex::new(Ports::default()),
            sockets: AtomicUsize::new(0),
            buffered: AtomicUsize::new(0),
            audit: Mutex::new(audit),
        })
    }

    /// The configuration the network was built with.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// A new, unbound socket as an open-file description (readable and
    /// writable, blocking).
    ///
    /// # Errors
    /// `TooManyFiles` (EMFILE) when the VM has [`NetConfig::max_sockets`] sockets.
    pub fn socket(self: &Arc<Self>, family: Family, protocol: Protocol) -> Result<Arc<OpenFile>> {
        let slot = self.slot()?;
        let socket = match protocol {
            Protocol::Tcp => Socket::Tcp(TcpSocket::new(self.clone(), family, slot)),
            Protocol::Udp => Socket::Udp(UdpSocket::new(self.clone(), family, slot)),
        };
        Ok(socket.into_file())
    }

    /// How many sockets are alive in the VM (including connections waiting
    /// to be accepted).
    pub fn socket_count(&self) -> usize {
        self.sockets.load(Ordering::SeqCst)
    }

    /// How many bytes the VM's sockets buffer right now (datagrams counted
    /// with their overhead).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered.load(Ordering::SeqCst)
    }

    /// The audit log, oldest entry first.
    pub fn audit_log(&self) -> Vec<AuditEntry> {
        self.audit().entries()
    }

    /// How many audit entries were dropped because the log was full.
    pub fn audit_dropped(&self) -> u64 {
        self.audit().dropped()
    }

    /// Whether `ip` is an address of this VM: loopback or one of
    /// [`NetConfig::addresses`] (IPv4-mapped forms included).
    pub fn is_local(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_loopback() || self.config.addresses.iter().any(|own| own.to_canonical() == ip)
    }

    /// Resolves `name` for the guest: an address literal is itself,
    /// `localhost` is the VM's loopback (`127.0.0.1`, `::1`), and any other
    /// name goes to the egress policy, which resolves only granted names.
    ///
    /// # Errors
    /// `Invalid` for an empty or overlong name; what
    /// [`EgressPolicy::resolve`] reports.
    pub fn resolve(&self, name: &str) -> Result<Vec<IpAddr>> {
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(KernelError::Invalid);
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        if name.eq_ignore_ascii_case("localhost") || name.eq_ignore_ascii_case("localhost.") {
            return Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]);
        }
        self.config.egress.resolve(name)
    }

    fn audit(&self) -> MutexGuard<'_, AuditLog> {
        // The log is a queue and counters; a panic cannot leave it torn.
        self.audit.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one socket slot, released when the returned guard drops.
    pub(crate) fn slot(self: &Arc<Self>) -> Result<SocketSlot> {
        let max = self.config.max_sockets;
        self.sockets
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1))
            .map_err(|_| KernelError::TooManyFiles)?;
        Ok(SocketSlot { net: self.clone() })
    }

    /// Reserves up to `want` bytes of the VM's buffer budget; returns how
    /// many were granted (possibly 0).
    pub(crate) fn reserve(&self, want: usize) -> usize {
        let max = self.config.max_buffered;
        let mut granted = 0;
        // The closure always returns Some while it grants anything, so the
        // result only tells whether nothing was granted.
        let _ = self.buffered.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
            granted = want.min(max.saturating_sub(used));
            (granted > 0).then_some(used + granted)
        });
        granted
    }

    /// Reserves exactly `count` bytes of the budget, or nothing.
    pub(crate) fn reserve_exact(&self, count: usize) -> bool {
        let max = self.config.max_buffered;
        self.buffered
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(count).filter(|total| *total <= max)
            })
            .is_ok()
    }

    /// Returns `count` bytes to the VM's buffer budget.
    pub(crate) fn release(&self, count: usize) {
        if count > 0 {
            let _ =
                self.buffered.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| Some(used.saturating_sub(count)));
        }
    }
}

/// The canonical destination a connect or send to `dest` reaches: an
/// IPv4-mapped address is its IPv4 address, and the unspecified address
/// means loopback (as on Linux).
fn canonical_dest(dest: SocketAddr) -> SocketAddr {
    let ip = match dest.ip().to_canonical() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, dest.port())
}

/// The source address for a connection to the local, canonical `dest`:
/// loopback for loopback (`127.0.0.1` for all of `127.0.0.0/8`), else the
/// destination itself (one of the VM's own addresses).
fn source_for(dest: IpAddr) -> IpAddr {
    match dest {
        IpAddr::V4(v4) if v4.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    }
}

/// One counted socket; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct SocketSlot {
    net: Arc<Network>,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let _ = self.net.sockets.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| Some(n.saturating_sub(1)));
    }
}

/// Options of a receive call (`MSG_PEEK`, `MSG_WAITALL`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecvFlags {
    /// Look at the data without taking it.
    pub peek: bool,
    /// Stream sockets: wait until the buffer is full (or EOF, or an error).
    pub waitall: bool,
}

/// What a receive call got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes copied into the caller's buffer.
    pub len: usize,
    /// The sender (datagram sockets only).
    pub from: Option<SocketAddr>,
    /// The datagram was longer than the buffer and its rest was discarded.
    pub truncated: bool,
}

/// A socket: what an open-file description of kind socket holds. Each
/// operation that may block takes `nonblock`, the description's `O_NONBLOCK`.
#[derive(Debug)]
pub enum Socket {
    /// A TCP stream socket.
    Tcp(TcpSocket),
    /// A UDP datagram socket.
    Udp(UdpSocket),
}

impl Socket {
    fn into_file(self) -> Arc<OpenFile> {
        OpenFile::new(FileKind::Socket(self), true, true, StatusFlags::default())
    }

    /// The socket's protocol.
    pub fn protocol(&self) -> Protocol {
        match self {
            Socket::Tcp(_) => Protocol::Tcp,
            Socket::Udp(_) => Protocol::Udp,
        }
    }

    /// The socket's address family.
    pub fn family(&self) -> Family {
        match self {
            Socket::Tcp(tcp) => tcp.family(),
            Socket::Udp(udp) => udp.family(),
        }
    }

    /// Binds to a local address (port 0: an ephemeral port).
    ///
    /// # Errors
    /// `AddrFamily`, `AddrNotAvailable` (not an address of the VM),
    /// `AddrInUse`, `Invalid` if already bound.
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        match self {
            Socket::Tcp(tcp) => tcp.bind(addr),
            Socket::Udp(udp) => udp.bind(addr),
        }
    }

    /// Starts listening with a backlog (binding an ephemeral port if unbound).
    ///
    /// # Errors
    /// `NotSupported` on a datagram socket; see [`TcpSocket::listen`].
    pub fn listen(&self, backlog: u32) -> Result<()> {
        match self {
            Socket::Tcp(tcp) => tcp.listen(backlog),
            Socket::Udp(_) => Err(KernelError::NotSupported),
        }
    }

    /// Takes the next connection off a listener, as a new blocking
    /// description, with the peer's address.
    ///
    /// # Errors
    /// `NotSupported` on a datagram socket; see [`TcpSocket::accept`].
    pub fn accept(&self, nonblock: bool) -> Result<(Arc<OpenFile>, SocketAddr)> {
        match self {
            Socket::Tcp(tcp) => {
                let (socket, peer) = tcp.accept(nonblock)?;
                Ok((Socket::Tcp(socket).into_file(), peer))
            }
            Socket::Udp(_) => Err(KernelError::NotSupported),
        }
    }

    /// Connects (TCP) or sets the default peer and filter (UDP).
    ///
    /// # Errors
    /// See [`TcpSocket::connect`] and [`UdpSocket::connect`].
    pub fn connect(&self, dest: SocketAddr, nonblock: bool) -> Result<()> {
        match self {
            Socket::Tcp(tcp) => tcp.connect(dest, nonblock),
            Socket::Udp(udp) => udp.connect(dest),
        }
    }

    /// Dissolves a datagram socket's connect (`connect` with `AF_UNSPEC`).
    ///
    /// # Errors
    /// `NotSupported` on a stream socket.
    pub fn disconnect(&self) -> Result<()> {
        match self {
            Socket::Tcp(_) => Err(KernelError::NotSupported),
            Socket::Udp(udp) => {
                udp.disconnect();
                Ok(())
            }
        }
    }

    /// Sends `data` to the peer, or (datagram sockets) to `dest` if given.
    /// Stream sockets ignore `dest`.
    ///
    /// # Errors
    /// See [`TcpSocket::send`] and [`UdpSocket::send_to`].
    pub fn send_to(&self, data: &[u8], dest: Option<SocketAddr>, nonblock: bool) -> Result<usize> {
        match self {
            Socket::Tcp(tcp) => tcp.send(data, nonblock),
            Socket::Udp(udp) => udp.send_to(data, dest),
        }
    }

    /// Receives into `out`.
    ///
    /// # Errors
    /// See [`TcpSocket::recv`] and [`UdpSocket::recv_from`].
    pub fn recv_from(&self, out: &mut [u8], flags: RecvFlags, nonblock: bool) -> Result<Received> {
        match self {
            Socket::Tcp(tcp) => {
                let len = tcp.recv(out, flags, nonblock)?;
                Ok(Received { len, from: None, truncated: false })
            }
            Socket::Udp(udp) => udp.recv_from(out, flags, nonblock),
        }
    }

    /// Shuts down reading, writing or both.
    ///
    /// # Errors
    /// `NotConnected` if there is no connection (or peer) to shut down.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        match self {
            Socket::Tcp(tcp) => tcp.shutdown(how),
            Socket::Udp(udp) => udp.shutdown(how),
        }
    }

    /// The local address (the unspecified address, port 0, if unbound).
    pub fn local_addr(&self) -> SocketAddr {
        match self {
            Socket::Tcp(tcp) => tcp.local_addr(),
            Socket::Udp(udp) => udp.local_addr(),
        }
    }

    /// The peer's address.
    ///
    /// # Errors
    /// `NotConnected` without a peer.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        match self {
            Socket::Tcp(tcp) => tcp.peer_addr(),
            Socket::Udp(udp) => udp.peer_addr(),
        }
    }

    /// Sets `SO_REUSEADDR`; it applies to binds made after the call.
    pub fn set_reuse_addr(&self, on: bool) {
        match self {
            Socket::Tcp(tcp) => tcp.set_reuse_addr(on),
            Socket::Udp(udp) => udp.set_reuse_addr(on),
        }
    }

    /// Asks the runtime to speak TLS on the socket's egress connection
    /// ([`TcpSocket::set_tls`]).
    ///
    /// # Errors
    /// `NotSupported` on a datagram socket; `IsConnected` once connecting.
    pub fn set_tls(&self, tls: TlsRequest) -> Result<()> {
        match self {
            Socket::Tcp(tcp) => tcp.set_tls(tls),
            Socket::Udp(_) => Err(KernelError::NotSupported),
        }
    }

    /// `SO_REUSEADDR`.
    pub fn reuse_addr(&self) -> bool {
        match self {
            Socket::Tcp(tcp) => tcp.reuse_addr(),
            Socket::Udp(udp) => udp.reuse_addr(),
        }
    }

    /// Takes the pending error (`SO_ERROR`): a failed non-blocking connect,
    /// or a refused datagram to a connected peer.
    pub fn take_error(&self) -> Option<KernelError> {
        match self {
            Socket::Tcp(tcp) => tcp.take_error(),
            Socket::Udp(udp) => udp.take_error(),
        }
    }

    /// Whether a receive or send would block now.
    pub fn readiness(&self) -> Readiness {
        match self {
            Socket::Tcp(tcp) => tcp.readiness(),
            Socket::Udp(udp) => udp.readiness(),
        }
    }

    /// `read` on the description: a receive without flags.
    pub(crate) fn read(&self, out: &mut [u8], nonblock: bool) -> Result<usize> {
        Ok(self.recv_from(out, RecvFlags::default(), nonblock)?.len)
    }

    /// `write` on the description: a send to the peer.
    pub(crate) fn write(&self, data: &[u8], nonblock: bool) -> Result<usize> {
        self.send_to(data, None, nonblock)
    }

    /// The file type `stat` and fdstat report.
    pub(crate) fn file_type(&self) -> FileType {
        match self {
            Socket::Tcp(_) => FileType::SocketStream,
            Socket::Udp(_) => FileType::SocketDgram,
        }
    }

    /// `stat` of a socket: mode `0o777` as on Linux, size 0.
    pub(crate) fn stat(&self) -> Stat {
        let ino = match self {
            Socket::Tcp(tcp) => tcp.ino(),
            Socket::Udp(udp) => udp.ino(),
        };
        Stat {
            dev: 0,
            ino,
            file_type: self.file_type(),
            nlink: 1,
            size: 0,
            atime: 0,
            mtime: 0,
            ctime: 0,
            mode: 0o777,
            uid: 0,
            gid: 0,
        }
    }
}

fn next_ino() -> u64 {
    NEXT_SOCKET_INO.fetch_add(1, Ordering::Relaxed)
}
