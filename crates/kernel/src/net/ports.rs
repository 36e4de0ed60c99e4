//! The port tables of one VM's network: who holds which port, the conflict
//! rules behind `EADDRINUSE` and `SO_REUSEADDR`, ephemeral ports, and finding
//! the listener or datagram socket an address reaches.
//!
//! Addresses are kept in canonical form (an IPv4-mapped IPv6 address is its
//! IPv4 address). An unspecified address covers every address of its family;
//! `::` covers IPv4 too (dual stack, Linux's default). Every TCP socket with
//! a local address holds an entry, accepted connections included, so as on
//! Linux a listener's port stays taken by its connections after it closes
//! unless the new socket and the connections use `SO_REUSEADDR`. Two TCP
//! entries may share an address only if both use `SO_REUSEADDR` and neither
//! listens; two UDP entries, if both use it (the newest one then receives).
//!
//! Lock order: a socket's state, then the port table, then a listener or a
//! queue. A [`Binding`] locks the table when dropped, so none is ever
//! dropped while the table is locked.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, MutexGuard, PoisonError, Weak};

use super::tcp::Listener;
use super::udp::DgramQueue;
use super::{Network, Protocol};
use crate::error::{KernelError, Result};

/// What an entry's socket does with its port.
#[derive(Debug)]
pub(crate) enum Role {
    /// A TCP socket that is bound or connected.
    Plain,
    /// A TCP listener.
    Listening(Weak<Listener>),
    /// A UDP socket's receive queue.
    Datagram(Weak<DgramQueue>),
}

#[derive(Debug)]
struct Entry {
    id: u64,
    ip: IpAddr,
    reuse: bool,
    role: Role,
}

impl Entry {
    fn listening(&self) -> bool {
        matches!(self.role, Role::Listening(_))
    }
}

/// Every port entry of one network.
#[derive(Debug, Default)]
pub(crate) struct Ports {
    map: HashMap<(Protocol, u16), Vec<Entry>>,
    next_id: u64,
    /// Where the next ephemeral-port search starts, as an offset in the range.
    cursor: u32,
}

/// Whether `wide` is an unspecified address that covers `ip`.
fn covers(wide: IpAddr, ip: IpAddr) -> bool {
    wide.is_unspecified() && (wide.is_ipv6() || ip.is_ipv4())
}

/// Whether two bound addresses overlap (one could receive the other's traffic).
fn overlaps(a: IpAddr, b: IpAddr) -> bool {
    a == b || covers(a, b) || covers(b, a)
}

impl Ports {
    /// Whether an entry other than `except` keeps `ip` with `reuse` from `port`.
    fn conflict(&self, protocol: Protocol, port: u16, ip: IpAddr, reuse: bool, except: Option<u64>) -> bool {
        self.map.get(&(protocol, port)).is_some_and(|entries| {
            entries.iter().any(|e| {
                let shared = reuse && e.reuse && (protocol == Protocol::Udp || !e.listening());
                Some(e.id) != except && overlaps(e.ip, ip) && !shared
            })
        })
    }

    /// A port of `range` that no entry of `protocol` holds.
    fn free_port(&mut self, protocol: Protocol, range: &std::ops::RangeInclusive<u16>) -> Option<u16> {
        let (start, end) = (u32::from(*range.start()), u32::from(*range.end()));
        let len = end.checked_sub(start)?.checked_add(1)?;
        for step in 0..len {
            let offset = (self.cursor.wrapping_add(step)) % len;
            let port = u16::try_from(start + offset).ok()?;
            if port != 0 && !self.map.contains_key(&(protocol, port)) {
                self.cursor = (offset + 1) % len;
                return Some(port);
            }
        }
        None
    }

