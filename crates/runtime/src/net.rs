//! A VM's network grants as its kernel's network configuration: the egress
//! policy built from `--allow-net` rules ([`NetGrants::allow`]). Host sockets
//! are opened only in [`crate::host::net`].
//!
//! The VM's loopback is its own, so the host's loopback is reached from
//! inside at [`HOST_LOOPBACK_ALIAS`] (`10.0.2.2`, as under QEMU's user
//! networking) — and only at granted ports: `--allow-net 127.0.0.1:8080`
//! lets a guest connect to `10.0.2.2:8080`. A granted name is reachable at
//! the addresses it resolved to when the guest looked it up
//! (`net_getaddrinfo`), and only those.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use capsa_kernel::net::{EgressPolicy, EgressRequest, ExternalConn, TlsRequest, Verdict};
use capsa_kernel::{KernelError, NetConfig};

use crate::config::{NetAllow, NetGrants};

/// Where a guest finds the host's loopback.
pub const HOST_LOOPBACK_ALIAS: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

/// Most (address, name) pairs remembered from lookups of granted names;
/// past it the oldest lookups are forgotten (their addresses need a new
/// lookup).
const MAX_RESOLVED: usize = 4096;

/// The kernel's network configuration for these grants.
pub(crate) fn net_config(grants: &NetGrants) -> NetConfig {
    NetConfig { egress: Arc::new(AllowList::new(grants.allow.clone())), ..NetConfig::default() }
}

/// The egress policy of `--allow-net`: TCP to the granted destinations,
/// nothing else.
#[derive(Debug)]
pub(crate) struct AllowList {
    rules: Vec<NetAllow>,
    /// Addresses granted names resolved to, with the (lowercase) name.
    resolved: Mutex<Vec<(IpAddr, String)>>,
}

impl AllowList {
    pub(crate) fn new(rules: Vec<NetAllow>) -> Self {
        AllowList { rules, resolved: Mutex::new(Vec::new()) }
    }

    /// The host address a guest's destination stands for.
    fn host_dest(dest: SocketAddr) -> SocketAddr {
        match dest.ip().to_canonical() {
            IpAddr::V4(v4) if v4 == HOST_LOOPBACK_ALIAS => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), dest.port())
            }
            ip => SocketAddr::new(ip, dest.port()),
        }
    }

    fn allows(&self, dest: SocketAddr) -> bool {
        let ip = dest.ip().to_canonical();
        self.rules.iter().any(|rule| {
            let port = rule.port.is_none_or(|p| p == dest.port());
            let host = match rule.host.parse::<IpAddr>() {
                Ok(granted) => granted.to_canonical() == ip,
                Err(_) if rule.host.eq_ignore_ascii_case("localhost") => ip.is_loopback(),
                Err(_) => self.resolved_to(&rule.host, ip),
            };
            port && host
        })
    }

    fn resolved_to(&self, name: &str, ip: IpAddr) -> bool {
        let name = name.to_ascii_lowercase();
        self.lock().iter().any(|(addr, n)| *addr == ip && *n == name)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(IpAddr, String)>> {
        // A list of pairs: a panic cannot leave it torn.
        self.resolved.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl EgressPolicy for AllowList {
    fn check(&self, request: &EgressRequest) -> Verdict {
        if self.allows(Self::host_dest(request.dest)) { Verdict::Allow } else { Verdict::Deny }
    }

    fn open(&self, request: &EgressRequest, conn: ExternalConn, tls: Option<&TlsRequest>) -> Result<(), KernelError> {
        crate::host::net::connect(Self::host_dest(request.dest), conn, tls)
    }

    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, KernelError> {
        let bare = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        if !self.rules.iter().any(|rule| rule.host.eq_ignore_ascii_case(&bare)) {
            return Err(KernelError::AccessDenied);
        }
        let mut seen = HashSet::new();
        let found: Vec<IpAddr> = crate::host::net::resolve(&bare)?
            .into_iter()
            .map(|ip| ip.to_canonical())
            .filter(|ip| seen.insert(*ip))
            .collect();
        let mut resolved = self.lock();
        for ip in &found {
            if !resolved.iter().any(|(addr, n)| addr == ip && *n == bare) {
                resolved.push((*ip, bare.clone()));
            }
        }
        let excess = resolved.len().saturating_sub(MAX_RESOLVED);
        resolved.drain(..excess);
        drop(resolved);
        // The guest sees the host's loopback at its alias; IPv6 loopback has none.
        Ok(found
            .into_iter()
            .filter(|ip| *ip != IpAddr::V6(Ipv6Addr::LOCALHOST))
            .map(|ip| if ip.is_loopback() { IpAddr::V4(HOST_LOOPBACK_ALIAS) } else { ip })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capsa_kernel::Protocol;

    fn rule(text: &str) -> NetAllow {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn verdict(list: &AllowList, dest: &str) -> Verdict {
        let dest = dest.parse().unwrap_or_else(|e| panic!("{dest}: {e}"));
        list.check(&EgressRequest { protocol: Protocol::Tcp, dest })
    }

    #[test]
    fn rules_match_addresses_and_port_patterns() {
        let list = AllowList::new(vec![rule("192.0.2.7:443"), rule("198.51.100.1:*"), rule("127.0.0.1:8080")]);
        assert_eq!(verdict(&list, "192.0.2.7:443"), Verdict::Allow);
        assert_eq!(verdict(&list, "192.0.2.7:80"), Verdict::Deny);
        assert_eq!(verdict(&list, "198.51.100.1:1"), Verdict::Allow);
        assert_eq!(verdict(&list, "[::ffff:198.51.100.1]:9"), Verdict::Allow);
        assert_eq!(verdict(&list, "10.0.2.2:8080"), Verdict::Allow, "the host's loopback through its alias");
        assert_eq!(verdict(&list, "10.0.2.2:8081"), Verdict::Deny);
        assert_eq!(verdict(&list, "203.0.113.9:443"), Verdict::Deny);
    }

    #[test]
    fn only_granted_names_resolve() {
        let list = AllowList::new(vec![rule("localhost:8080")]);
        assert_eq!(list.resolve("example.org"), Err(KernelError::AccessDenied));
        let found = list.resolve("LOCALHOST.").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found, vec![IpAddr::V4(HOST_LOOPBACK_ALIAS)]);
        assert_eq!(verdict(&list, "10.0.2.2:8080"), Verdict::Allow);
    }

    #[test]
    fn grant_syntax() {
        assert_eq!(rule("example.org:443"), NetAllow { host: "example.org".into(), port: Some(443) });
        assert_eq!(rule("10.0.0.5:*"), NetAllow { host: "10.0.0.5".into(), port: None });
        assert_eq!(rule("[::1]:80"), NetAllow { host: "::1".into(), port: Some(80) });
        for bad in ["example.org", "example.org:0", "a b:1", ":80", "::1:80", "h:99999"] {
            assert!(bad.parse::<NetAllow>().is_err(), "{bad}");
        }
        let publish: crate::config::Publish = "8080:80".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((publish.host_port, publish.guest_port), (8080, 80));
        assert!("8080".parse::<crate::config::Publish>().is_err());
    }
}
