//! The in-VM network: TCP echo, backlog, address conflicts, refusals,
//! shutdown and reset, UDP boundaries and filtering, isolation between VMs,
//! egress refusal and audit, kills of blocked waits, and the limits.

use std::net::{Ipv6Addr, Shutdown, SocketAddr};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use capsa_kernel::control::clear_current;
use capsa_kernel::net::{EgressPolicy, EgressRequest, ExternalConn, RecvFlags, TlsRequest, Verdict};
use capsa_kernel::{
    Family, FileType, KernelError, KillReason, NetConfig, Network, OpenFile, ProcessControl, Protocol, Socket,
    StatusFlags, set_current,
};

fn net() -> Arc<Network> {
    Network::new(NetConfig::default())
}

fn lo(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn sock(file: &OpenFile) -> &Socket {
    file.socket().expect("a socket")
}

fn tcp(net: &Arc<Network>) -> Arc<OpenFile> {
    net.socket(Family::Inet, Protocol::Tcp).expect("socket")
}

fn udp(net: &Arc<Network>) -> Arc<OpenFile> {
    net.socket(Family::Inet, Protocol::Udp).expect("socket")
}

fn listener(net: &Arc<Network>, addr: SocketAddr, backlog: u32) -> Arc<OpenFile> {
    let file = tcp(net);
    sock(&file).bind(addr).expect("bind");
    sock(&file).listen(backlog).expect("listen");
    file
}

/// A connected pair: (client, accepted server side).
fn pair(net: &Arc<Network>, port: u16) -> (Arc<OpenFile>, Arc<OpenFile>, Arc<OpenFile>) {
    let server = listener(net, lo(port), 4);
    let client = tcp(net);
    sock(&client).connect(lo(port), false).expect("connect");
    let (accepted, _) = sock(&server).accept(false).expect("accept");
    (client, accepted, server)
}

fn nonblocking(file: &OpenFile) {
    file.set_status_flags(StatusFlags { nonblock: true, ..StatusFlags::default() }).expect("flags");
}

fn read_to_end(file: &OpenFile) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn echo_over_tcp_between_two_threads() {
    let net = net();
    let server = listener(&net, lo(7000), 8);
    assert_eq!(server.file_type(), FileType::SocketStream);
    let echo = thread::spawn(move || {
        let (conn, peer) = sock(&server).accept(false).expect("accept");
        let mut buf = [0u8; 1000];
        loop {
            let n = conn.read(&mut buf).expect("server read");
            if n == 0 {
                break;
            }
            assert_eq!(conn.write(&buf[..n]).expect("server write"), n);
        }
        (peer, sock(&conn).local_addr(), sock(&conn).peer_addr().expect("peer"))
    });
    let client = tcp(&net);
    sock(&client).connect(lo(7000), false).expect("connect");
    let local = sock(&client).local_addr();
    assert_eq!(local.ip(), lo(0).ip());
    assert!((32768..=60999).contains(&local.port()), "{local}");
    assert_eq!(sock(&client).peer_addr().expect("peer"), lo(7000));

    // More than both buffers together, so both sides block on the way.
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let (client, data) = (client.clone(), data.clone());
        thread::spawn(move || {
            assert_eq!(sock(&client).send_to(&data, None, false).expect("send"), data.len());
            sock(&client).shutdown(Shutdown::Write).expect("shutdown");
        })
    };
    assert_eq!(read_to_end(&client), data);
    writer.join().expect("writer");
    let (peer, server_local, server_peer) = echo.join().expect("echo");
    assert_eq!(peer, local);
    assert_eq!(server_peer, local);
    assert_eq!(server_local, lo(7000));
    assert!(client.readiness().hangup, "peer closed and our side shut: hangup");
}