    fn insert(&mut self, protocol: Protocol, port: u16, ip: IpAddr, reuse: bool, role: Role) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.map.entry((protocol, port)).or_default().push(Entry { id, ip, reuse, role });
        id
    }

    fn entry_mut(&mut self, protocol: Protocol, port: u16, id: u64) -> Option<&mut Entry> {
        self.map.get_mut(&(protocol, port))?.iter_mut().find(|e| e.id == id)
    }

    fn remove(&mut self, protocol: Protocol, port: u16, id: u64) {
        if let Some(entries) = self.map.get_mut(&(protocol, port)) {
            entries.retain(|e| e.id != id);
            if entries.is_empty() {
                self.map.remove(&(protocol, port));
            }
        }
    }

    /// The entries on `port` that `ip` reaches, exact addresses first, newest
    /// first within each kind.
    fn reaching(&self, protocol: Protocol, ip: IpAddr, port: u16) -> Vec<&Entry> {
        let Some(entries) = self.map.get(&(protocol, port)) else { return Vec::new() };
        let exact = entries.iter().rev().filter(|e| e.ip == ip);
        let wide = entries.iter().rev().filter(|e| e.ip != ip && covers(e.ip, ip));
        exact.chain(wide).collect()
    }
}

/// A socket's hold on a local address: its entry in the port table, removed
/// when the binding drops.
#[derive(Debug)]
pub(crate) struct Binding {
    net: Arc<Network>,
    protocol: Protocol,
    id: u64,
    /// The local address as the socket reports it.
    addr: SocketAddr,
    /// The address the socket asked for, to return to when a connect fails.
    requested: SocketAddr,
    /// Bound implicitly (by connect or send), so a failed connect unbinds.
    auto: bool,
}

impl Binding {
    /// The local address, as the socket's family sees it.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The local address in canonical form.
    pub(crate) fn canonical(&self) -> SocketAddr {
        SocketAddr::new(self.addr.ip().to_canonical(), self.addr.port())
    }

    /// Whether the binding was made implicitly.
    pub(crate) fn auto(&self) -> bool {
        self.auto
    }

    /// Narrows (or, after a failed connect, restores) the local IP; the port stays.
    pub(crate) fn set_ip(&mut self, ip: IpAddr) {
        let canonical = ip.to_canonical();
        if let Some(entry) = self.net.ports().entry_mut(self.protocol, self.addr.port(), self.id) {
            entry.ip = canonical;
        }
        let family = if self.addr.is_ipv6() { super::Family::Inet6 } else { super::Family::Inet };
        self.addr = family.view(SocketAddr::new(canonical, self.addr.port()));
    }

    /// Returns the local IP to the one asked for at bind time.
    pub(crate) fn restore(&mut self) {
        self.set_ip(self.requested.ip());
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        self.net.ports().remove(self.protocol, self.addr.port(), self.id);
    }
}

impl Network {
    pub(super) fn ports(&self) -> MutexGuard<'_, Ports> {
        // Every update of the table is a single insert, remove or field
        // store, so a poisoned lock still holds a consistent table.
        self.ports.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Binds `addr` (port 0: an ephemeral port) for a socket of `protocol`.
    ///
    /// # Errors
    /// `AddrNotAvailable` if the address is not the VM's, `AddrInUse` if it
    /// is taken or no ephemeral port is free.
    pub(crate) fn bind(
        self: &Arc<Self>,
        protocol: Protocol,
        addr: SocketAddr,
        reuse: bool,
        role: Role,
    ) -> Result<Binding> {
        let ip = addr.ip().to_canonical();
        if !ip.is_unspecified() && !self.is_local(ip) {
            return Err(KernelError::AddrNotAvailable);
        }
        self.bind_checked(protocol, addr, reuse, role, false, KernelError::AddrInUse)
    }

