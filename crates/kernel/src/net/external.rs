//! Connections with one end outside the VM: an egress connection the
//! [`EgressPolicy`](super::EgressPolicy) opened to a granted destination,
//! or a connection from the host injected into a guest listener
//! ([`Network::inject`](super::Network::inject), port publishing).
//!
//! The kernel side is an ordinary in-VM connection; the outside end is an
//! [`ExternalConn`] that the runtime pumps to and from a host socket. It
//! holds no host resource itself, so the kernel stays free of ambient
//! authority.

use super::RecvFlags;
use super::stream::Endpoint;
use crate::error::Result;

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
