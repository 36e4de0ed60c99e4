//! The network suite: guests on the VM's own network (an echo server in C
//! and a Rust client in one VM, UDP, name lookups), isolation between VMs,
//! the socket and buffer limits, egress to a host listener on loopback only
//! when granted (with the refusal in the VM's audit log), and a guest HTTP
//! server reached from the host through a published port. Every host socket
//! here is on 127.0.0.1.
//!
//! A guest program of the `net` area without a test here is a build error
//! (see the end of the file).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::common::{assert_ok, config, describe, grant, program, run_ok, runtime};
use capsa_kernel::net::Verdict;
use capsa_runtime::{NetAllow, Outcome, Output, Publish, VmConfig};

/// `/t` with the C server as `net_server`, granted read-only, `PATH=/t`.
fn with_server(dir: &tempfile::TempDir) -> VmConfig {
    let path = dir.path().join("net_server");
    std::fs::write(&path, std::fs::read(capsa_test_programs::C_NET_SERVER).expect("reading net_server.wasm"))
        .expect("writing net_server");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut config = config();
    grant(&mut config, dir.path(), "/t", true);
    config.grants.env.push(("PATH".to_string(), "/t".to_string()));
    config
}

fn run_c_server(config: VmConfig, args: &[&str]) -> Outcome {
    let wasm = std::fs::read(capsa_test_programs::C_NET_SERVER).expect("reading net_server.wasm");
    let mut argv = vec!["net_server".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    runtime().vm(config).expect("booting a VM").run(&wasm, &argv).expect("running net_server")
}

/// A port that was free on the host's loopback a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Waits until `path` (a guest's stdout) contains `text`.
fn wait_for_output(path: &std::path::Path, text: &str) {
    let start = Instant::now();
    while !std::fs::read_to_string(path).unwrap_or_default().contains(text) {
        assert!(start.elapsed() < Duration::from_secs(30), "the guest never printed {text:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn net_echo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outcome = run_ok("net_echo", with_server(&dir), &[]);
    let out = outcome.stdout_str();
    assert!(out.contains("listening on 7000\n"), "{}", describe(&outcome));
    assert!(out.contains("served\n") && out.contains("echo: 32768 bytes\n"), "{}", describe(&outcome));
    assert!(out.contains("http: 200 from the C server\n"), "{}", describe(&outcome));
}

#[test]
fn net_flood() {
    let outcome = run_ok("net_flood", config(), &[]);
    assert!(outcome.stdout_str().contains("sockets: 256\n"), "{}", describe(&outcome));
    let buffered = crate::common::printed_number(&outcome, "buffered");
    assert!((64 * 1024..=68 * 1024).contains(&buffered), "{buffered} bytes buffered: {}", describe(&outcome));
}

/// Two VMs with the same addresses: a server listening in one cannot be
/// reached from the other, on loopback or on the VM address.
#[test]
fn net_probe() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let server_out = out_dir.path().join("server.out");
    let mut server_config = config();
    server_config.grants.stdout = Output::File(server_out.clone());
    let server = std::thread::spawn(move || run_c_server(server_config, &["http", "7001", "3000"]));
    wait_for_output(&server_out, "listening on 7001");
    run_ok("net_probe", config(), &["isolated", "7001"]);
    let outcome = server.join().expect("server thread");
    assert_eq!(outcome.status, capsa_runtime::ExitStatus::Exited(0), "{}", describe(&outcome));
    let printed = std::fs::read_to_string(&server_out).expect("server output");
    assert!(printed.contains("timeout\n"), "a connection reached the other VM: {printed}");
}

/// A host listener on 127.0.0.1 that answers one "ping" line with "pong".
fn pong_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("host listener");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).expect("read");
        assert_eq!(line, "ping\n");
        (&stream).write_all(b"pong\n").expect("write");
    });
    (port, handle)
}

