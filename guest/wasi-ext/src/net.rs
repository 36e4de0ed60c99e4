//! Sockets on the VM's network (`host_net`, capsa-abi 0.4): [`TcpListener`],
//! [`TcpStream`] and [`UdpSocket`], shaped like `std::net`'s, and
//! [`lookup_host`] for names.
//!
//! Inside a VM these reach the VM's own loopback and address; a destination
//! outside it is reachable only if the user granted it (`EACCES` otherwise).
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use wasi_ext::net::{TcpListener, TcpStream};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! let (mut server, _) = listener.accept()?;
//! client.write_all(b"ping")?;
//! let mut buf = [0u8; 4];
//! server.read_exact(&mut buf)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::sys::{self, cvt};

/// Size of the largest address record (`sockaddr_in6`).
const ADDR_SIZE: usize = 32;
const AF_INET: u16 = 1;
const AF_INET6: u16 = 2;
const SOCK_DGRAM: u32 = 5;
const SOCK_STREAM: u32 = 6;
const MSG_PEEK: u32 = 0x1;
const OPT_REUSEADDR: u32 = 1;
const OPT_NONBLOCK: u32 = 2;
/// `net_tls` flag: do not verify the certificate.
const TLS_NO_VERIFY: u32 = 1;
/// Addresses one [`lookup_host`] returns at most.
const MAX_LOOKUP: usize = 16;

fn encode(addr: SocketAddr) -> ([u8; ADDR_SIZE], usize) {
    let mut raw = [0u8; ADDR_SIZE];
    raw[2..4].copy_from_slice(&addr.port().to_be_bytes());
    match addr {
        SocketAddr::V4(v4) => {
            raw[0..2].copy_from_slice(&AF_INET.to_le_bytes());
            raw[4..8].copy_from_slice(&v4.ip().octets());
            (raw, 16)
        }
        SocketAddr::V6(v6) => {
            raw[0..2].copy_from_slice(&AF_INET6.to_le_bytes());
            raw[4..8].copy_from_slice(&v6.flowinfo().to_le_bytes());
            raw[8..24].copy_from_slice(&v6.ip().octets());
            raw[24..28].copy_from_slice(&v6.scope_id().to_le_bytes());
            (raw, ADDR_SIZE)
        }
    }
}

fn decode(raw: &[u8; ADDR_SIZE]) -> io::Result<SocketAddr> {
    let port = u16::from_be_bytes([raw[2], raw[3]]);
    let word = |at: usize| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]);
    match u16::from_le_bytes([raw[0], raw[1]]) {
        AF_INET => Ok(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]), port))),
        AF_INET6 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&raw[8..24]);
            Ok(SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(octets), port, word(4), word(24))))
        }
        _ => Err(io::Error::new(io::ErrorKind::InvalidData, "unknown address family")),
    }
}

/// Calls an import that writes an address record and its length.
fn out_addr(call: impl FnOnce(*mut u8, usize, *mut usize) -> i32) -> io::Result<SocketAddr> {
    let mut raw = [0u8; ADDR_SIZE];
    let mut len = 0usize;
    cvt(call(raw.as_mut_ptr(), ADDR_SIZE, &mut len))?;
    decode(&raw)
}

/// Resolves `host` (a name or an address literal) through the VM:
/// `localhost`, literals, and names the user granted. The port is `port`.
///
/// # Errors
/// `EACCES` for a name that was not granted, `ENOENT` for a name with no
/// address.
pub fn lookup_host(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let mut raw = [[0u8; ADDR_SIZE]; MAX_LOOKUP];
    let mut found = 0usize;
    // SAFETY: the name is a live `&str` with its length; `raw` holds
    // `MAX_LOOKUP` records of `ADDR_SIZE` bytes; `found` is a live local.
    cvt(unsafe {
        sys::net_getaddrinfo(host.as_ptr(), host.len(), 0, raw.as_mut_ptr().cast(), MAX_LOOKUP, &mut found)
    })?;
    raw.iter().take(found.min(MAX_LOOKUP)).map(|r| decode(r).map(|a| SocketAddr::new(a.ip(), port))).collect()
}

/// A socket fd and the calls every kind shares.
#[derive(Debug)]
struct Socket(OwnedFd);

