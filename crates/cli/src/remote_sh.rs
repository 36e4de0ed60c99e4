//! `capsa sh --server URL`: the terminal of a sandbox that lives in a
//! `capsa serve`. The prompt and line editing stay here (as for a local
//! session); each line goes over the server's shell WebSocket and its
//! output comes back as it is written. Ctrl-C interrupts the running line.
//! At a terminal, what is typed while a line runs is its stdin (`read`
//! works; Ctrl-D ends it); piped into, a line's stdin is empty, so the
//! script's next lines stay the script's.

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::sh::{Reader, Step, prompt};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// Runs the remote terminal; returns capsa's exit code.
pub fn main(server: &str, sandbox: Option<&str>) -> i32 {
    match run(server.trim_end_matches('/'), sandbox) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("capsa sh: {err:#}");
            1
        }
    }
}

fn run(server: &str, sandbox: Option<&str>) -> Result<i32> {
    let token = std::env::var("CAPSA_TOKEN").context("--server needs the API token in CAPSA_TOKEN")?;
    let bearer = format!("Bearer {}", token.trim());
    let agent = ureq::Agent::new_with_defaults();
    let (id, made) = match sandbox {
        Some(id) => (id.to_string(), false),
        None => {
            let mut response = agent
                .post(format!("{server}/v1/sandboxes"))
                .header("Authorization", bearer.as_str())
                .header("Content-Type", "application/json")
                .send("{}")
                .with_context(|| format!("creating a sandbox at {server}"))?;
            let text = response.body_mut().read_to_string().context("the server's answer")?;
            let body: Value = serde_json::from_str(&text).context("the server's answer")?;
            let id = body["id"].as_str().context("the server did not say the sandbox's id")?;
            (id.to_string(), true)
        }
    };
    let code = attach(server, &id, &bearer);
    if made {
        let _ = agent.delete(format!("{server}/v1/sandboxes/{id}")).header("Authorization", bearer.as_str()).call();
    }
    code
}

fn attach(server: &str, id: &str, bearer: &str) -> Result<i32> {
    let ws_url = match server.split_once("://") {
        Some(("http", rest)) => format!("ws://{rest}/v1/sandboxes/{id}/shell"),
        Some(("https", _)) => bail!("https servers are not supported by this client yet"),
        _ => bail!("{server}: expected http://HOST:PORT"),
    };
    let mut request = ws_url.as_str().into_client_request().context("the shell's URL")?;
    request.headers_mut().insert("Authorization", bearer.parse().context("the token")?);
    let (mut socket, _) = tungstenite::connect(request).with_context(|| format!("connecting to {ws_url}"))?;
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        // Short reads, so that Ctrl-C is noticed while a line runs.
        stream.set_read_timeout(Some(Duration::from_millis(100))).context("the connection")?;
    }
    // The line editor first: it takes SIGINT and SIGWINCH for itself when
    // made, and Ctrl-C while a line runs must be ours.
    let mut reader = Reader::new();
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    if let Err(err) = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)) {
        eprintln!("capsa: Ctrl-C will end capsa, not the running command: {err}");
    }
    let ready = receive(&mut socket, &interrupted, &mut false)?;
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let (user, home) =
        (ready["user"].as_str().unwrap_or("user").to_string(), ready["home"].as_str().unwrap_or("/").to_string());
    let mut cwd = ready["cwd"].as_str().unwrap_or("/").to_string();
    let mut pending = String::new();
    let mut status = 0;
    loop {
        match reader.read_into(&prompt(&user, &home, &cwd, &pending), &mut pending) {
            Step::Run => {}
            Step::Skip => continue,
            Step::End => break,
        }
        interrupted.store(false, Ordering::SeqCst);
        send(&mut socket, json!({"type": "line", "data": pending}))?;
        // The terminal's input goes to the line until Ctrl-D or its end.
        let mut input = terminal;
        if !input {
            send(&mut socket, json!({"type": "eof"}))?;
        }
        // Output until the line's end.
        let end = loop {
            let message = receive(&mut socket, &interrupted, &mut input)?;
            match message["type"].as_str() {
                Some("stdout") => write_chunk(&mut std::io::stdout(), &message),
                Some("stderr") => write_chunk(&mut std::io::stderr(), &message),
                Some("error") => bail!("{}", message["message"].as_str().unwrap_or("the server refused the line")),
                Some(_) => break message,
                None => {}
            }
        };
        match end["type"].as_str() {
            Some("more") => continue,
            Some("exit") => {
                status = end["exit_code"].as_i64().unwrap_or(0) as i32;
                break;
            }
            _ => {
                status = end["exit_code"].as_i64().unwrap_or(1) as i32;
                if let Some(now) = end["cwd"].as_str() {
                    cwd = now.to_string();
                }
                if status == 130 {
                    println!();
                } else if let Some(reason) = end["killed"].as_str() {
                    eprintln!("{reason}");
                }
            }
        }
        pending.clear();
    }
    reader.save();
    let _ = socket.close(None);
    Ok(status)
}

fn send(socket: &mut Socket, message: Value) -> Result<()> {
    socket.send(Message::Text(message.to_string().into())).context("the connection to the server")
}

/// Sends what the terminal has for the running line now, if anything (a
/// cooked terminal gives whole lines); `false` once its input ended
/// (Ctrl-D), which the line is told as EOF.
fn forward_input(socket: &mut Socket) -> Result<bool> {
    let stdin = std::io::stdin();
    let mut fds = [rustix::event::PollFd::new(&stdin, rustix::event::PollFlags::IN)];
    let now = rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 };
    if rustix::event::poll(&mut fds, Some(&now)).unwrap_or(0) == 0 {
        return Ok(true);
    }
    let mut buf = [0u8; 4096];
    match rustix::io::read(std::os::fd::AsFd::as_fd(&stdin), &mut buf) {
        Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => Ok(true),
        Ok(0) | Err(_) => {
            send(socket, json!({"type": "eof"}))?;
            Ok(false)
        }
        Ok(n) => {
            let data = base64::engine::general_purpose::STANDARD.encode(&buf[..n]);
            send(socket, json!({"type": "stdin", "data_b64": data}))?;
            Ok(true)
        }
    }
}

/// The next JSON message; forwards Ctrl-C, and the terminal's input to a
/// running line while `input` is open, while waiting.
fn receive(socket: &mut Socket, interrupted: &AtomicBool, input: &mut bool) -> Result<Value> {
    loop {
        if interrupted.swap(false, Ordering::SeqCst) {
            send(socket, json!({"type": "interrupt"}))?;
        }
        if *input {
            *input = forward_input(socket)?;
        }
        match socket.read() {
            Ok(Message::Text(text)) => return serde_json::from_str(&text).context("a message from the server"),
            Ok(Message::Close(_)) => bail!("the server closed the session"),
            Ok(_) => {}
            // A read cut short by the timeout or by Ctrl-C's signal is
            // retried (tungstenite keeps a partial frame).
            Err(tungstenite::Error::Io(err))
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                ) => {}
            Err(err) => return Err(err).context("the connection to the server"),
        }
    }
}

fn write_chunk(out: &mut impl Write, message: &Value) {
    let bytes = match (message["data"].as_str(), message["data_b64"].as_str()) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    let _ = out.write_all(&bytes);
    let _ = out.flush();
}
