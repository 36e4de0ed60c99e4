//! `capsa run` and `capsa exec` with network grants, as a user sees them:
//! `--publish` lets a host client reach a guest HTTP server (the C
//! `net_server`), and `--allow-net` decides whether a guest reaches a host
//! listener. Every host socket is on 127.0.0.1.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn capsa(cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_capsa"));
    cmd.arg("run").arg("--cache-dir").arg(cache);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A port that was free on the host's loopback a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port()
}

fn program(name: &str) -> &'static str {
    capsa_test_programs::ALL.iter().find(|(n, _)| *n == name).map(|(_, path)| *path).expect("a guest program")
}

#[test]
fn publish_lets_curl_reach_a_guest_http_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("server.out");
    let port = free_port();
    let mut server = capsa(&dir.path().join("cache"))
        .args(["--publish", &format!("{port}:8080"), "--stdout"])
        .arg(&out)
        .arg(capsa_test_programs::C_NET_SERVER)
        .args(["http", "8080", "20000"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capsa");
    let start = Instant::now();
    while !std::fs::read_to_string(&out).unwrap_or_default().contains("listening on 8080") {
        if start.elapsed() > Duration::from_secs(60) || server.try_wait().expect("try_wait").is_some() {
            let _ = server.kill();
            let output = server.wait_with_output().expect("wait");
            panic!("the server never listened: {}", text(&output.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    // curl if the machine has it, else a plain client.
    let response =
        match Command::new("curl").args(["-s", "--max-time", "20"]).arg(format!("http://127.0.0.1:{port}/")).output() {
            Ok(output) if output.status.success() => text(&output.stdout),
            _ => {
                let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
                stream.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("request");
                let mut response = String::new();
                stream.read_to_string(&mut response).expect("response");
                response
            }
        };
    assert!(response.contains("hello from capsa\n"), "{response:?}");
    let output = server.wait_with_output().expect("wait");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(std::fs::read_to_string(&out).expect("stdout").contains("served\n"));
}

/// The same through `capsa exec`: the server is a command of the shell's
/// command line, started from a mounted directory.
#[test]
fn exec_publishes_a_port_of_its_command_line() {
    common::warm_cache();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = dir.path().join("net_server");
    std::fs::copy(capsa_test_programs::C_NET_SERVER, &server).expect("copy the server");
    std::fs::set_permissions(&server, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let port = free_port();
    let mut capsa = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .arg("exec")
        .arg("--cache-dir")
        .arg(common::cache())
        .args(["--publish", &format!("{port}:8080"), "--mount"])
        .arg(format!("{}:/t:ro", dir.path().display()))
        .arg("cd /t && ./net_server http 8080 20000 && echo done")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capsa exec");
    let mut lines = BufReader::new(capsa.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert_eq!(first, "listening on 8080");
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    drop(stream);
    assert!(response.ends_with("hello from capsa\n"), "{response:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(rest, ["served", "ok", "done"]);
    assert!(capsa.wait().expect("wait").success());
}

#[test]
fn allow_net_decides_whether_a_guest_reaches_a_host_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("host listener");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).expect("read");
        (&stream).write_all(b"pong\n").expect("write");
    });
    let probe = |grant: Option<String>| -> Output {
        let mut cmd = capsa(&dir.path().join("cache"));
        if let Some(grant) = grant {
            cmd.args(["--allow-net", &grant]);
        }
        cmd.arg(program("net_probe")).args(["egress", "10.0.2.2", &port.to_string()]).output().expect("run capsa")
    };
    let denied = probe(None);
    assert!(text(&denied.stdout).contains("connect: errno 2\n"), "{}", text(&denied.stdout));
    let allowed = probe(Some(format!("127.0.0.1:{port}")));
    assert!(text(&allowed.stdout).contains("reply: pong\n"), "{}{}", text(&allowed.stdout), text(&allowed.stderr));
    server.join().expect("host server");

    let bad = capsa(&dir.path().join("cache")).args(["--allow-net", "nowhere"]).arg(program("net_probe")).output();
    let bad = bad.expect("run capsa");
    assert_eq!(bad.status.code(), Some(2), "a malformed grant is a usage error");
    assert!(text(&bad.stderr).contains("--allow-net \"nowhere\""), "{}", text(&bad.stderr));
}