impl Socket {
    fn new(addr: &SocketAddr, socktype: u32) -> io::Result<Socket> {
        let family = if addr.is_ipv4() { AF_INET } else { AF_INET6 };
        // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
        let fd = sys::out_u32(|out| unsafe { sys::net_socket(u32::from(family), socktype, 0, 0, out) })?;
        // SAFETY: `net_socket` just created `fd`; the `OwnedFd` is its only owner.
        Ok(Socket(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
    }

    fn fd(&self) -> u32 {
        self.0.as_raw_fd() as u32
    }

    fn bind(&self, addr: &SocketAddr) -> io::Result<()> {
        let (raw, len) = encode(*addr);
        // SAFETY: `raw` is a live record of at least `len` bytes.
        cvt(unsafe { sys::net_bind(self.fd(), raw.as_ptr(), len) })
    }

    fn connect(&self, addr: &SocketAddr) -> io::Result<()> {
        let (raw, len) = encode(*addr);
        // SAFETY: `raw` is a live record of at least `len` bytes.
        cvt(unsafe { sys::net_connect(self.fd(), raw.as_ptr(), len) })
    }

    fn recv(&self, buf: &mut [u8], flags: u32) -> io::Result<usize> {
        let mut got = 0usize;
        // SAFETY: `buf` is a live, writable slice of its length; `got` is a live local.
        cvt(unsafe { sys::net_recv(self.fd(), buf.as_mut_ptr(), buf.len(), flags, &mut got) })?;
        Ok(got)
    }

    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let mut sent = 0usize;
        // SAFETY: `buf` is a live slice of its length; `sent` is a live local.
        cvt(unsafe { sys::net_send(self.fd(), buf.as_ptr(), buf.len(), 0, &mut sent) })?;
        Ok(sent)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        // SAFETY: `out_addr` passes a live record buffer, its size and a live length.
        out_addr(|buf, len, out| unsafe { sys::net_getsockname(self.fd(), buf, len, out) })
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        // SAFETY: as in `local_addr`.
        out_addr(|buf, len, out| unsafe { sys::net_getpeername(self.fd(), buf, len, out) })
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let how = match how {
            Shutdown::Read => 1,
            Shutdown::Write => 2,
            Shutdown::Both => 3,
        };
        // SAFETY: plain integer arguments.
        cvt(unsafe { sys::net_shutdown(self.fd(), how) })
    }

    fn set_option(&self, option: u32, on: bool) -> io::Result<()> {
        // SAFETY: plain integer arguments.
        cvt(unsafe { sys::net_setsockopt(self.fd(), option, u32::from(on)) })
    }
}

/// Tries each address in turn, as `std::net` does.
fn each_addr<T>(addrs: impl ToSocketAddrs, mut f: impl FnMut(&SocketAddr) -> io::Result<T>) -> io::Result<T> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no addresses to use");
    for addr in addrs.to_socket_addrs()? {
        match f(&addr) {
            Ok(value) => return Ok(value),
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// TLS the runtime speaks for a [`TcpStream::connect_tls`].
#[derive(Debug, Clone, Copy)]
pub struct Tls<'a> {
    /// The name the server's certificate must be valid for (sent as SNI).
    pub server_name: &'a str,
    /// PEM certificates trusted beyond the bundled web roots (may be empty).
    pub extra_roots_pem: &'a [u8],
    /// Verify the certificate; `false` is curl's `-k`.
    pub verify: bool,
}

/// A TCP connection.
#[derive(Debug)]
pub struct TcpStream(Socket);

impl TcpStream {
    /// Connects to the first address that accepts. Use address literals or
    /// [`lookup_host`] for names: `std`'s resolver does not exist on WASI.
    ///
    /// # Errors
    /// `ECONNREFUSED` if nothing listens, `EACCES` for a destination the VM
    /// may not reach.
    pub fn connect(addrs: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addrs, |addr| {
            let socket = Socket::new(addr, SOCK_STREAM)?;
            socket.connect(addr)?;
            Ok(TcpStream(socket))
        })
    }

    /// Connects to the first address that accepts, through TLS for
    /// `tls.server_name`: the runtime shakes hands and verifies the server
    /// (the bundled web roots, plus `tls.extra_roots_pem`), and this stream
    /// carries plaintext. Only for destinations outside the VM.
    ///
    /// # Errors
    /// As [`TcpStream::connect`]; `EPROTO` when the handshake fails (the
    /// certificate is not trusted for the name, or the server does not
    /// speak TLS); `EINVAL` for a name or roots that are not usable.
    pub fn connect_tls(addrs: impl ToSocketAddrs, tls: &Tls<'_>) -> io::Result<TcpStream> {
        each_addr(addrs, |addr| {
            let socket = Socket::new(addr, SOCK_STREAM)?;
            let flags = if tls.verify { 0 } else { TLS_NO_VERIFY };
            let (name, roots) = (tls.server_name.as_bytes(), tls.extra_roots_pem);
            // SAFETY: both buffers are live slices for the call's duration.
            cvt(unsafe { sys::net_tls(socket.fd(), name.as_ptr(), name.len(), roots.as_ptr(), roots.len(), flags) })?;
            socket.connect(addr)?;
            Ok(TcpStream(socket))
        })
    }

    /// The local address.
    ///
    /// # Errors
    /// `EBADF` if the fd was closed behind its back.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// `ENOTCONN` once the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// Shuts down reading, writing or both.
    ///
    /// # Errors
    /// `ENOTCONN`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.0.shutdown(how)
    }