    /// Binds an ephemeral port on `addr`'s IP (already known to be the VM's)
    /// for a socket that connects or sends unbound.
    ///
    /// # Errors
    /// `AddrNotAvailable` if no ephemeral port is free.
    pub(crate) fn bind_auto(
        self: &Arc<Self>,
        protocol: Protocol,
        addr: SocketAddr,
        reuse: bool,
        role: Role,
    ) -> Result<Binding> {
        let mut addr = addr;
        addr.set_port(0);
        self.bind_checked(protocol, addr, reuse, role, true, KernelError::AddrNotAvailable)
    }

    fn bind_checked(
        self: &Arc<Self>,
        protocol: Protocol,
        requested: SocketAddr,
        reuse: bool,
        role: Role,
        auto: bool,
        exhausted: KernelError,
    ) -> Result<Binding> {
        let ip = requested.ip().to_canonical();
        let mut ports = self.ports();
        let port = if requested.port() == 0 {
            ports.free_port(protocol, &self.config.ephemeral_ports).ok_or(exhausted)?
        } else if ports.conflict(protocol, requested.port(), ip, reuse, None) {
            return Err(KernelError::AddrInUse);
        } else {
            requested.port()
        };
        let id = ports.insert(protocol, port, ip, reuse, role);
        drop(ports);
        let mut addr = requested;
        addr.set_port(port);
        Ok(Binding { net: self.clone(), protocol, id, addr, requested, auto })
    }

    /// Registers an accepted connection on its listener's port without the
    /// conflict check (it shares the port by construction).
    pub(crate) fn bind_accepted(self: &Arc<Self>, addr: SocketAddr, reuse: bool) -> Binding {
        let ip = addr.ip().to_canonical();
        let id = self.ports().insert(Protocol::Tcp, addr.port(), ip, reuse, Role::Plain);
        Binding { net: self.clone(), protocol: Protocol::Tcp, id, addr, requested: addr, auto: false }
    }

    /// Turns a TCP binding into a listener's (or, with `None`, back).
    ///
    /// # Errors
    /// `AddrInUse` if another socket listens on an overlapping address, or
    /// one without `SO_REUSEADDR` holds it.
    pub(crate) fn set_listening(&self, binding: &Binding, listener: Option<Weak<Listener>>, reuse: bool) -> Result<()> {
        let mut ports = self.ports();
        let port = binding.addr.port();
        let ip = binding.addr.ip().to_canonical();
        if listener.is_some() && ports.conflict(Protocol::Tcp, port, ip, reuse, Some(binding.id)) {
            return Err(KernelError::AddrInUse);
        }
        if let Some(entry) = ports.entry_mut(Protocol::Tcp, port, binding.id) {
            entry.role = listener.map_or(Role::Plain, Role::Listening);
        }
        Ok(())
    }

    /// The listener a connection to canonical `dest` reaches, if any.
    pub(crate) fn find_listener(&self, dest: SocketAddr) -> Option<Arc<Listener>> {
        let ports = self.ports();
        let found = ports.reaching(Protocol::Tcp, dest.ip(), dest.port()).into_iter().find_map(|e| match &e.role {
            Role::Listening(listener) => listener.upgrade(),
            Role::Plain | Role::Datagram(_) => None,
        });
        drop(ports);
        found
    }

    /// The queue a datagram to canonical `dest` lands in, if any.
    pub(crate) fn find_dgram(&self, dest: SocketAddr) -> Option<Arc<DgramQueue>> {
        let ports = self.ports();
        let found = ports.reaching(Protocol::Udp, dest.ip(), dest.port()).into_iter().find_map(|e| match &e.role {
            Role::Datagram(queue) => queue.upgrade(),
            Role::Plain | Role::Listening(_) => None,
        });
        drop(ports);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn unspecified_addresses_cover_their_family_and_dual_stack_covers_both() {
        let any4 = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let any6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        let lo4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let lo6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert!(overlaps(any4, lo4) && overlaps(any6, lo4) && overlaps(any6, lo6) && overlaps(any4, any6));
        assert!(!overlaps(any4, lo6) && !overlaps(lo4, lo6));
    }
}