#[test]
fn a_full_backlog_holds_connects_until_accept_makes_room() {
    let net = net();
    // Backlog 1 holds two connections, as Linux counts it.
    let server = listener(&net, lo(7001), 1);
    assert_eq!(server.readiness().readable, None);
    let a = tcp(&net);
    let b = tcp(&net);
    sock(&a).connect(lo(7001), true).expect("a");
    sock(&b).connect(lo(7001), true).expect("b");
    assert_eq!(server.readiness().readable, Some(2));
    let c = tcp(&net);
    assert_eq!(sock(&c).connect(lo(7001), true), Err(KernelError::InProgress));
    assert_eq!(sock(&c).connect(lo(7001), true), Err(KernelError::Already));
    assert_eq!(c.readiness().writable, None);
    assert_eq!(sock(&c).peer_addr(), Err(KernelError::NotConnected));

    // A blocking connect waits for room.
    let d = tcp(&net);
    let blocked = {
        let d = d.clone();
        thread::spawn(move || sock(&d).connect(lo(7001), false))
    };
    thread::sleep(Duration::from_millis(60));
    assert!(!blocked.is_finished());

    let (first, _) = sock(&server).accept(false).expect("accept");
    let (second, _) = sock(&server).accept(false).expect("accept");
    // `c` completes when polled, `d` by itself.
    assert!(c.readiness().writable.is_some());
    assert_eq!(sock(&c).peer_addr(), Ok(lo(7001)));
    assert_eq!(sock(&c).take_error(), None);
    assert_eq!(blocked.join().expect("join"), Ok(()));
    drop((first, second));
}

#[test]
fn ports_in_use_and_reuse_addr() {
    let net = net();
    let a = tcp(&net);
    sock(&a).bind(lo(7002)).expect("bind");
    let b = tcp(&net);
    assert_eq!(sock(&b).bind(lo(7002)), Err(KernelError::AddrInUse));
    let any = SocketAddr::from(([0, 0, 0, 0], 7002));
    assert_eq!(sock(&b).bind(any), Err(KernelError::AddrInUse), "0.0.0.0 overlaps 127.0.0.1");
    let any6 = net.socket(Family::Inet6, Protocol::Tcp).expect("socket");
    assert_eq!(
        sock(&any6).bind(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 7002))),
        Err(KernelError::AddrInUse),
        ":: is dual stack"
    );
    sock(&any6).bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 7002))).expect("::1 is another address");
    assert_eq!(sock(&b).bind(SocketAddr::from(([192, 0, 2, 1], 80))), Err(KernelError::AddrNotAvailable));
    sock(&b).bind(SocketAddr::from(([10, 0, 2, 15], 7002))).expect("the VM's own address");
    drop(a);
    let a = tcp(&net);
    sock(&a).bind(lo(7002)).expect("free again after close");

    // Two SO_REUSEADDR sockets share an address until one listens.
    let r1 = tcp(&net);
    let r2 = tcp(&net);
    sock(&r1).set_reuse_addr(true);
    sock(&r2).set_reuse_addr(true);
    sock(&r1).bind(lo(7003)).expect("bind");
    sock(&r2).bind(lo(7003)).expect("shared");
    sock(&r1).listen(4).expect("listen");
    assert_eq!(sock(&r2).listen(4), Err(KernelError::AddrInUse));
    let r3 = tcp(&net);
    sock(&r3).set_reuse_addr(true);
    assert_eq!(sock(&r3).bind(lo(7003)), Err(KernelError::AddrInUse), "a listener is never shared");

    // A restarted server: connections of the old listener hold the port.
    let (client, accepted, server) = {
        let server = tcp(&net);
        sock(&server).set_reuse_addr(true);
        sock(&server).bind(lo(7004)).expect("bind");
        sock(&server).listen(4).expect("listen");
        let client = tcp(&net);
        sock(&client).connect(lo(7004), false).expect("connect");
        let (accepted, _) = sock(&server).accept(false).expect("accept");
        (client, accepted, server)
    };
    drop(server);
    let plain = tcp(&net);
    assert_eq!(sock(&plain).bind(lo(7004)), Err(KernelError::AddrInUse));
    let reusing = tcp(&net);
    sock(&reusing).set_reuse_addr(true);
    sock(&reusing).bind(lo(7004)).expect("SO_REUSEADDR rebinds");
    sock(&reusing).listen(4).expect("and listens");
    drop((client, accepted));
}