    /// Reads without taking the bytes.
    ///
    /// # Errors
    /// As [`Read::read`].
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.recv(buf, MSG_PEEK)
    }

    /// Non-blocking mode: reads and writes give `WouldBlock` instead of waiting.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        self.0.set_option(OPT_NONBLOCK, on)
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.recv(buf, 0)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.send(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A listening TCP socket.
#[derive(Debug)]
pub struct TcpListener(Socket);

impl TcpListener {
    /// Binds (with `SO_REUSEADDR`, as `std` does on Unix) and listens with a
    /// backlog of 128.
    ///
    /// # Errors
    /// `EADDRINUSE`, `EADDRNOTAVAIL` (not an address of the VM).
    pub fn bind(addrs: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(addrs, |addr| {
            let socket = Socket::new(addr, SOCK_STREAM)?;
            socket.set_option(OPT_REUSEADDR, true)?;
            socket.bind(addr)?;
            // SAFETY: plain integer arguments.
            cvt(unsafe { sys::net_listen(socket.fd(), 128) })?;
            Ok(TcpListener(socket))
        })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    /// `EAGAIN` in non-blocking mode with none waiting; `EMFILE`.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let mut fd = 0u32;
        let mut raw = [0u8; ADDR_SIZE];
        let mut len = 0usize;
        // SAFETY: every out-pointer is a live local; `raw` has `ADDR_SIZE` bytes.
        cvt(unsafe { sys::net_accept(self.0.fd(), 0, &mut fd, raw.as_mut_ptr(), ADDR_SIZE, &mut len) })?;
        // SAFETY: `net_accept` just created `fd`; the `OwnedFd` is its only owner.
        let stream = TcpStream(Socket(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }));
        Ok((stream, decode(&raw)?))
    }

    /// An endless iterator over accepted connections.
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<TcpStream>> + '_ {
        std::iter::repeat_with(move || self.accept().map(|(stream, _)| stream))
    }

    /// The bound address (with the port picked for port 0).
    ///
    /// # Errors
    /// `EBADF`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }

    /// Non-blocking mode for `accept`.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        self.0.set_option(OPT_NONBLOCK, on)
    }
}

/// A UDP socket.
#[derive(Debug)]
pub struct UdpSocket(Socket);

impl UdpSocket {
    /// Binds to the first address that can be bound.
    ///
    /// # Errors
    /// `EADDRINUSE`, `EADDRNOTAVAIL`.
    pub fn bind(addrs: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(addrs, |addr| {
            let socket = Socket::new(addr, SOCK_DGRAM)?;
            socket.bind(addr)?;
            Ok(UdpSocket(socket))
        })
    }

    /// Sends one datagram to `addr`.
    ///
    /// # Errors
    /// `EMSGSIZE`, `EACCES` for a destination the VM may not reach.
    pub fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        each_addr(addr, |addr| {
            let (raw, len) = encode(*addr);
            let mut sent = 0usize;
            // SAFETY: `buf` and `raw` are live for their lengths; `sent` is a live local.
            cvt(unsafe { sys::net_sendto(self.0.fd(), buf.as_ptr(), buf.len(), 0, raw.as_ptr(), len, &mut sent) })?;
            Ok(sent)
        })
    }

    /// Receives one datagram (cut to `buf`) and its sender.
    ///
    /// # Errors
    /// `EAGAIN` in non-blocking mode.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut got = 0usize;
        let mut raw = [0u8; ADDR_SIZE];
        let mut len = 0usize;
        // SAFETY: `buf` and `raw` are live and writable for their lengths; the
        // counters are live locals.
        cvt(unsafe {
            sys::net_recvfrom(
                self.0.fd(),
                buf.as_mut_ptr(),
                buf.len(),
                0,
                &mut got,
                raw.as_mut_ptr(),
                ADDR_SIZE,
                &mut len,
            )
        })?;
        Ok((got, decode(&raw)?))
    }

    /// Sets the default peer and filters datagrams from others.
    ///
    /// # Errors
    /// `EACCES` for a destination the VM may not reach.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr, |addr| self.0.connect(addr))
    }

    /// Sends to the connected peer.
    ///
    /// # Errors
    /// `EDESTADDRREQ` if not connected.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.send(buf)
    }

    /// Receives from the connected peer.
    ///
    /// # Errors
    /// `EAGAIN` in non-blocking mode.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.recv(buf, 0)
    }

    /// The bound address.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }

    /// Non-blocking mode.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        self.0.set_option(OPT_NONBLOCK, on)
    }
}

macro_rules! fd_traits {
    ($($ty:ident),*) => {$(
        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.0 .0.as_raw_fd()
            }
        }
        impl IntoRawFd for $ty {
            fn into_raw_fd(self) -> RawFd {
                self.0 .0.into_raw_fd()
            }
        }
    )*};
}
fd_traits!(TcpStream, TcpListener, UdpSocket);
