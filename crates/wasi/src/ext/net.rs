//! `host_net`: sockets on the VM's own network (see `docs/abi.md`).
//!
//! Every call acts on kernel sockets ([`capsa_kernel::Socket`]) held in the
//! process's fd table, so `fd_read`/`fd_write`/`poll_oneoff`/`fd_close` work
//! on them too. Addresses cross the ABI as records laid out like wasi-libc's
//! `sockaddr_in`/`sockaddr_in6` ([`ADDR_SIZE`] bytes at most). Buffers are
//! used in place in guest memory, so no call allocates what the guest sizes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::{Duration, Instant};

use capsa_kernel::net::{RecvFlags, TlsRequest};
use capsa_kernel::{Family, KernelError, Protocol, StatusFlags};

use crate::call::{SysResult, read_str};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::io::{accept_into_table, broken_pipe, insert_socket, nonblock, shutdown_how, sock, socket_file};
use crate::memory::GuestMemory;

/// Size of the largest address record (`inet6`); an `inet` record is 16.
pub const ADDR_SIZE: u32 = 32;
/// Size of an `inet` address record.
const ADDR_V4_SIZE: u32 = 16;
/// Bytes of an `inet` record that carry data (family, port, address).
const ADDR_V4_MIN: u32 = 8;
/// Bytes of an `inet6` record that carry data (up to the scope id).
const ADDR_V6_MIN: u32 = 28;

/// Address family codes (wasi-libc's `AF_*`).
const AF_UNSPEC: u16 = 0;
const AF_INET: u16 = 1;
const AF_INET6: u16 = 2;
/// Socket types (preview1 file types, wasi-libc's `SOCK_*`).
const SOCK_DGRAM: u32 = 5;
const SOCK_STREAM: u32 = 6;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
/// `net_socket`/`net_accept` flag: the new fd is non-blocking.
const NEW_NONBLOCK: u32 = 1;
/// Message flags of the send and receive calls.
const MSG_PEEK: u32 = 0x1;
const MSG_WAITALL: u32 = 0x2;
const MSG_DONTWAIT: u32 = 0x40;
const MSG_NOSIGNAL: u32 = 0x4000;
/// `net_setsockopt` options.
const OPT_REUSEADDR: u32 = 1;
const OPT_NONBLOCK: u32 = 2;
/// `net_tls` flag: do not verify the server's certificate.
pub const TLS_NO_VERIFY: u32 = 1;
/// Most bytes of PEM roots one `net_tls` takes.
pub const MAX_TLS_ROOTS: u32 = 1 << 20;
/// `net_poll` event bits (wasi-libc's `poll.h`).
const POLLIN: u16 = 0x1;
const POLLOUT: u16 = 0x2;
const POLLHUP: u16 = 0x2000;
const POLLNVAL: u16 = 0x4000;
const POLLFD_SIZE: u32 = 8;
/// Most entries one `net_poll` takes (as `poll_oneoff`).
pub const MAX_POLL_FDS: u32 = 4096;
/// Longest pause between readiness checks in `net_poll`.
const MAX_BACKOFF: Duration = Duration::from_millis(10);

/// Reads an address record; `None` is `AF_UNSPEC`.
fn read_addr(mem: &GuestMemory<'_>, ptr: u32, len: u32) -> SysResult<Option<SocketAddr>> {
    if len < 2 {
        return Err(Errno::Inval.into());
    }
    let raw = mem.slice(ptr, len)?;
    let port = |raw: &[u8]| u16::from_be_bytes([raw[2], raw[3]]);
    match u16::from_le_bytes([raw[0], raw[1]]) {
        AF_UNSPEC => Ok(None),
        AF_INET if len >= ADDR_V4_MIN => {
            let ip = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
            Ok(Some(SocketAddr::V4(SocketAddrV4::new(ip, port(raw)))))
        }
        AF_INET6 if len >= ADDR_V6_MIN => {
            let word = |at: usize| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]);
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&raw[8..24]);
            let addr = SocketAddrV6::new(Ipv6Addr::from(octets), port(raw), word(4), word(24));
            Ok(Some(SocketAddr::V6(addr)))
        }
        AF_INET | AF_INET6 => Err(Errno::Inval.into()),
        _ => Err(Errno::AfNoSupport.into()),
    }
}