#[test]
fn connecting_where_nobody_listens_is_refused() {
    let net = net();
    let client = tcp(&net);
    assert_eq!(sock(&client).connect(lo(7005), false), Err(KernelError::ConnectionRefused));
    let bound = tcp(&net);
    sock(&bound).bind(lo(7006)).expect("bind");
    assert_eq!(sock(&bound).connect(lo(7005), false), Err(KernelError::ConnectionRefused));
    assert_eq!(sock(&bound).local_addr(), lo(7006), "an explicit binding survives");
    let server = listener(&net, lo(7005), 4);
    sock(&client).connect(lo(7005), false).expect("a failed socket may try again");
    drop(server);
    let late = tcp(&net);
    assert_eq!(sock(&late).connect(lo(7005), false), Err(KernelError::ConnectionRefused));
    // The unspecified address means loopback; a bound socket still listens.
    let _server = listener(&net, SocketAddr::from(([0, 0, 0, 0], 7007)), 4);
    sock(&late).connect(SocketAddr::from(([0, 0, 0, 0], 7007)), false).expect("0.0.0.0 is loopback");
    let vm = tcp(&net);
    sock(&vm).connect(SocketAddr::from(([10, 0, 2, 15], 7007)), false).expect("the VM address reaches 0.0.0.0");
    assert_eq!(sock(&vm).local_addr().ip(), SocketAddr::from(([10, 0, 2, 15], 0)).ip());
}

#[test]
fn shutdown_gives_eof_and_close_with_unread_data_resets() {
    let net = net();
    let (client, server, _l) = pair(&net, 7010);
    client.write(b"request").expect("write");
    sock(&client).shutdown(Shutdown::Write).expect("shutdown");
    assert_eq!(client.write(b"more"), Err(KernelError::BrokenPipe));
    assert_eq!(read_to_end(&server), b"request");
    server.write(b"reply").expect("the other direction still works");
    drop(server);
    assert_eq!(read_to_end(&client), b"reply");
    assert_eq!(client.write(b"x"), Err(KernelError::BrokenPipe));
    assert!(client.readiness().hangup);

    // Closing with bytes unread resets the peer.
    let (client, server, _l) = pair(&net, 7011);
    server.write(b"last words").expect("write");
    client.write(b"never read").expect("write");
    drop(server);
    let mut buf = [0u8; 64];
    assert_eq!(client.read(&mut buf), Ok(10), "what was sent is still read");
    assert_eq!(client.read(&mut buf), Err(KernelError::ConnectionReset));
    assert_eq!(client.read(&mut buf), Ok(0));
    assert_eq!(client.write(b"x"), Err(KernelError::ConnectionReset));
    assert_eq!(client.write(b"x"), Err(KernelError::BrokenPipe));

    // Shutting down reading: reads stop blocking.
    let (client, _server, _l) = pair(&net, 7012);
    sock(&client).shutdown(Shutdown::Read).expect("shutdown");
    assert_eq!(client.read(&mut buf), Ok(0));
    let lone = tcp(&net);
    assert_eq!(sock(&lone).shutdown(Shutdown::Both), Err(KernelError::NotConnected));
    assert_eq!(lone.read(&mut buf), Err(KernelError::NotConnected));
    assert_eq!(lone.write(b"x"), Err(KernelError::BrokenPipe), "as Linux: EPIPE");
}

#[test]
fn peek_waitall_and_nonblocking_receive() {
    let net = net();
    let (client, server, l) = pair(&net, 7013);
    nonblocking(&server);
    let mut buf = [0u8; 8];
    assert_eq!(server.read(&mut buf), Err(KernelError::WouldBlock));
    nonblocking(&l);
    assert_eq!(sock(&l).accept(true).err(), Some(KernelError::WouldBlock));
    client.write(b"abcdef").expect("write");
    let peek = RecvFlags { peek: true, ..RecvFlags::default() };
    assert_eq!(sock(&server).recv_from(&mut buf, peek, true).expect("peek").len, 6);
    assert_eq!(sock(&server).recv_from(&mut buf[..2], RecvFlags::default(), true).expect("recv").len, 2);
    assert_eq!(&buf[..2], b"ab");
    let writer = {
        let client = client.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            client.write(b"ghij").expect("write")
        })
    };
    let waitall = RecvFlags { waitall: true, ..RecvFlags::default() };
    let got = sock(&server).recv_from(&mut buf, waitall, false).expect("waitall");
    assert_eq!(got.len, 8);
    assert_eq!(&buf, b"cdefghij");
    writer.join().expect("writer");
}

