//! `curl` and `wget` in `capsa exec` VMs against an HTTP server on the
//! host's loopback (which a VM reaches at 10.0.2.2 when `--allow-net`
//! grants the port), compared with the host's curl on the same requests:
//! bodies, headers sent, redirects, errors and exit codes.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Command, Output};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small HTTP/1.1 server on 127.0.0.1: `/hello`, `/redirect` (302 to
/// `/hello`), `/loop` (redirects to itself), `/missing` (404 with a body),
/// `/chunked`, and `/echo` (the method, the headers the test cares about
/// and the body). Each connection gets one response and is closed.
fn serve() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    port
}

fn answer(stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        headers.push(line.trim().to_string());
    }
    let length: usize = headers
        .iter()
        .find_map(|h| h.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let simple = |status: &str, extra: &str, body: &str| {
        format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n{extra}\r\n{body}", body.len())
    };
    let response = match path {
        "/hello" => simple("200 OK", "", "hello from the host\n"),
        "/redirect" => simple("302 Found", "Location: /hello\r\n", "moved\n"),
        "/loop" => simple("301 Moved Permanently", "Location: /loop\r\n", ""),
        "/missing" => simple("404 Not Found", "", "no such page\n"),
        "/chunked" => {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n chunks\r\n1\r\n\n\r\n0\r\n\r\n"
                .into()
        }
        _ if path.starts_with("/echo") => {
            let wanted = ["content-type", "x-test", "authorization"];
            let mut echoed = format!("{method} {path}\n");
            for header in &headers {
                if wanted.iter().any(|w| header.to_ascii_lowercase().starts_with(w)) {
                    echoed.push_str(header);
                    echoed.push('\n');
                }
            }
            echoed.push_str(&format!("body: {}\n", text(&body)));
            simple("200 OK", "", &echoed)
        }
        _ => simple("400 Bad Request", "", ""),
    };
    let mut stream = reader.into_inner();
    let _ = stream.write_all(response.as_bytes());
}

/// `capsa exec --allow-net 127.0.0.1:PORT -- LINE` with `dir` at /work.
fn exec(dir: &std::path::Path, port: u16, line: &str) -> Output {
    common::warm_cache();
    Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["exec", "--cache-dir"])
        .arg(common::cache())
        .args(["--allow-net", &format!("127.0.0.1:{port}"), "--mount", &format!("{}:/work", dir.display())])
        .args(["--", &format!("cd /work && {line}")])
        .output()
        .expect("capsa exec")
}

/// Each `curl ARGS PATH` in the VM and natively: stdout and exit code.
#[test]
fn curl_gives_the_hosts_answers() {
    let port = serve();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("payload.txt"), "line one\nline two\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["-s"], "/hello"),
        (&["-s", "-i"], "/hello"),
        (&["-s"], "/redirect"),
        (&["-sL"], "/redirect"),
        (&["-sL", "-w", "%{http_code} %{num_redirects}\\n"], "/redirect"),
        (&["-s", "-f"], "/missing"),
        (&["-s"], "/missing"),
        (&["-s", "-o", "/dev/null", "-w", "%{http_code}"], "/missing"),
        (&["-s"], "/chunked"),
        (&["-s", "-d", "a=1", "-d", "b=two"], "/echo"),
        (&["-s", "--data-binary", "@payload.txt", "-H", "Content-Type: text/plain"], "/echo"),
        (&["-s", "-d", "@payload.txt"], "/echo"),
        (&["-s", "-X", "PUT", "-H", "X-Test: yes"], "/echo"),
        (&["-s", "-u", "ann:secret"], "/echo"),
        (&["-s", "-G", "--data-urlencode", "q=a b&c"], "/echo"),
        (&["-sIL"], "/redirect"),
        (&["-sL", "--max-redirs", "3"], "/loop"),
    ];
    let native = Command::new("curl").arg("--version").output().is_ok_and(|o| o.status.success());
    let mut line = String::new();
    for (args, path) in cases {
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        line.push_str(&format!("curl {} 'http://10.0.2.2:{port}{path}'; echo \" status=$?\"; ", quoted.join(" ")));
    }
    let out = exec(dir.path(), port, &line);
    let got = text(&out.stdout);
    let mut expected = String::new();
    for (args, path) in cases {
        if native {
            let out = Command::new("curl")
                .current_dir(dir.path())
                .args(*args)
                .arg(format!("http://127.0.0.1:{port}{path}"))
                .output()
                .unwrap();
            expected.push_str(&text(&out.stdout));
            expected.push_str(&format!(" status={}\n", out.status.code().unwrap_or(-1)));
        }
    }
    if native {
        // The Host header differs (10.0.2.2 against 127.0.0.1); nothing echoes it.
        assert_eq!(got, expected, "stderr: {}", text(&out.stderr));
    }
    assert!(got.starts_with("hello from the host\n status=0\n"), "{got}");
    assert!(got.contains(" status=22\n") && got.contains(" status=47\n"), "{got}");
}

