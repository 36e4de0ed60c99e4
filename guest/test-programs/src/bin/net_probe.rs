//! Connects from inside a VM and reports what happened, for the host tests
//! of isolation and egress:
//! - `net_probe isolated PORT`: nothing listens on `127.0.0.1:PORT` or
//!   `10.0.2.15:PORT` in this VM (another VM's server must not be seen):
//!   both connects are refused.
//! - `net_probe egress HOST PORT`: resolves HOST (an address or a granted
//!   name), connects, sends "ping\n" and prints the reply line as
//!   `reply: LINE`; a failure prints `resolve: errno N` or `connect: errno N`.
//!
//! Prints `ok` last.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{IpAddr, SocketAddr};

use test_programs::ok;
use wasi_ext::net::{TcpStream, lookup_host};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("isolated") => {
            let port: u16 = args[2].parse().expect("port");
            for ip in ["127.0.0.1", "10.0.2.15"] {
                let err = TcpStream::connect((ip.parse::<IpAddr>().expect("ip"), port)).expect_err("connected");
                assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{ip}:{port}: {err}");
            }
            println!("refused");
        }
        Some("egress") => {
            let port: u16 = args[3].parse().expect("port");
            let addrs = match args[2].parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => match lookup_host(&args[2], port) {
                    Ok(addrs) => addrs,
                    Err(e) => {
                        println!("resolve: errno {}", e.raw_os_error().unwrap_or(-1));
                        ok();
                        return;
                    }
                },
            };
            match TcpStream::connect(&addrs[..]) {
                Ok(mut stream) => {
                    stream.write_all(b"ping\n").expect("send");
                    let mut line = String::new();
                    BufReader::new(stream).read_line(&mut line).expect("reply");
                    println!("reply: {}", line.trim_end());
                }
                Err(e) => println!("connect: errno {}", e.raw_os_error().unwrap_or(-1)),
            }
        }
        other => panic!("unknown mode {other:?}"),
    }
    ok();
}