#[test]
fn udp_keeps_message_boundaries_and_filters_by_peer() {
    let net = net();
    let rx = udp(&net);
    assert_eq!(rx.file_type(), FileType::SocketDgram);
    sock(&rx).bind(lo(7020)).expect("bind");
    let tx = udp(&net);
    sock(&tx).send_to(b"one", Some(lo(7020)), false).expect("send");
    sock(&tx).send_to(b"", Some(lo(7020)), false).expect("send empty");
    sock(&tx).send_to(b"three", Some(lo(7020)), false).expect("send");
    let from = sock(&tx).local_addr();
    assert_eq!(from.ip(), SocketAddr::from(([0, 0, 0, 0], 0)).ip(), "autobound to the unspecified address");
    assert_eq!(rx.readiness().readable, Some(3));
    let mut buf = [0u8; 64];
    let got = sock(&rx).recv_from(&mut buf, RecvFlags::default(), false).expect("recv");
    assert_eq!((got.len, got.from, got.truncated), (3, Some(lo(from.port())), false));
    assert_eq!(sock(&rx).recv_from(&mut buf, RecvFlags::default(), false).expect("recv").len, 0);
    let got = sock(&rx).recv_from(&mut buf[..2], RecvFlags::default(), false).expect("recv");
    assert_eq!((got.len, got.truncated, &buf[..2]), (2, true, &b"th"[..]), "the rest is discarded");
    assert_eq!(sock(&rx).recv_from(&mut buf, RecvFlags::default(), true), Err(KernelError::WouldBlock));

    // Connected: only the peer's datagrams are received; write needs a peer.
    let other = udp(&net);
    assert_eq!(other.write(b"x"), Err(KernelError::DestAddrRequired));
    sock(&rx).connect(lo(from.port()), false).expect("connect");
    sock(&other).send_to(b"stranger", Some(lo(7020)), false).expect("send");
    sock(&tx).send_to(b"friend", Some(lo(7020)), false).expect("send");
    let got = sock(&rx).recv_from(&mut buf, RecvFlags::default(), false).expect("recv");
    assert_eq!(&buf[..got.len], b"friend");
    assert_eq!(sock(&rx).peer_addr(), Ok(lo(from.port())));

    // Too large for the network.
    assert_eq!(sock(&tx).send_to(&vec![0u8; 65_508], Some(lo(7020)), false), Err(KernelError::MessageSize));
    // Two sockets on one port without SO_REUSEADDR.
    let clash = udp(&net);
    assert_eq!(sock(&clash).bind(lo(7020)), Err(KernelError::AddrInUse));
    assert_eq!(sock(&clash).listen(1), Err(KernelError::NotSupported));
}

#[test]
fn udp_to_a_closed_port_refuses_a_connected_sender_and_full_queues_drop() {
    let net = Network::new(NetConfig { dgram_queue: 1000, ..NetConfig::default() });
    let tx = udp(&net);
    sock(&tx).connect(lo(7021), false).expect("connect");
    tx.write(b"anyone?").expect("the send itself succeeds");
    assert_eq!(tx.write(b"again"), Err(KernelError::ConnectionRefused), "the ICMP error, reported once");
    tx.write(b"again").expect("then sends go on");
    assert_eq!(sock(&tx).take_error(), Some(KernelError::ConnectionRefused));

    let rx = udp(&net);
    sock(&rx).bind(lo(7022)).expect("bind");
    for _ in 0..20 {
        sock(&tx).send_to(&[7u8; 100], Some(lo(7022)), false).expect("send never fails on a full queue");
    }
    let Socket::Udp(inner) = sock(&rx) else { panic!("udp") };
    assert_eq!(inner.dropped(), 14, "1000 bytes hold six datagrams of 100 + 64");
    assert_eq!(net.buffered_bytes(), 6 * 164);
    drop(rx);
    assert_eq!(net.buffered_bytes(), 0);
}

#[test]
fn two_vms_cannot_see_each_other() {
    let a = net();
    let b = net();
    let _la = listener(&a, lo(8080), 4);
    let _va = listener(&a, SocketAddr::from(([10, 0, 2, 15], 80)), 4);
    let client = tcp(&b);
    assert_eq!(sock(&client).connect(lo(8080), false), Err(KernelError::ConnectionRefused));
    assert_eq!(
        sock(&client).connect(SocketAddr::from(([10, 0, 2, 15], 80)), false),
        Err(KernelError::ConnectionRefused),
        "the same address is B's own"
    );
    let same_port = listener(&b, lo(8080), 4);
    drop(same_port);
    let urx = udp(&a);
    sock(&urx).bind(lo(5353)).expect("bind");
    let utx = udp(&b);
    sock(&utx).send_to(b"hello?", Some(lo(5353)), false).expect("send");
    let mut buf = [0u8; 8];
    assert_eq!(sock(&urx).recv_from(&mut buf, RecvFlags::default(), true), Err(KernelError::WouldBlock));
    assert!(a.audit_log().is_empty() && b.audit_log().is_empty(), "nothing left either VM");
}

