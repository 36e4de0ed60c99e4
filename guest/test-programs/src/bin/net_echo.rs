//! The Rust side of the in-VM echo test: starts the C server
//! (`/t/net_server echo 7000`, built with the C header) as a child process,
//! connects to it over the VM's loopback with `wasi_ext::net::TcpStream`
//! (retrying while it is not listening yet), sends 32 KiB, shuts down
//! writing and checks the echo; then asks the same server, in HTTP mode on
//! port 7001, for a page. Also: a UDP round trip on the VM's own
//! address, `lookup_host`, and egress refused by default (EACCES).
//!
//! Host: grants `/t` with `net_server`, env `PATH=/t`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};

use test_programs::ok;
use wasi_ext::Command;
use wasi_ext::net::{TcpStream, UdpSocket, lookup_host};

const EACCES: i32 = 2;

/// Connects, retrying every 10 ms for up to 10 s (counted in attempts: the
/// clock is not granted) while the server is not listening yet.
fn connect_retrying(addr: SocketAddr) -> TcpStream {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match TcpStream::connect(addr) {
            Ok(stream) => return stream,
            Err(e) if e.kind() == ErrorKind::ConnectionRefused && attempts < 1000 => {
                wasi_ext::sleep_ms(10).expect("sleep");
            }
            Err(e) => panic!("connect {addr}: {e}"),
        }
    }
}

fn main() {
    wasi_ext::init().expect("init");
    let mut server = Command::new("/t/net_server").args(["echo", "7000"]).spawn().expect("spawn net_server");

    let addr: SocketAddr = "127.0.0.1:7000".parse().expect("addr");
    let mut stream = connect_retrying(addr);
    assert_eq!(stream.peer_addr().expect("peer"), addr);
    assert!(stream.local_addr().expect("local").ip().is_loopback());
    let payload: Vec<u8> = (0..32 * 1024).map(|i| (i % 251) as u8).collect();
    stream.write_all(&payload).expect("send");
    stream.shutdown(Shutdown::Write).expect("shutdown");
    let mut echoed = Vec::new();
    stream.read_to_end(&mut echoed).expect("read echo");
    assert_eq!(echoed.len(), payload.len());
    assert!(echoed == payload, "the echo differs");
    drop(stream);
    let status = server.wait().expect("wait");
    assert!(status.success(), "net_server: {status}");
    println!("echo: {} bytes", echoed.len());

    // The same C server speaking HTTP, asked by this Rust client.
    let mut server = Command::new("/t/net_server").args(["http", "7001"]).spawn().expect("spawn net_server http");
    let mut stream = connect_retrying("127.0.0.1:7001".parse().expect("addr"));
    stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    assert!(response.starts_with("HTTP/1.0 200 OK\r\n"), "{response:?}");
    assert!(response.ends_with("\r\n\r\nhello from capsa\n"), "{response:?}");
    // The server drains until the client closes, as after an HTTP/1.0 reply.
    drop(stream);
    let status = server.wait().expect("wait");
    assert!(status.success(), "net_server http: {status}");
    println!("http: 200 from the C server");

    // UDP on the VM's own address.
    let a = UdpSocket::bind("10.0.2.15:0").expect("bind a");
    let b = UdpSocket::bind("10.0.2.15:0").expect("bind b");
    a.send_to(b"datagram", b.local_addr().expect("b addr")).expect("send_to");
    let mut buf = [0u8; 64];
    let (n, from) = b.recv_from(&mut buf).expect("recv_from");
    assert_eq!((&buf[..n], from), (&b"datagram"[..], a.local_addr().expect("a addr")));

    // Names: localhost is the VM's loopback; nothing else is granted.
    let local = lookup_host("localhost", 80).expect("localhost");
    assert!(local.contains(&"127.0.0.1:80".parse().expect("addr")), "{local:?}");
    let denied = lookup_host("example.org", 443).expect_err("example.org resolved");
    assert_eq!(denied.raw_os_error(), Some(EACCES), "{denied}");

    // Egress is denied by default.
    let err = TcpStream::connect("192.0.2.1:80").expect_err("egress connected");
    assert_eq!(err.raw_os_error(), Some(EACCES), "{err}");
    ok();
}