/// An address as its record, and the record's length.
pub(crate) fn encode_addr(addr: SocketAddr) -> ([u8; ADDR_SIZE as usize], u32) {
    let mut raw = [0u8; ADDR_SIZE as usize];
    raw[2..4].copy_from_slice(&addr.port().to_be_bytes());
    match addr {
        SocketAddr::V4(v4) => {
            raw[0..2].copy_from_slice(&AF_INET.to_le_bytes());
            raw[4..8].copy_from_slice(&v4.ip().octets());
            (raw, ADDR_V4_SIZE)
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

/// Writes `addr` into `(buf, buf_len)`, truncated as POSIX does, and its full
/// length to `len_out` (0 without an address).
fn write_addr(
    mem: &mut GuestMemory<'_>,
    addr: Option<SocketAddr>,
    buf: u32,
    buf_len: u32,
    len_out: u32,
) -> SysResult<()> {
    let Some(addr) = addr else {
        mem.write_u32(len_out, 0)?;
        return Ok(());
    };
    let (raw, len) = encode_addr(addr);
    let shown = buf_len.min(len);
    mem.write_bytes(buf, &raw[..shown as usize])?;
    mem.write_u32(len_out, len)?;
    Ok(())
}

/// Checks the out-area of an address before a call with effects.
fn check_addr_out(mem: &GuestMemory<'_>, buf: u32, buf_len: u32, len_out: u32) -> SysResult<()> {
    mem.slice(buf, buf_len.min(ADDR_SIZE))?;
    mem.slice(len_out, 4)?;
    Ok(())
}

fn recv_flags(flags: u32) -> SysResult<(RecvFlags, bool)> {
    if flags & !(MSG_PEEK | MSG_WAITALL | MSG_DONTWAIT) != 0 {
        return Err(Errno::Inval.into());
    }
    let recv = RecvFlags { peek: flags & MSG_PEEK != 0, waitall: flags & MSG_WAITALL != 0 };
    Ok((recv, flags & MSG_DONTWAIT != 0))
}

fn send_flags(flags: u32) -> SysResult<(bool, bool)> {
    if flags & !(MSG_DONTWAIT | MSG_NOSIGNAL) != 0 {
        return Err(Errno::Inval.into());
    }
    Ok((flags & MSG_DONTWAIT != 0, flags & MSG_NOSIGNAL != 0))
}

/// Maps a send's error: `EPIPE` leads to SIGPIPE as for a pipe, unless the
/// caller passed `MSG_NOSIGNAL`.
fn send_error(ctx: &mut WasiCtx, err: KernelError, nosignal: bool) -> crate::call::SysError {
    match err {
        KernelError::BrokenPipe if !nosignal => broken_pipe(ctx),
        other => other.into(),
    }
}

/// `net_socket(family, type, protocol, flags) -> fd`.
pub fn net_socket(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    family: u32,
    socktype: u32,
    protocol: u32,
    flags: u32,
    out: u32,
) -> SysResult<()> {
    mem.slice(out, 4)?;
    if flags & !NEW_NONBLOCK != 0 {
        return Err(Errno::Inval.into());
    }
    let fd = open_socket(ctx, family, socktype, protocol, flags & NEW_NONBLOCK != 0)?;
    mem.write_u32(out, fd)?;
    Ok(())
}

/// A new socket in the caller's fd table (wasi-libc's `AF_*`/`SOCK_*`
/// numbering), as `net_socket` and the door's `socket` make it.
pub(crate) fn open_socket(
    ctx: &mut WasiCtx,
    family: u32,
    socktype: u32,
    protocol: u32,
    nonblock: bool,
) -> SysResult<u32> {
    let family = match u16::try_from(family) {
        Ok(AF_INET) => Family::Inet,
        Ok(AF_INET6) => Family::Inet6,
        _ => return Err(Errno::AfNoSupport.into()),
    };
    let protocol = match (socktype, protocol) {
        (SOCK_STREAM, 0 | IPPROTO_TCP) => Protocol::Tcp,
        (SOCK_DGRAM, 0 | IPPROTO_UDP) => Protocol::Udp,
        (SOCK_STREAM | SOCK_DGRAM, _) => return Err(Errno::ProtoNoSupport.into()),
        _ => return Err(Errno::Inval.into()),
    };
    let file = ctx.kernel.network().socket(family, protocol)?;
    insert_socket(ctx, file, nonblock)
}

/// `net_tls(fd, name, name_len, roots, roots_len, flags)`: asks the runtime
/// to speak TLS for `name` on the socket's egress connection, before it
/// connects; `roots` is PEM trusted beyond the bundled roots (may be empty);
/// flag [`TLS_NO_VERIFY`] skips the certificate check (curl's `-k`).
pub fn net_tls(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    name: u32,
    name_len: u32,
    roots: u32,
    roots_len: u32,
    flags: u32,
) -> SysResult<()> {
    if flags & !TLS_NO_VERIFY != 0 || roots_len > MAX_TLS_ROOTS {
        return Err(Errno::Inval.into());
    }
    let server_name = read_str(mem, name, name_len)?.to_string();
    let extra_roots_pem = mem.slice(roots, roots_len)?.to_vec();
    set_tls(ctx, fd, TlsRequest { server_name, extra_roots_pem, verify: flags & TLS_NO_VERIFY == 0 })
}

/// Asks for TLS on a socket, as `net_tls` and the door's `tls` do.
pub(crate) fn set_tls(ctx: &mut WasiCtx, fd: u32, tls: TlsRequest) -> SysResult<()> {
    let file = socket_file(ctx, fd)?;
    sock(&file)?.set_tls(tls)?;
    Ok(())
}

/// `net_bind(fd, addr, addr_len)`.
pub fn net_bind(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, addr: u32, len: u32) -> SysResult<()> {
    let file = socket_file(ctx, fd)?;
    let addr = read_addr(mem, addr, len)?.ok_or(Errno::AfNoSupport)?;
    sock(&file)?.bind(addr)?;
    Ok(())
}

/// `net_listen(fd, backlog)`.
pub fn net_listen(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, backlog: u32) -> SysResult<()> {
    let file = socket_file(ctx, fd)?;
    sock(&file)?.listen(backlog)?;
    Ok(())
}

/// `net_accept(fd, flags) -> (fd, peer address)`.
pub fn net_accept(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    out: u32,
    addr_buf: u32,
    addr_buf_len: u32,
    addr_len_out: u32,
) -> SysResult<()> {
    mem.slice(out, 4)?;
    check_addr_out(mem, addr_buf, addr_buf_len, addr_len_out)?;
    if flags & !NEW_NONBLOCK != 0 {
        return Err(Errno::Inval.into());
    }
    let (new_fd, peer) = accept_into_table(ctx, fd, flags & NEW_NONBLOCK != 0)?;
    mem.write_u32(out, new_fd)?;
    write_addr(mem, Some(peer), addr_buf, addr_buf_len, addr_len_out)
}

/// `net_connect(fd, addr, addr_len)`; `AF_UNSPEC` dissolves a datagram
/// socket's association.
pub fn net_connect(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, addr: u32, len: u32) -> SysResult<()> {
    let file = socket_file(ctx, fd)?;
    match read_addr(mem, addr, len)? {
        Some(dest) => sock(&file)?.connect(dest, nonblock(&file))?,
        None => sock(&file)?.disconnect()?,
    }
    Ok(())
}

/// `net_send(fd, buf, len, flags) -> sent`.
pub fn net_send(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    out: u32,
) -> SysResult<()> {
    net_sendto(ctx, mem, fd, buf, len, flags, 0, 0, out)
}

/// `net_sendto(fd, buf, len, flags, addr, addr_len) -> sent`; `addr_len`
/// 0 sends to the connected peer.
pub fn net_sendto(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    addr: u32,
    addr_len: u32,
    out: u32,
) -> SysResult<()> {
    mem.slice(out, 4)?;
    let (dontwait, nosignal) = send_flags(flags)?;
    let file = socket_file(ctx, fd)?;
    let dest = if addr_len == 0 { None } else { Some(read_addr(mem, addr, addr_len)?.ok_or(Errno::AfNoSupport)?) };
    let sent = match sock(&file)?.send_to(mem.slice(buf, len)?, dest, nonblock(&file) || dontwait) {
        Ok(sent) => sent,
        Err(err) => return Err(send_error(ctx, err, nosignal)),
    };
    mem.write_u32(out, sent as u32)?;
    Ok(())
}

/// `net_recv(fd, buf, len, flags) -> received`.
pub fn net_recv(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    out: u32,
) -> SysResult<()> {
    receive(ctx, mem, fd, buf, len, flags, out).map(drop)
}

/// `net_recvfrom(fd, buf, len, flags) -> (received, sender address)`.
pub fn net_recvfrom(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    out: u32,
    addr_buf: u32,
    addr_buf_len: u32,
    addr_len_out: u32,
) -> SysResult<()> {
    // Checked before anything is received, so a bad buffer loses no data.
    check_addr_out(mem, addr_buf, addr_buf_len, addr_len_out)?;
    let from = receive(ctx, mem, fd, buf, len, flags, out)?;
    write_addr(mem, from, addr_buf, addr_buf_len, addr_len_out)
}

/// What `net_recv` and `net_recvfrom` share: receives into `buf`, writes
/// the count to `out`, returns the sender.
fn receive(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    flags: u32,
    out: u32,
) -> SysResult<Option<SocketAddr>> {
    mem.slice(out, 4)?;
    let (flags, dontwait) = recv_flags(flags)?;
    let file = socket_file(ctx, fd)?;
    let got = sock(&file)?.recv_from(mem.slice_mut(buf, len)?, flags, nonblock(&file) || dontwait)?;
    mem.write_u32(out, got.len as u32)?;
    Ok(got.from)
}

/// `net_shutdown(fd, how)`.
pub fn net_shutdown(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, how: u32) -> SysResult<()> {
    let how = shutdown_how(how)?;
    let file = socket_file(ctx, fd)?;
    sock(&file)?.shutdown(how)?;
    Ok(())
}

/// `net_close(fd)`: closes a socket fd (`ENOTSOCK` for anything else).
pub fn net_close(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> SysResult<()> {
    socket_file(ctx, fd)?;
    ctx.fds.remove(fd)?;
    Ok(())
}

/// `net_getsockname(fd) -> address`.
pub fn net_getsockname(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    len_out: u32,
) -> SysResult<()> {
    let file = socket_file(ctx, fd)?;
    let addr = sock(&file)?.local_addr();
    write_addr(mem, Some(addr), buf, buf_len, len_out)
}

/// `net_getpeername(fd) -> address`.
pub fn net_getpeername(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    len_out: u32,
) -> SysResult<()> {
    let file = socket_file(ctx, fd)?;
    let addr = sock(&file)?.peer_addr()?;
    write_addr(mem, Some(addr), buf, buf_len, len_out)
}

/// `net_setsockopt(fd, option, value)`: `REUSEADDR` (1) or `NONBLOCK` (2).
pub fn net_setsockopt(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    option: u32,
    value: u32,
) -> SysResult<()> {
    let file = socket_file(ctx, fd)?;
    match option {
        OPT_REUSEADDR => sock(&file)?.set_reuse_addr(value != 0),
        OPT_NONBLOCK => file.set_status_flags(StatusFlags { nonblock: value != 0, ..file.status_flags() })?,
        _ => return Err(Errno::NoProtoOpt.into()),
    }
    Ok(())
}

/// `net_getaddrinfo(name, name_len, family) -> addresses`: writes up to
/// `count` records of [`ADDR_SIZE`] bytes (port 0) and the number found.
pub fn net_getaddrinfo(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    name: u32,
    name_len: u32,
    family: u32,
    buf: u32,
    count: u32,
    count_out: u32,
) -> SysResult<()> {
    mem.slice(count_out, 4)?;
    let size = count.checked_mul(ADDR_SIZE).ok_or(Errno::Inval)?;
    mem.slice(buf, size)?;
    let wanted = |ip: &IpAddr| match (u16::try_from(family), ip) {
        (Ok(AF_UNSPEC), _) | (Ok(AF_INET), IpAddr::V4(_)) | (Ok(AF_INET6), IpAddr::V6(_)) => Ok(true),
        (Ok(AF_INET | AF_INET6), _) => Ok(false),
        _ => Err(Errno::AfNoSupport),
    };
    let name = read_str(mem, name, name_len)?;
    let mut found = Vec::new();
    for ip in ctx.kernel.network().resolve(name)? {
        if wanted(&ip)? {
            found.push(ip);
        }
    }
    if found.is_empty() {
        return Err(Errno::NoEnt.into());
    }
    for (i, ip) in found.iter().take(count as usize).enumerate() {
        let (raw, _) = encode_addr(SocketAddr::new(*ip, 0));
        mem.write_bytes(buf + i as u32 * ADDR_SIZE, &raw)?;
    }
    mem.write_u32(count_out, found.len() as u32)?;
    Ok(())
}

/// The `revents` of one pollfd.
fn revents(ctx: &WasiCtx, fd: i32, events: u16) -> u16 {
    let Ok(fd) = u32::try_from(fd) else {
        return 0; // negative fds are ignored, as poll(2) does
    };
    let file = match ctx.fds.file(fd) {
        Ok(file) => file,
        Err(_) => return POLLNVAL,
    };
    let readiness = file.readiness();
    let mut ready = 0;
    if events & POLLIN != 0 && readiness.readable.is_some() {
        ready |= POLLIN;
    }
    if events & POLLOUT != 0 && readiness.writable.is_some() {
        ready |= POLLOUT;
    }
    if readiness.hangup {
        ready |= POLLHUP;
    }
    ready
}

/// `net_poll(fds, nfds, timeout_ms) -> ready`: poll(2) over `{fd: i32,
/// events: u16, revents: u16}` records; a negative timeout waits forever.
pub fn net_poll(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fds: u32,
    nfds: u32,
    timeout_ms: i32,
    out: u32,
) -> SysResult<()> {
    if nfds > MAX_POLL_FDS {
        return Err(Errno::Inval.into());
    }
    mem.slice(out, 4)?;
    let raw = mem.slice(fds, nfds * POLLFD_SIZE)?;
    let entries: Vec<(i32, u16)> = raw
        .chunks_exact(POLLFD_SIZE as usize)
        .map(|c| (i32::from_le_bytes([c[0], c[1], c[2], c[3]]), u16::from_le_bytes([c[4], c[5]])))
        .collect();
    let deadline = u64::try_from(timeout_ms).ok().map(|ms| Instant::now() + Duration::from_millis(ms));
    let mut backoff = Duration::from_micros(50);
    let results = loop {
        let results: Vec<u16> = entries.iter().map(|&(fd, events)| revents(ctx, fd, events)).collect();
        let now = Instant::now();
        if results.iter().any(|r| *r != 0) || deadline.is_some_and(|d| d <= now) {
            break results;
        }
        let mut wait = backoff;
        if let Some(deadline) = deadline {
            wait = wait.min(deadline.saturating_duration_since(now));
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
        ctx.control.sleep(wait)?;
    };
    for (i, ready) in results.iter().enumerate() {
        mem.write_bytes(fds + i as u32 * POLLFD_SIZE + 6, &ready.to_le_bytes())?;
    }
    let count = results.iter().filter(|r| **r != 0).count();
    mem.write_u32(out, count as u32)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_records_round_trip_in_wasi_libc_layout() {
        let v4: SocketAddr = "127.0.0.1:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        let v6: SocketAddr = "[::1]:443".parse().unwrap_or_else(|e| panic!("{e}"));
        let (raw, len) = encode_addr(v4);
        assert_eq!(len, 16);
        assert_eq!(&raw[..8], &[1, 0, 0x1f, 0x90, 127, 0, 0, 1]);
        let mut memory = raw.to_vec();
        let mem = GuestMemory::new(&mut memory);
        assert_eq!(read_addr(&mem, 0, len).ok().flatten(), Some(v4));
        let (raw, len) = encode_addr(v6);
        assert_eq!(len, 32);
        let mut memory = raw.to_vec();
        let mem = GuestMemory::new(&mut memory);
        assert_eq!(read_addr(&mem, 0, len).ok().flatten(), Some(v6));
        assert!(read_addr(&mem, 0, 20).is_err(), "an inet6 record needs 28 bytes");
    }

    #[test]
    fn unknown_families_and_short_records_are_errnos() {
        let mut memory = vec![9, 0, 0, 0, 0, 0, 0, 0];
        let mem = GuestMemory::new(&mut memory);
        assert!(matches!(read_addr(&mem, 0, 8), Err(crate::call::SysError::Errno(Errno::AfNoSupport))));
        assert!(matches!(read_addr(&mem, 0, 1), Err(crate::call::SysError::Errno(Errno::Inval))));
        let mut memory = vec![0, 0];
        let mem = GuestMemory::new(&mut memory);
        assert!(matches!(read_addr(&mem, 0, 2), Ok(None)));
    }
}