#[derive(Debug)]
struct Fixed(Verdict);

impl EgressPolicy for Fixed {
    fn check(&self, _request: &EgressRequest) -> Verdict {
        self.0
    }
}

#[test]
fn egress_is_refused_and_audited() {
    let net = net();
    let outside = SocketAddr::from(([93, 184, 216, 34], 443));
    let client = tcp(&net);
    assert_eq!(sock(&client).connect(outside, false), Err(KernelError::AccessDenied));
    assert_eq!(sock(&client).local_addr().port(), 0, "nothing was bound");
    let dns = udp(&net);
    let resolver = SocketAddr::from(([8, 8, 8, 8], 53));
    assert_eq!(sock(&dns).send_to(b"q", Some(resolver), false), Err(KernelError::AccessDenied));
    assert_eq!(sock(&dns).connect(resolver, false), Err(KernelError::AccessDenied));
    let log = net.audit_log();
    assert_eq!(log.len(), 3);
    assert_eq!((log[0].request.protocol, log[0].request.dest), (Protocol::Tcp, outside));
    assert_eq!((log[0].verdict, &log[0].error), (Verdict::Deny, &KernelError::AccessDenied));
    assert_eq!((log[1].request.protocol, log[1].request.dest, log[1].seq), (Protocol::Udp, resolver, 1));

    for (verdict, errno) in
        [(Verdict::Refuse, KernelError::ConnectionRefused), (Verdict::Allow, KernelError::ConnectionRefused)]
    {
        let config = NetConfig { egress: Arc::new(Fixed(verdict)), audit_capacity: 2, ..NetConfig::default() };
        let net = Network::new(config);
        let client = tcp(&net);
        for _ in 0..3 {
            assert_eq!(sock(&client).connect(outside, false), Err(errno.clone()));
        }
        assert_eq!(net.audit_log().len(), 2, "the log is bounded");
        assert_eq!(net.audit_dropped(), 1);
        assert_eq!(net.audit_log()[1].verdict, verdict);
    }
}

/// Allows everything and keeps the outside ends it is handed, and the TLS
/// each was asked to speak.
#[derive(Debug, Default)]
struct Carrier(std::sync::Mutex<Vec<ExternalConn>>, std::sync::Mutex<Vec<Option<TlsRequest>>>);

impl EgressPolicy for Carrier {
    fn check(&self, _request: &EgressRequest) -> Verdict {
        Verdict::Allow
    }

    fn open(&self, _request: &EgressRequest, conn: ExternalConn, tls: Option<&TlsRequest>) -> Result<(), KernelError> {
        self.0.lock().expect("lock").push(conn);
        self.1.lock().expect("lock").push(tls.cloned());
        Ok(())
    }
}

#[test]
fn tls_is_asked_of_the_egress_policy_before_the_connect_and_only_there() {
    let carrier = Arc::new(Carrier::default());
    let net = Network::new(NetConfig { egress: carrier.clone(), ..NetConfig::default() });
    let tls = TlsRequest { server_name: "example.org".into(), extra_roots_pem: Vec::new(), verify: true };
    let client = tcp(&net);
    sock(&client).set_tls(tls.clone()).expect("set_tls");
    sock(&client).connect(SocketAddr::from(([192, 0, 2, 1], 443)), false).expect("connect");
    assert_eq!(carrier.1.lock().expect("lock").pop(), Some(Some(tls.clone())));
    assert_eq!(sock(&client).set_tls(tls.clone()), Err(KernelError::IsConnected));
    // Inside the VM a server speaks its own TLS, if any.
    let listener = tcp(&net);
    sock(&listener).bind(lo(7443)).expect("bind");
    sock(&listener).listen(4).expect("listen");
    let local = tcp(&net);
    sock(&local).set_tls(tls.clone()).expect("set_tls");
    assert_eq!(sock(&local).connect(lo(7443), false), Err(KernelError::NotSupported));
    let datagram = udp(&net);
    assert_eq!(sock(&datagram).set_tls(tls), Err(KernelError::NotSupported));
}