#[test]
fn curl_and_wget_save_files_and_fail_as_the_originals() {
    let port = serve();
    let dir = tempfile::tempdir().unwrap();
    let line = format!(
        "curl -sO http://10.0.2.2:{port}/hello && cat hello; \
         curl -s -o out/x.txt --create-dirs http://10.0.2.2:{port}/chunked && cat out/x.txt; \
         wget -q http://10.0.2.2:{port}/hello; echo wget=$?; cat hello.1; \
         wget -q -O - http://10.0.2.2:{port}/redirect; \
         wget -q http://10.0.2.2:{port}/missing; echo missing=$?; \
         curl https://10.0.2.2:{port}/; echo https=$?; \
         curl ftp://10.0.2.2:{port}/; echo ftp=$?; \
         curl -sS http://10.0.2.2:1/; echo refused=$?"
    );
    let out = exec(dir.path(), port, &line);
    assert_eq!(
        text(&out.stdout),
        "hello from the host\nhello chunks\nwget=0\nhello from the host\nhello from the host\nmissing=8\nhttps=60\nftp=1\nrefused=7\n",
        "{}",
        text(&out.stderr)
    );
    let stderr = text(&out.stderr);
    // An HTTP server does not speak TLS: the handshake fails (curl's 60).
    assert!(stderr.contains("curl: (60) SSL certificate problem"), "{stderr}");
    assert!(stderr.contains("curl: (1) Protocol \"ftp\" not supported"), "{stderr}");
    assert!(stderr.contains("curl: (7) Failed to connect to 10.0.2.2 port 1"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join("hello")).unwrap(), "hello from the host\n");
}

#[test]
fn without_a_grant_the_host_is_unreachable() {
    let port = serve();
    let dir = tempfile::tempdir().unwrap();
    common::warm_cache();
    let out = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["exec", "--cache-dir"])
        .arg(common::cache())
        .args(["--", &format!("curl -sS http://10.0.2.2:{port}/hello; echo status=$?")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "status=7\n", "{}", text(&out.stderr));
}

/// `https://` through the runtime's TLS: trusted with `--cacert` (and the
/// host's own curl agrees on the same server), refused with curl's exit 60
/// without it, let through by `-k`; wget likewise.
#[test]
fn https_is_verified_by_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    if !common::tls::test_ca(dir.path()) {
        return;
    }
    let port = common::tls::serve(dir.path());
    let host_curl = Command::new("curl")
        .args(["-sS", "--cacert", "ca.pem", &format!("https://127.0.0.1:{port}/native")])
        .current_dir(dir.path())
        .output();
    if let Ok(native) = host_curl {
        assert_eq!(text(&native.stdout), "secure hello, you asked for /native\n", "{}", text(&native.stderr));
    }
    let url = format!("https://10.0.2.2:{port}");
    let line = format!(
        "curl -sS --cacert ca.pem {url}/trusted; echo status=$?; \
         curl -sS {url}/untrusted; echo status=$?; \
         curl -sk {url}/insecure; echo status=$?; \
         wget -q --ca-certificate=ca.pem -O - {url}/wget; echo status=$?; \
         curl -sS --cacert missing.pem {url}/x; echo status=$?"
    );
    let out = exec(dir.path(), port, &line);
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout,
        "secure hello, you asked for /trusted\nstatus=0\nstatus=60\nsecure hello, you asked for /insecure\nstatus=0\n\
         secure hello, you asked for /wget\nstatus=0\nstatus=77\n",
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("SSL certificate problem"), "{}", text(&out.stderr));
}
