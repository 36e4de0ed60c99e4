//! Floods the VM's network and checks the limits stop it: sockets until
//! `EMFILE` (the VM's 256-socket limit, below the fd table's 1024), then a
//! writer that never gets read, which `EAGAIN`s once the connection's
//! 64 KiB buffer is full. Prints `sockets: N` and `buffered: N`.

use std::io::{ErrorKind, Write};

use test_programs::ok;
use wasi_ext::net::{TcpListener, TcpStream, UdpSocket};

const EMFILE: i32 = 33;

fn main() {
    let mut sockets = Vec::new();
    let err = loop {
        match UdpSocket::bind("127.0.0.1:0") {
            Ok(socket) => sockets.push(socket),
            Err(e) => break e,
        }
        assert!(sockets.len() <= 4096, "no limit stopped the flood");
    };
    assert_eq!(err.raw_os_error(), Some(EMFILE), "{err}");
    println!("sockets: {}", sockets.len());
    drop(sockets);

    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (_server, _) = listener.accept().expect("accept");
    client.set_nonblocking(true).expect("nonblocking");
    let chunk = [7u8; 4096];
    let mut total = 0usize;
    loop {
        match client.write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
        assert!(total <= 16 << 20, "no limit stopped the writer");
    }
    println!("buffered: {total}");
    ok();
}