fn probe(config: VmConfig, args: &[&str]) -> (Outcome, capsa_runtime::Vm) {
    let vm = runtime().vm(config).expect("booting a VM");
    let wasm = std::fs::read(program("net_probe")).expect("reading net_probe.wasm");
    let mut argv = vec!["net_probe".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let outcome = vm.run(&wasm, &argv).expect("running net_probe");
    assert_ok(&outcome);
    (outcome, vm)
}

fn allow(rule: &str) -> NetAllow {
    rule.parse().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn egress_to_a_granted_host_port_is_a_real_connection() {
    let (port, server) = pong_server();
    let mut config = config();
    config.grants.net.allow.push(allow(&format!("127.0.0.1:{port}")));
    let (outcome, vm) = probe(config, &["egress", "10.0.2.2", &port.to_string()]);
    assert!(outcome.stdout_str().contains("reply: pong\n"), "{}", describe(&outcome));
    server.join().expect("host server");
    assert!(vm.kernel().network().audit_log().is_empty());
}

#[test]
fn egress_by_a_granted_name() {
    let (port, server) = pong_server();
    let mut config = config();
    config.grants.net.allow.push(allow(&format!("localhost:{port}")));
    // A rule naming `localhost` grants the host's loopback, which the guest
    // reaches at 10.0.2.2 (its own `localhost` is the VM's loopback).
    let (outcome, _vm) = probe(config, &["egress", "10.0.2.2", &port.to_string()]);
    assert!(outcome.stdout_str().contains("reply: pong\n"), "{}", describe(&outcome));
    server.join().expect("host server");
}

#[test]
fn egress_not_granted_is_refused_and_audited() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("host listener");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let mut config = config();
    // Another port of the same host is granted, not this one.
    config.grants.net.allow.push(allow(&format!("127.0.0.1:{}", port.wrapping_add(1).max(1))));
    let (outcome, vm) = probe(config, &["egress", "10.0.2.2", &port.to_string()]);
    assert!(outcome.stdout_str().contains("connect: errno 2\n"), "EACCES expected: {}", describe(&outcome));
    assert!(listener.accept().is_err(), "the host listener was reached");
    let log = vm.kernel().network().audit_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].verdict, Verdict::Deny);
    assert_eq!(log[0].request.dest, format!("10.0.2.2:{port}").parse().expect("addr"));

    let (outcome, _) = probe(self::config(), &["egress", "example.org", "443"]);
    assert!(outcome.stdout_str().contains("resolve: errno 2\n"), "{}", describe(&outcome));
}

#[test]
fn egress_granted_but_closed_is_refused() {
    let port = free_port();
    let mut config = config();
    config.grants.net.allow.push(allow(&format!("127.0.0.1:{port}")));
    let (outcome, vm) = probe(config, &["egress", "10.0.2.2", &port.to_string()]);
    assert!(outcome.stdout_str().contains("connect: errno 14\n"), "ECONNREFUSED expected: {}", describe(&outcome));
    let log = vm.kernel().network().audit_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].verdict, Verdict::Allow);
}

/// The C HTTP server in a VM answers a host client through `--publish`.
#[test]
fn publish_reaches_a_guest_http_server() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let server_out = out_dir.path().join("server.out");
    let host_port = free_port();
    let mut server_config = config();
    server_config.grants.stdout = Output::File(server_out.clone());
    server_config.grants.net.publish.push(Publish { host_port, guest_port: 8080 });
    let server = std::thread::spawn(move || run_c_server(server_config, &["http", "8080", "20000"]));
    wait_for_output(&server_out, "listening on 8080");

    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, host_port)).expect("connect to the published port");
    stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    drop(stream);
    assert!(response.starts_with("HTTP/1.0 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nhello from capsa\n"), "{response}");

    let outcome = server.join().expect("server thread");
    assert_eq!(outcome.status, capsa_runtime::ExitStatus::Exited(0), "{}", describe(&outcome));
    let printed = std::fs::read_to_string(&server_out).expect("server output");
    assert!(printed.contains("served\n"), "{printed}");
}

// ---------------------------------------------------------------- completeness

/// The guest programs this suite tests (checked in `main.rs`).
pub(crate) mod claimed {
    capsa_test_programs::foreach_net!(claim);
    capsa_test_programs::foreach_c_net!(claim);
}

/// The C server's test: it runs in `net_echo`, `net_probe` and the publish test.
fn net_server() {
    net_echo();
}