#[test]
fn an_allowed_connect_is_carried_by_the_policy() {
    let carrier = Arc::new(Carrier::default());
    let net = Network::new(NetConfig { egress: carrier.clone(), ..NetConfig::default() });
    let outside = SocketAddr::from(([192, 0, 2, 1], 80));
    let client = tcp(&net);
    sock(&client).connect(outside, false).expect("connect");
    assert_eq!(sock(&client).peer_addr(), Ok(outside));
    assert_eq!(sock(&client).local_addr().ip(), std::net::IpAddr::from([10, 0, 2, 15]));
    let conn = carrier.0.lock().expect("lock").pop().expect("an outside end");
    assert_eq!(client.write(b"request"), Ok(7));
    let mut buf = [0u8; 16];
    assert_eq!(conn.read(&mut buf), Ok(7));
    assert_eq!(&buf[..7], b"request");
    assert_eq!(conn.write(b"reply"), Ok(5));
    conn.shutdown_write();
    assert_eq!(read_to_end(&client), b"reply");
    assert!(!conn.guest_gone());
    drop(client);
    assert_eq!(conn.read(&mut buf), Ok(0), "EOF once the guest closed");
    assert!(conn.guest_gone());
    assert!(net.audit_log().is_empty(), "allowed connections are not refusals");
}

#[test]
fn inject_brings_an_outside_connection_to_a_listener() {
    let net = net();
    let remote = SocketAddr::from(([10, 0, 2, 2], 40000));
    assert_eq!(net.inject(8080, remote).err(), Some(KernelError::ConnectionRefused), "nothing listens");
    let server = listener(&net, SocketAddr::from(([0, 0, 0, 0], 8080)), 1);
    let conn = net.inject(8080, remote).expect("inject");
    let (accepted, peer) = sock(&server).accept(false).expect("accept");
    assert_eq!(peer, remote);
    assert_eq!(sock(&accepted).local_addr(), SocketAddr::from(([10, 0, 2, 15], 8080)));
    assert_eq!(conn.write(b"GET /"), Ok(5));
    let mut buf = [0u8; 8];
    assert_eq!(accepted.read(&mut buf), Ok(5));
    assert_eq!(accepted.write(b"200"), Ok(3));
    assert_eq!(conn.read(&mut buf), Ok(3));
    // The backlog (1, so 2 as Linux counts) fills; injecting never waits.
    let _queued: Vec<ExternalConn> = (0..2).map(|_| net.inject(8080, remote).expect("queued")).collect();
    assert_eq!(net.inject(8080, remote).err(), Some(KernelError::ConnectionRefused), "backlog full");
    // Loopback-only listeners are reached too.
    let _lo = listener(&net, lo(9090), 1);
    assert!(net.inject(9090, remote).is_ok());
}

/// Runs `op` as a process on another thread, kills that process once the
/// call has blocked, and returns what the call returned.
fn killed_while_blocked(
    op: impl FnOnce() -> Result<usize, KernelError> + Send + 'static,
) -> Result<usize, KernelError> {
    let control = Arc::new(ProcessControl::new(None));
    let waiter = {
        let control = control.clone();
        thread::spawn(move || {
            set_current(control);
            let result = op();
            clear_current();
            result
        })
    };
    thread::sleep(Duration::from_millis(60));
    assert!(!waiter.is_finished(), "the call blocks");
    control.kill(KillReason::Signal(9));
    waiter.join().expect("join")
}

#[test]
fn a_kill_wakes_blocked_accept_recv_connect_and_send() {
    let net = net();
    let server = listener(&net, lo(7030), 0);
    let accepting = server.clone();
    let interrupted = Err(KernelError::Interrupted);
    assert_eq!(killed_while_blocked(move || sock(&accepting).accept(false).map(|_| 0)), interrupted);
    let (client, _accepted, _l) = pair(&net, 7031);
    assert_eq!(killed_while_blocked(move || client.read(&mut [0u8; 8])), interrupted);
    let rx = udp(&net);
    sock(&rx).bind(lo(7032)).expect("bind");
    let receive = move || sock(&rx).recv_from(&mut [0u8; 8], RecvFlags::default(), false).map(|got| got.len);
    assert_eq!(killed_while_blocked(receive), interrupted);
    // Backlog 0 holds one connection; the second connect waits.
    let first = tcp(&net);
    sock(&first).connect(lo(7030), false).expect("first");
    let second = tcp(&net);
    assert_eq!(killed_while_blocked(move || sock(&second).connect(lo(7030), false).map(|()| 0)), interrupted);
    // A send cut short returns what went in, as a pipe write does.
    let (client, _accepted, _l) = pair(&net, 7033);
    assert_eq!(killed_while_blocked(move || client.write(&vec![0u8; 200_000])), Ok(64 * 1024));
    // A deadline counts as a kill too.
    let (client, _accepted, _l) = pair(&net, 7034);
    set_current(Arc::new(ProcessControl::new(Some(std::time::Instant::now()))));
    assert_eq!(client.read(&mut [0u8; 8]), interrupted);
    clear_current();
}

