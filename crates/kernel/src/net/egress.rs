//! The egress hook and the audit log.
//!
//! A connect or datagram to an address that is not the VM's own asks the
//! VM's [`EgressPolicy`]. The default, [`DenyAll`], denies everything. An
//! allowed TCP connect is opened by the policy ([`EgressPolicy::open`]);
//! datagrams never leave the VM. Every refused attempt is recorded in a
//! bounded log that drops its oldest entries first and counts them.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use super::{ExternalConn, Protocol};
use crate::error::KernelError;

/// A guest's attempt to reach a destination outside its VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EgressRequest {
    /// TCP connect or UDP datagram.
    pub protocol: Protocol,
    /// Where to, as the guest gave it.
    pub dest: SocketAddr,
}

/// TLS the runtime speaks on a guest's behalf on an egress connection: the
/// guest sees plaintext, the host verifies the server and encrypts
/// (`host_net.net_tls`). The guest asks for it before it connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRequest {
    /// The name the certificate must be valid for (and the SNI sent).
    pub server_name: String,
    /// Certificates (PEM) trusted beyond the bundled roots, e.g. a test CA.
    pub extra_roots_pem: Vec<u8>,
    /// Verify the server's certificate (`false` is curl's `-k`: the guest's
    /// own choice about its own connection).
    pub verify: bool,
}

/// What an egress policy decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The destination is granted: a TCP connect goes to [`EgressPolicy::open`].
    Allow,
    /// Refused as by a rejecting firewall: `ConnectionRefused` (ECONNREFUSED).
    Refuse,
    /// Not granted: `AccessDenied` (EACCES).
    Deny,
}

/// Decides connections leaving the VM. The runtime builds one from the
/// user's grants; the kernel only consults it.
pub trait EgressPolicy: Send + Sync + fmt::Debug {
    /// The verdict for one attempt.
    fn check(&self, request: &EgressRequest) -> Verdict;

    /// Opens an allowed TCP connection: carries `conn`'s bytes to and from
    /// the destination (for as long as it likes; dropping `conn` closes the
    /// guest's connection), through TLS when `tls` asks for it (a failed
    /// handshake is `Protocol`). Called during the guest's connect, which
    /// waits for it. The default has no transport.
    ///
    /// # Errors
    /// What the guest's connect fails with (`ConnectionRefused`,
    /// `AccessDenied`, ...); the attempt is then recorded as refused.
    fn open(&self, request: &EgressRequest, conn: ExternalConn, tls: Option<&TlsRequest>) -> Result<(), KernelError> {
        let _ = (request, conn, tls);
        Err(KernelError::ConnectionRefused)
    }

    /// Resolves a host name the guest asked for (`net_getaddrinfo`). Only
    /// names the user granted may be resolved; the default resolves none.
    ///
    /// # Errors
    /// `AccessDenied` for a name that was not granted, `NotFound` for a
    /// granted name with no address.
    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, KernelError> {
        let _ = name;
        Err(KernelError::AccessDenied)
    }
}

/// The default policy: every destination outside the VM is denied.
#[derive(Debug, Clone, Copy, Default)]
pub struct DenyAll;

impl EgressPolicy for DenyAll {
    fn check(&self, _request: &EgressRequest) -> Verdict {
        Verdict::Deny
    }
}

/// One recorded egress attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the VM's log, from 0, counting dropped entries.
    pub seq: u64,
    /// When it happened (host time; guests never read the log).
    pub time: SystemTime,
    /// What was attempted.
    pub request: EgressRequest,
    /// What the policy said.
    pub verdict: Verdict,
    /// The error the guest got.
    pub error: KernelError,
}

/// A bounded log of egress attempts.
#[derive(Debug)]
pub(crate) struct AuditLog {
    entries: VecDeque<AuditEntry>,
    capacity: usize,
    next_seq: u64,
    dropped: u64,
}

impl AuditLog {
    pub(crate) fn new(capacity: usize) -> Self {
        AuditLog { entries: VecDeque::new(), capacity, next_seq: 0, dropped: 0 }
    }

    pub(crate) fn record(&mut self, request: EgressRequest, verdict: Verdict, error: KernelError) {
        let entry = AuditEntry { seq: self.next_seq, time: SystemTime::now(), request, verdict, error };
        self.next_seq = self.next_seq.saturating_add(1);
        while self.entries.len() >= self.capacity.max(1) {
            self.entries.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        if self.capacity > 0 {
            self.entries.push_back(entry);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    pub(crate) fn entries(&self) -> Vec<AuditEntry> {
        self.entries.iter().cloned().collect()
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_entries_and_counts_the_rest() {
        let mut log = AuditLog::new(2);
        let request = EgressRequest { protocol: Protocol::Tcp, dest: SocketAddr::from(([192, 0, 2, 1], 80)) };
        for _ in 0..5 {
            log.record(request, Verdict::Deny, KernelError::AccessDenied);
        }
        let seqs: Vec<u64> = log.entries().iter().map(|entry| entry.seq).collect();
        assert_eq!(seqs, [3, 4]);
        assert_eq!(log.dropped(), 3);
    }
}
