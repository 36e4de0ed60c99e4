//! Granted host network access: TCP connections to destinations the user
//! granted, name lookups of granted names, and the loopback listeners of
//! published ports. Each connection is
//! pumped to and from its kernel end ([`ExternalConn`]) by two threads that
//! end when either side closes.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;

use capsa_kernel::net::{ExternalConn, TlsRequest};
use capsa_kernel::{KernelError, Network};

use super::GrantError;
use crate::config::Publish;
use crate::net::HOST_LOOPBACK_ALIAS;

/// How long a granted connect may take before the guest gets `ECONNREFUSED`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a blocked host read checks whether the guest side is gone,
/// and a publish listener whether its VM is.
const CHECK_EVERY: Duration = Duration::from_millis(50);
/// Bytes moved per read.
const CHUNK: usize = 16 * 1024;

/// Connects to a granted host destination and pumps `conn` over it, through
/// TLS when `tls` asks for it (host/tls.rs).
///
/// # Errors
/// `ConnectionRefused` if the host connect fails (refused, unreachable,
/// timed out); `AccessDenied` if the host forbids it; `Protocol` if the
/// TLS handshake fails.
pub(crate) fn connect(dest: SocketAddr, conn: ExternalConn, tls: Option<&TlsRequest>) -> Result<(), KernelError> {
    let stream = TcpStream::connect_timeout(&dest, CONNECT_TIMEOUT).map_err(|e| match e.kind() {
        ErrorKind::PermissionDenied => KernelError::AccessDenied,
        _ => KernelError::ConnectionRefused,
    })?;
    match tls {
        Some(tls) => super::tls::connect(stream, tls, conn),
        None => pump(stream, conn).map_err(|_| KernelError::ConnectionRefused),
    }
}

/// Looks a granted name up with the host's resolver.
///
/// # Errors
/// `NotFound` if it does not resolve.
pub(crate) fn resolve(name: &str) -> Result<Vec<IpAddr>, KernelError> {
    let addrs = (name, 0u16).to_socket_addrs().map_err(|_| KernelError::NotFound)?;
    Ok(addrs.map(|addr| addr.ip()).collect())
}

/// Listens on `127.0.0.1:host_port` for as long as `net` lives, and brings
/// every connection to the guest listening on `guest_port` (a connection
/// nothing listens for is closed at once). The guest sees the peer at the
/// host's loopback alias.
///
/// # Errors
/// The host port cannot be listened on, or its thread started.
pub(crate) fn publish(net: &Arc<Network>, publish: Publish) -> Result<(), GrantError> {
    let grant_error = |source: std::io::Error| GrantError::Publish { publish, source };
    let Publish { host_port, guest_port } = publish;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, host_port)).map_err(grant_error)?;
    listener.set_nonblocking(true).map_err(grant_error)?;
    let net = Arc::downgrade(net);
    thread::Builder::new()
        .name(format!("capsa-publish-{host_port}"))
        .spawn(move || serve(&listener, &net, guest_port))
        .map_err(grant_error)?;
    Ok(())
}

fn serve(listener: &TcpListener, net: &Weak<Network>, guest_port: u16) {
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let Some(net) = net.upgrade() else { return };
                let remote = SocketAddr::new(IpAddr::V4(HOST_LOOPBACK_ALIAS), peer.port());
                match net.inject(guest_port, remote) {
                    // A failed pump drops both ends: the client sees the close.
                    Ok(conn) => drop(stream.set_nonblocking(false).and_then(|()| pump(stream, conn))),
                    Err(err) => tracing::debug!(%peer, guest_port, %err, "published connection refused"),
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if net.strong_count() == 0 {
                    return;
                }
                thread::sleep(CHECK_EVERY);
            }
            Err(e) => {
                tracing::debug!(error = %e, "publish accept failed");
                thread::sleep(CHECK_EVERY);
            }
        }
    }
}

/// Starts the two threads that copy bytes between `stream` and `conn`.
fn pump(stream: TcpStream, conn: ExternalConn) -> std::io::Result<()> {
    let conn = Arc::new(conn);
    let inbound = stream.try_clone()?;
    inbound.set_read_timeout(Some(CHECK_EVERY))?;
    let to_guest = conn.clone();
    thread::Builder::new().name("capsa-net-in".into()).spawn(move || host_to_guest(inbound, &to_guest))?;
    thread::Builder::new().name("capsa-net-out".into()).spawn(move || guest_to_host(stream, &conn))?;
    Ok(())
}

fn host_to_guest(mut stream: TcpStream, conn: &ExternalConn) {
    let mut buf = vec![0u8; CHUNK];
    while let Some(n) = next_from_host(&mut stream, conn, &mut buf) {
        if !to_guest(&stream, conn, &buf[..n]) {
            return;
        }
    }
}

/// The next bytes from the host's side of a connection, read in short
/// waits so that a guest that went away is noticed; `None` once either
/// side is done (the guest is told the end of input when the host's ended).
pub(super) fn next_from_host(stream: &mut TcpStream, conn: &ExternalConn, buf: &mut [u8]) -> Option<usize> {
    loop {
        if conn.guest_gone() {
            let _ = stream.shutdown(Shutdown::Read);
            return None;
        }
        match stream.read(buf) {
            Ok(0) => {
                conn.shutdown_write();
                return None;
            }
            Ok(n) => return Some(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Err(_) => {
                conn.shutdown_write();
                return None;
            }
        }
    }
}

/// Hands all of `data` to the guest; `false` (the host's reading side shut)
/// once it can take no more.
pub(super) fn to_guest(stream: &TcpStream, conn: &ExternalConn, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        match conn.write(data) {
            Ok(written) => data = &data[written..],
            Err(_) => {
                let _ = stream.shutdown(Shutdown::Read);
                return false;
            }
        }
    }
    true
}

fn guest_to_host(mut stream: TcpStream, conn: &ExternalConn) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
}