#[test]
fn socket_count_limit() {
    let net = Network::new(NetConfig { max_sockets: 3, ..NetConfig::default() });
    let server = listener(&net, lo(7040), 8);
    let client = tcp(&net);
    sock(&client).connect(lo(7040), false).expect("the waiting server side takes the third slot");
    assert_eq!(net.socket_count(), 3);
    assert_eq!(net.socket(Family::Inet, Protocol::Udp).err(), Some(KernelError::TooManyFiles));
    let (accepted, _) = sock(&server).accept(false).expect("accept");
    assert_eq!(net.socket_count(), 3, "accepting moves the slot");
    drop(accepted);
    let extra = tcp(&net);
    assert_eq!(net.socket_count(), 3);
    assert_eq!(sock(&extra).connect(lo(7040), true), Err(KernelError::InProgress), "no slot for a server side");
    drop((extra, client));
    assert_eq!(net.socket_count(), 1);
}

#[test]
fn buffered_bytes_limit() {
    let net = Network::new(NetConfig { max_buffered: 100_000, ..NetConfig::default() });
    let (c1, a1, _l1) = pair(&net, 7041);
    let (c2, a2, _l2) = pair(&net, 7042);
    nonblocking(&c1);
    nonblocking(&c2);
    // One connection fills its 64 KiB; the next only gets what the VM has left.
    assert_eq!(c1.write(&vec![1u8; 70_000]), Ok(65_536));
    assert_eq!(c2.write(&vec![2u8; 70_000]), Ok(100_000 - 65_536));
    assert_eq!(c2.write(b"x"), Err(KernelError::WouldBlock));
    assert_eq!(net.buffered_bytes(), 100_000);
    let mut buf = vec![0u8; 1000];
    assert_eq!(a1.read(&mut buf), Ok(1000));
    assert_eq!(c2.write(&vec![2u8; 5000]), Ok(1000));
    drop((c1, a1, c2, a2));
    assert_eq!(net.buffered_bytes(), 0, "closing frees what was buffered");
}

#[test]
fn sockets_are_open_files_and_ipv6_is_dual_stack() {
    let net = net();
    let (read_end, _) = OpenFile::pipe(&capsa_kernel::Budget::new(capsa_kernel::BudgetLimits::UNLIMITED)).unwrap();
    assert_eq!(read_end.socket().err(), Some(KernelError::NotSocket));
    let s = tcp(&net);
    let stat = s.stat().expect("stat");
    assert_eq!((stat.file_type, stat.mode), (FileType::SocketStream, 0o777));
    assert!(s.readiness().hangup, "an unconnected socket polls as hangup");
    assert_eq!(s.seek(std::io::SeekFrom::Start(0)), Err(KernelError::IllegalSeek));
    assert_eq!(sock(&s).bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 1))), Err(KernelError::AddrFamily));

    let server = net.socket(Family::Inet6, Protocol::Tcp).expect("socket");
    sock(&server).bind(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 7050))).expect("bind");
    sock(&server).listen(4).expect("listen");
    let v4 = tcp(&net);
    sock(&v4).connect(lo(7050), false).expect("a v4 client reaches ::");
    let (conn, peer) = sock(&server).accept(false).expect("accept");
    let mapped: SocketAddr = format!("[::ffff:127.0.0.1]:{}", sock(&v4).local_addr().port()).parse().expect("addr");
    assert_eq!(peer, mapped);
    assert_eq!(sock(&conn).local_addr(), "[::ffff:127.0.0.1]:7050".parse::<SocketAddr>().expect("addr"));
    let v6 = net.socket(Family::Inet6, Protocol::Tcp).expect("socket");
    sock(&v6).connect(SocketAddr::from((Ipv6Addr::LOCALHOST, 7050)), false).expect("v6 client");
    assert_eq!(sock(&v6).local_addr().ip(), Ipv6Addr::LOCALHOST);
}
