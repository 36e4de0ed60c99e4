//! Connections with one end outside the VM: an egress connection the
//! [`EgressPolicy`](super::EgressPolicy) opened to a granted destination,
//! or a connection from the host injected into a guest listener
//! ([`Network::inject`](super::Network::inject), port publishing).
//!
//! The kernel side is an ordinary in-VM connection; the outside end is an
//! [`ExternalConn`] that the runtime pumps to and from a host socket. It
//! holds no host resource itself, so the kernel stays free of ambient
//! authority. The [`Network`] methods that consult the egress policy and
//! record refusals live here too.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use super::stream::{self, Endpoint};
use super::{EgressRequest, Network, Protocol, RecvFlags, TlsRequest, Verdict};
use crate::error::{KernelError, Result};

/// The outside end of a connection to a guest socket. Reads and writes
/// block (they are made by runtime threads, not guest processes); dropping
/// it closes the connection as a socket close does.
#[derive(Debug)]
pub struct ExternalConn {
    ep: Endpoint,
}

impl ExternalConn {
    pub(crate) fn new(ep: Endpoint) -> Self {
        ExternalConn { ep }
    }

    /// Reads what the guest sent, waiting for it; `Ok(0)` once the guest shut
    /// down writing or closed.
    ///
    /// # Errors
    /// `ConnectionReset` if the guest closed with unread data.
    pub fn read(&self, out: &mut [u8]) -> Result<usize> {
        self.ep.rx.read(out, RecvFlags::default(), false)
    }

    /// Sends bytes to the guest, waiting for room in its receive buffer.
    ///
    /// # Errors
    /// `BrokenPipe` once the guest closed or shut down reading;
    /// `ConnectionReset` once after a reset.
    pub fn write(&self, data: &[u8]) -> Result<usize> {
        self.ep.tx.write(data, false)
    }

    /// Tells the guest no more bytes will come (it reads EOF after the data).
    pub fn shutdown_write(&self) {
        self.ep.tx.shut_write();
    }

    /// Whether the guest can no longer receive: it closed, shut down reading,
    /// or the connection was reset.
    pub fn guest_gone(&self) -> bool {
        self.ep.tx.reader_gone()
    }
}

impl Network {
    /// Consults the egress policy about a datagram to a destination outside
    /// the VM and records the attempt: there is no UDP transport to the host,
    /// so even an allowed one is refused.
    pub(crate) fn egress(&self, protocol: Protocol, dest: SocketAddr) -> KernelError {
        let request = EgressRequest { protocol, dest };
        let verdict = self.config.egress.check(&request);
        let error = match verdict {
            Verdict::Deny => KernelError::AccessDenied,
            Verdict::Refuse | Verdict::Allow => KernelError::ConnectionRefused,
        };
        self.refused(request, verdict, error)
    }

    /// A TCP connection to a destination outside the VM: the policy decides,
    /// and for an allowed one opens the outside end. Returns the guest's end.
    /// Refusals are recorded.
    pub(crate) fn egress_connect(
        self: &Arc<Self>,
        dest: SocketAddr,
        tls: Option<&TlsRequest>,
    ) -> Result<stream::Endpoint> {
        let request = EgressRequest { protocol: Protocol::Tcp, dest };
        let verdict = self.config.egress.check(&request);
        let error = match verdict {
            Verdict::Deny => KernelError::AccessDenied,
            Verdict::Refuse => KernelError::ConnectionRefused,
            Verdict::Allow => {
                let (guest, outside) = stream::Endpoint::pair(self);
                match self.config.egress.open(&request, ExternalConn::new(outside), tls) {
                    Ok(()) => return Ok(guest),
                    Err(err) => err,
                }
            }
        };
        Err(self.refused(request, verdict, error))
    }

    fn refused(&self, request: EgressRequest, verdict: Verdict, error: KernelError) -> KernelError {
        // Debug level: a guest can repeat attempts at will, and the audit
        // log (bounded) is the record; host logs must not be floodable.
        tracing::debug!(protocol = ?request.protocol, dest = %request.dest, ?verdict, %error, "egress refused");
        self.audit().record(request, verdict, error.clone());
        error
    }

    /// Brings a connection from outside the VM (`remote`, as the guest will
    /// see it) to the guest listening on TCP `port` — at the VM's first
    /// address, else at loopback — as if a client had connected. Returns the
    /// outside end.
    ///
    /// # Errors
    /// `ConnectionRefused` if nothing listens there, its backlog is full, or
    /// the VM is out of sockets.
    pub fn inject(self: &Arc<Self>, port: u16, remote: SocketAddr) -> Result<ExternalConn> {
        let own = self.config.addresses.iter().map(|ip| SocketAddr::new(ip.to_canonical(), port));
        let loopback = std::iter::once(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        for dest in own.chain(loopback) {
            if let Some(listener) = self.find_listener(dest) {
                let remote = SocketAddr::new(remote.ip().to_canonical(), remote.port());
                return listener.offer(self, dest, remote).map(ExternalConn::new);
            }
        }
        Err(KernelError::ConnectionRefused)
    }
}
