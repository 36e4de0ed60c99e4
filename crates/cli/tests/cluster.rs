//! The cluster (`capsa serve --nats`, `capsa worker --nats`) on a real
//! `nats-server -js` on 127.0.0.1: workers killed with SIGKILL in the
//! middle of the work, a front-end restarted, and what clients see.
//!
//! Needs `nats-server` (Debian's package; `.ci/run` installs it). Without
//! it each test says so and passes: it cannot run here.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const TOKEN: &str = "cluster-token";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The NATS server binary, if this machine has one.
fn nats_server() -> Option<std::path::PathBuf> {
    ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
}

/// A process killed when dropped.
struct Proc(Child);

impl Proc {
    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_child(&self.0);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        self.0.wait().unwrap()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A NATS server with JetStream, its store in `dir`.
fn start_nats(dir: &Path) -> Option<(Proc, String)> {
    let Some(binary) = nats_server() else {
        eprintln!("SKIPPED: nats-server is not installed (apt-get install nats-server); the cluster tests need it");
        return None;
    };
    let port = free_port();
    let config = dir.join("nats.conf");
    let store = dir.join("jetstream");
    let text = format!("listen: 127.0.0.1:{port}\njetstream {{ store_dir: {:?} }}\nmax_payload: 8MB\n", store);
    std::fs::write(&config, text).unwrap();
    let child = Command::new(binary).arg("-c").arg(&config).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
    let nats = Proc(child.expect("nats-server"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((nats, format!("nats://127.0.0.1:{port}")))
}

fn start_worker(nats: &str, data: &Path) -> Proc {
    let child = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["worker", "--nats", nats, "--capacity", "4", "--data-dir"])
        .arg(data)
        .arg("--cache-dir")
        .arg(common::cache())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    Proc(child.expect("capsa worker"))
}

/// A front-end, and a client of it.
struct Front {
    process: Proc,
    url: String,
    client: Client,
}

impl Front {
    /// Starts a front-end and waits until `workers` workers hold leases.
    fn start(nats: &str, data: &Path, workers: usize) -> Front {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_capsa"))
            .args(["serve", "--allow-anonymous", "--nats", nats, "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data)
            .env("CAPSA_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let client = Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        let front =
            Front { process: Proc(child.expect("capsa serve")), url: format!("http://127.0.0.1:{port}"), client };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let health = front.client.get(front.at("/v1/health")).send().ok().and_then(|r| r.json::<Value>().ok());
            let up = health.as_ref().and_then(|h| h["cluster"]["workers"].as_array()).map_or(0, Vec::len);
            if up == workers {
                return front;
            }
            assert!(Instant::now() < deadline, "the cluster did not come up: {health:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// POSTs `body`, retrying while the cluster says to (a worker lost).
    fn post(&self, path: &str, body: &Value) -> (StatusCode, Option<String>, Value) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let response = self.client.post(self.at(path)).bearer_auth(TOKEN).json(body).send().unwrap();
            let status = response.status();
            let worker = response.headers().get("x-capsa-worker").and_then(|v| v.to_str().ok()).map(String::from);
            let value: Value = response.json().unwrap_or(Value::Null);
            if status != StatusCode::SERVICE_UNAVAILABLE || Instant::now() > deadline {
                return (status, worker, value);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn exec(&self, id: &str, command: &str) -> (Option<String>, Value) {
        let (status, worker, out) = self.post(&format!("/v1/sandboxes/{id}/exec"), &json!({"command": command}));
        assert_eq!(status, StatusCode::OK, "{out}");
        (worker, out)
    }
}

#[test]
fn two_hundred_one_shot_runs_complete_once_each_while_a_worker_is_killed() {
    common::warm_cache();
    let dir = tempfile::tempdir().unwrap();
    let Some((_nats, url)) = start_nats(dir.path()) else { return };
    let mut first = start_worker(&url, &dir.path().join("w1"));
    let _second = start_worker(&url, &dir.path().join("w2"));
    let front = Arc::new(Front::start(&url, &dir.path().join("front"), 2));

    const RUNS: usize = 200;
    let next = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (front, next, finished) = (front.clone(), next.clone(), finished.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= RUNS {
                        return seen;
                    }
                    // A Piston client: no credentials, a shell script.
                    let body = json!({"language": "bash", "version": "*",
                        "files": [{"content": format!("sleep 0.1; echo run {n}")}]});
                    let response = front.client.post(front.at("/api/v2/execute")).json(&body).send().unwrap();
                    let status = response.status();
                    let answer: Value = response.json().unwrap();
                    assert_eq!(status, StatusCode::OK, "run {n}: {answer}");
                    seen.push((n, answer["run"]["stdout"].as_str().unwrap_or("").to_string()));
                    finished.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // Killed mid-way, with jobs in its hands.
    while finished.load(Ordering::SeqCst) < RUNS / 4 {
        std::thread::sleep(Duration::from_millis(10));
    }
    first.kill9();
    let mut seen: Vec<(usize, String)> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    seen.sort();
    assert_eq!(seen.len(), RUNS);
    for (n, stdout) in &seen {
        assert_eq!(stdout, &format!("run {n}\n"));
    }
}

#[test]
fn a_persistent_sandbox_outlives_its_worker_and_the_front_end() {
    common::warm_cache();
    let dir = tempfile::tempdir().unwrap();
    let Some((_nats, url)) = start_nats(dir.path()) else { return };
    let mut workers = vec![start_worker(&url, &dir.path().join("w1")), start_worker(&url, &dir.path().join("w2"))];
    let mut front = Front::start(&url, &dir.path().join("front"), 2);

    let (status, first_worker, made) = front.post("/v1/sandboxes", &json!({"persistent": true}));
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let first_worker = first_worker.expect("the worker that took it");
    // Writes of every kind: a command, a file uploaded, a directory tree.
    front.exec(&id, "mkdir -p src/deep && echo one > src/deep/a.txt && echo log >> journal");
    let put = front.client.put(front.at(&format!("/v1/sandboxes/{id}/files/home/user/data.bin")));
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    assert!(put.bearer_auth(TOKEN).body(bytes.clone()).send().unwrap().status().is_success());
    let (worker, out) = front.exec(&id, "echo two >> journal; cat journal");
    assert_eq!(out["stdout"], "log\ntwo\n");
    assert_eq!(worker.as_deref(), Some(first_worker.as_str()));

    // Its worker dies; the next call (retried while the cluster says so)
    // runs on the other worker and sees every completed write.
    let holder = ["w1", "w2"]
        .iter()
        .position(|w| dir.path().join(w).join("workers").join(&first_worker).exists())
        .expect("the holder's data dir");
    workers[holder].kill9();
    let (worker, out) = front.exec(&id, "cat src/deep/a.txt journal; wc -c < data.bin; echo three >> journal");
    assert_ne!(worker.as_deref(), Some(first_worker.as_str()));
    assert_eq!(out["stdout"], "one\nlog\ntwo\n300000\n");
    let got = front.client.get(front.at(&format!("/v1/sandboxes/{id}/files/home/user/data.bin"))).bearer_auth(TOKEN);
    assert_eq!(got.send().unwrap().bytes().unwrap().to_vec(), bytes);

    // The front-end restarts (kill -9): nothing was in it.
    front.process.kill9();
    let front = Front::start(&url, &dir.path().join("front"), 1);
    let (_, out) = front.exec(&id, "cat journal");
    assert_eq!(out["stdout"], "log\ntwo\nthree\n");
    let listed: Value = front.client.get(front.at("/v1/sandboxes")).bearer_auth(TOKEN).send().unwrap().json().unwrap();
    assert_eq!(listed["sandboxes"].as_array().map(Vec::len), Some(1), "{listed}");
    // The shell WebSocket, relayed: `capsa sh --server` on the sandbox.
    let input = "cd src/deep; n=$(cat a.txt)\necho \"$n in $PWD\"\nexit 4\n";
    let out = common::remote_sh(&front.url, TOKEN, &["--sandbox", &id], input);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one in /home/user/src/deep\n", "{out:?}");
    assert_eq!(out.status.code(), Some(4));

    // A worker stopped with SIGTERM hands its sandboxes back: a new worker
    // takes the call.
    workers.push(start_worker(&url, &dir.path().join("w3")));
    let survivor = 1 - holder;
    let status = workers[survivor].terminate();
    assert!(status.success(), "the worker drained and exited cleanly: {status:?}");
    let (_, out) = front.exec(&id, "cat journal");
    assert_eq!(out["stdout"], "log\ntwo\nthree\n");

    // Another tenant (anonymous) does not see it; deleting it ends it.
    let other = front.client.get(front.at(&format!("/v1/sandboxes/{id}"))).send().unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let deleted = front.client.delete(front.at(&format!("/v1/sandboxes/{id}"))).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = front.client.get(front.at(&format!("/v1/sandboxes/{id}"))).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[test]
fn judge0_mcp_and_snapshots_work_through_front_ends() {
    common::warm_cache();
    let dir = tempfile::tempdir().unwrap();
    let Some((_nats, url)) = start_nats(dir.path()) else { return };
    let _w1 = start_worker(&url, &dir.path().join("w1"));
    let _w2 = start_worker(&url, &dir.path().join("w2"));
    let mut front = Front::start(&url, &dir.path().join("front"), 2);

    // Judge0 (language 46 is Bash), waited for.
    let judge0 = |front: &Front, query: &str, body: &Value| -> Value {
        let request = front.client.post(front.at(&format!("/submissions{query}"))).header("X-Auth-Token", TOKEN);
        request.json(body).send().unwrap().json().unwrap()
    };
    let answer =
        judge0(&front, "?wait=true", &json!({"language_id": 46, "source_code": "read x; echo got $x", "stdin": "7"}));
    assert_eq!((answer["stdout"].as_str(), answer["status"]["id"].as_i64()), (Some("got 7\n"), Some(3)), "{answer}");
    // Not waited for, and its front-end killed before the run ends: another
    // front-end answers for the token with the result.
    let answer = judge0(&front, "", &json!({"language_id": 46, "source_code": "sleep 1; echo late"}));
    let token = answer["token"].as_str().expect("a token").to_string();
    front.process.kill9();
    let front = Front::start(&url, &dir.path().join("front2"), 2);
    let deadline = Instant::now() + Duration::from_secs(60);
    let shown = loop {
        let request = front.client.get(front.at(&format!("/submissions/{token}"))).header("X-Auth-Token", TOKEN);
        let shown: Value = request.send().unwrap().json().unwrap();
        if shown["status"]["id"].as_i64().is_some_and(|id| id > 2) || Instant::now() > deadline {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!((shown["stdout"].as_str(), shown["status"]["id"].as_i64()), (Some("late\n"), Some(3)), "{shown}");

    // MCP over HTTP: a session sticks to one worker, its tools run there.
    let mcp = |session: Option<&str>, body: Value| {
        let mut request = front.client.post(front.at("/mcp")).bearer_auth(TOKEN).json(&body);
        request = request.header("Accept", "application/json, text/event-stream");
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        let response = request.send().unwrap();
        let session = response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(String::from);
        (session, response.text().unwrap())
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
    let (session, _) = mcp(None, init);
    let session = session.expect("an MCP session id");
    mcp(Some(&session), json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    for (n, (tool, arguments, expected)) in [
        ("exec", json!({"command": "echo kept > mcp.txt; cat mcp.txt"}), "kept"),
        ("read_file", json!({"path": "mcp.txt"}), "kept"),
        ("run_code", json!({"language": "bash", "code": "echo once"}), "once"),
    ]
    .into_iter()
    .enumerate()
    {
        let call = json!({"jsonrpc": "2.0", "id": n + 2, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
        let (_, text) = mcp(Some(&session), call);
        assert!(text.contains(expected) && !text.contains("\"isError\":true"), "{tool}: {text}");
    }

    // A snapshot taken on one worker starts sandboxes on either.
    let (_, _, made) = front.post("/v1/sandboxes", &json!({}));
    let id = made["id"].as_str().unwrap().to_string();
    front.exec(&id, "echo from-snapshot > marker");
    let (status, _, snapshot) = front.post(&format!("/v1/sandboxes/{id}/snapshots"), &json!({}));
    assert_eq!(status, StatusCode::CREATED, "{snapshot}");
    let snap = snapshot["id"].as_str().unwrap().to_string();
    let mut workers_used = std::collections::HashSet::new();
    for _ in 0..4 {
        let (status, worker, made) = front.post("/v1/sandboxes", &json!({"from_snapshot": snap}));
        assert_eq!(status, StatusCode::CREATED, "{made}");
        workers_used.insert(worker.unwrap());
        let (_, out) = front.exec(made["id"].as_str().unwrap(), "cat marker");
        assert_eq!(out["stdout"], "from-snapshot\n");
    }
    assert_eq!(workers_used.len(), 2, "placement spreads sandboxes over both workers");
    let listed: Value = front.client.get(front.at("/v1/snapshots")).bearer_auth(TOKEN).send().unwrap().json().unwrap();
    assert_eq!(listed["snapshots"][0]["id"], snap.as_str());
}
