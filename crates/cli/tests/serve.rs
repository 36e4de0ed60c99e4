//! `capsa serve` driven as its users drive it: a real server process on
//! 127.0.0.1, a real HTTP client (reqwest; curl from a shell in one test),
//! and `kill -9` in the middle of the work.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

const TOKEN: &str = "test-token";

/// A running `capsa serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
    client: Client,
}

impl Server {
    /// Starts a server over `data`, with `CAPSA_TOKEN` unless `args` says
    /// otherwise, and waits until it answers.
    fn start(data: &Path, args: &[&str], token: Option<&str>) -> Server {
        // The module cache the CLI tests share, warm: no server's first
        // command compiles the suite.
        common::warm_cache();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_capsa"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data)
            .arg("--cache-dir")
            .arg(common::cache())
            .args(args)
            .env_remove("CAPSA_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(token) = token {
            cmd.env("CAPSA_TOKEN", token);
        }
        let child = cmd.spawn().expect("capsa serve");
        let client = Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        let server = Server { child, url: format!("http://127.0.0.1:{port}"), client };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.client.get(server.at("/v1/health")).send().is_err() {
            assert!(Instant::now() < deadline, "capsa serve did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.at(path)).bearer_auth(TOKEN)
    }

    fn post(&self, path: &str, body: Value) -> RequestBuilder {
        self.client.post(self.at(path)).bearer_auth(TOKEN).json(&body)
    }

    fn create(&self, spec: Value) -> String {
        let response = self.post("/v1/sandboxes", spec).send().unwrap();
        let status = response.status();
        let body: Value = response.json().unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    fn exec(&self, id: &str, body: Value) -> Value {
        let response = self.post(&format!("/v1/sandboxes/{id}/exec"), body).send().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().unwrap()
    }

    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn error_code(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().unwrap_or(Value::Null);
    (status, body["error"]["code"].as_str().unwrap_or("").to_string())
}

#[test]
fn sandboxes_commands_files_and_snapshots_over_http() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[], Some(TOKEN));

    // No token, a wrong one: 401, as JSON.
    let response = server.client.get(server.at("/v1/sandboxes")).send().unwrap();
    assert_eq!(error_code(response), (StatusCode::UNAUTHORIZED, "unauthorized".into()));
    let response = server.client.get(server.at("/v1/sandboxes")).bearer_auth("nope").send().unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let id = server.create(json!({"env": {"GREETING": "hi"}, "limits": {"memory": "256MiB", "timeout": "30s"}}));
    // A command's output, status and state that the next command sees.
    let out = server.exec(&id, json!({"command": "echo $GREETING; echo oops >&2; echo kept > f.txt; exit 3"}));
    assert_eq!(
        (out["stdout"].as_str(), out["stderr"].as_str(), out["exit_code"].as_i64()),
        (Some("hi\n"), Some("oops\n"), Some(3))
    );
    assert!(out["killed"].is_null());
    let out = server.exec(&id, json!({"command": "cat /home/user/f.txt; pwd; cat; echo $X", "stdin": "in\n", "env": {"X": "y"}, "cwd": "/tmp"}));
    assert_eq!(out["stdout"], "kept\n/tmp\nin\ny\n", "{out}");
    // Bytes that are not UTF-8 go in and come back as base64.
    let out = server.exec(&id, json!({"command": "cat", "stdin_b64": "//4="}));
    assert_eq!(out["stdout_b64"], "//4=", "{out}");
    // A spinning command ends at its own timeout, with the reason.
    let out = server.exec(&id, json!({"command": "while :; do :; done", "timeout_s": 0.5}));
    assert_eq!((out["exit_code"].as_i64(), out["killed"].as_str()), (Some(137), Some("wall-clock limit 500ms")));

    // Streamed: events as the command writes, then the exit.
    let response = server
        .post(&format!("/v1/sandboxes/{id}/exec"), json!({"command": "for i in 1 2 3; do echo $i; done; echo e >&2"}))
        .header("Accept", "text/event-stream")
        .send()
        .unwrap();
    let events = read_events(response);
    let out: String = events.iter().filter(|(n, _)| n == "stdout").map(|(_, d)| d["data"].as_str().unwrap()).collect();
    assert_eq!(out, "1\n2\n3\n");
    assert!(events.iter().any(|(n, d)| n == "stderr" && d["data"] == "e\n"));
    let (last, exit) = events.last().unwrap();
    assert_eq!((last.as_str(), exit["exit_code"].as_i64()), ("exit", Some(0)));

    // Files in and out; a directory lists; parents are made.
    let file = format!("/v1/sandboxes/{id}/files/home/user/deep/er/data.bin");
    let response = server.client.put(server.at(&file)).bearer_auth(TOKEN).body(vec![0u8, 1, 2, 255]).send().unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(server.get(&file).send().unwrap().bytes().unwrap().to_vec(), vec![0u8, 1, 2, 255]);
    let listing: Value =
        server.get(&format!("/v1/sandboxes/{id}/files/home/user/deep/er")).send().unwrap().json().unwrap();
    assert_eq!(listing["entries"][0]["name"], "data.bin");
    assert_eq!(listing["entries"][0]["size"], 4);
    let out = server.exec(&id, json!({"command": "wc -c < deep/er/data.bin"}));
    assert_eq!(out["stdout"], "4\n");
    let response = server.client.delete(server.at(&file)).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(error_code(server.get(&file).send().unwrap()), (StatusCode::NOT_FOUND, "not_found".into()));
    // Writing where the sandbox's user may not: 403.
    let response = server
        .client
        .put(server.at(&format!("/v1/sandboxes/{id}/files/etc/passwd")))
        .bearer_auth(TOKEN)
        .body("x")
        .send()
        .unwrap();
    assert_eq!(error_code(response).0, StatusCode::FORBIDDEN);

    // A tar in (made by the host's tar) and back out; a hostile one is refused.
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir(host.path().join("pkg")).unwrap();
    std::fs::write(host.path().join("pkg/main.py"), "print(1)\n").unwrap();
    let made = Command::new("tar").arg("-C").arg(host.path()).args(["-cf", "-", "pkg"]).output().unwrap();
    assert!(made.status.success());
    let archive = format!("/v1/sandboxes/{id}/archive?path=/home/user/proj");
    let response = server.client.put(server.at(&archive)).bearer_auth(TOKEN).body(made.stdout).send().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.exec(&id, json!({"command": "cat proj/pkg/main.py"}))["stdout"], "print(1)\n");
    let tar = server.get(&archive).send().unwrap().bytes().unwrap();
    let listed = host.path().join("out.tar");
    std::fs::write(&listed, &tar).unwrap();
    let names = Command::new("tar").arg("-tf").arg(&listed).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout), "pkg/\npkg/main.py\n");
    let mut hostile = vec![0u8; 512];
    hostile[..10].copy_from_slice(b"../escape\0");
    hostile[100..108].copy_from_slice(b"0000644\0");
    hostile[124..136].copy_from_slice(b"00000000000\0");
    hostile[156] = b'0';
    hostile[148..156].copy_from_slice(b"        ");
    let sum: u32 = hostile.iter().map(|&b| u32::from(b)).sum();
    hostile[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    hostile.extend_from_slice(&[0; 1024]);
    let response = server.client.put(server.at(&archive)).bearer_auth(TOKEN).body(hostile).send().unwrap();
    let status = response.status();
    let body: Value = response.json().unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("`..`"), "{body}");

    // Bad input: malformed JSON, unknown fields, bad limits, an unknown snapshot.
    let bad = |body: &str| {
        let response =
            server.client.post(server.at("/v1/sandboxes")).bearer_auth(TOKEN).body(body.to_string()).send().unwrap();
        error_code(response)
    };
    assert_eq!(bad("{not json"), (StatusCode::BAD_REQUEST, "bad_request".into()));
    assert_eq!(bad(r#"{"persistant": true}"#), (StatusCode::BAD_REQUEST, "bad_request".into()));
    assert_eq!(bad(r#"{"limits": {"memory": "lots"}}"#), (StatusCode::BAD_REQUEST, "bad_request".into()));
    assert_eq!(bad(r#"{"from_snapshot": "snap-0000"}"#).0, StatusCode::NOT_FOUND);
    assert_eq!(error_code(server.get("/v1/sandboxes/sb-none").send().unwrap()).0, StatusCode::NOT_FOUND);

    // A snapshot: a sandbox made from it has the files; the two then differ.
    server.exec(&id, json!({"command": "echo v1 > state.txt"}));
    let snap: Value = server.post(&format!("/v1/sandboxes/{id}/snapshots"), json!({})).send().unwrap().json().unwrap();
    let snap = snap["id"].as_str().unwrap().to_string();
    let fork = server.create(json!({"from_snapshot": snap}));
    server.exec(&fork, json!({"command": "echo v2 > state.txt"}));
    assert_eq!(server.exec(&id, json!({"command": "cat state.txt"}))["stdout"], "v1\n");
    assert_eq!(server.exec(&fork, json!({"command": "cat state.txt f.txt"}))["stdout"], "v2\nkept\n");
    let listed: Value = server.get("/v1/snapshots").send().unwrap().json().unwrap();
    assert_eq!(listed["snapshots"][0]["id"], snap.as_str());

    // State and usage; the list; delete.
    let shown: Value = server.get(&format!("/v1/sandboxes/{id}")).send().unwrap().json().unwrap();
    assert_eq!(shown["state"], "running");
    assert!(shown["usage"]["disk_bytes"].as_u64().unwrap() > 0, "{shown}");
    let listed: Value = server.get("/v1/sandboxes").send().unwrap().json().unwrap();
    assert_eq!(listed["sandboxes"].as_array().unwrap().len(), 2);
    let response = server.client.delete(server.at(&format!("/v1/sandboxes/{fork}"))).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(server.get(&format!("/v1/sandboxes/{fork}")).send().unwrap().status(), StatusCode::NOT_FOUND);

    // The shell is a WebSocket: a plain GET is told so.
    let response = server.get(&format!("/v1/sandboxes/{id}/shell")).send().unwrap();
    assert_eq!(error_code(response), (StatusCode::UPGRADE_REQUIRED, "upgrade_required".into()));

    // The schema names every route; the metrics count what happened.
    let openapi: Value = server.client.get(server.at("/v1/openapi.json")).send().unwrap().json().unwrap();
    for path in [
        "/v1/sandboxes",
        "/v1/sandboxes/{id}",
        "/v1/sandboxes/{id}/exec",
        "/v1/sandboxes/{id}/files/{path}",
        "/v1/sandboxes/{id}/snapshots",
        "/v1/snapshots/{snapshot}",
        "/v1/sandboxes/{id}/processes",
        "/v1/sandboxes/{id}/processes/{pid}/events",
        "/v1/sandboxes/{id}/processes/{pid}/stdin",
        "/v1/sandboxes/{id}/processes/{pid}/kill",
        "/v1/sandboxes/{id}/shell",
        "/v1/sandboxes/{id}/archive",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} is not in the schema");
    }
    let metrics = server.client.get(server.at("/metrics")).send().unwrap().text().unwrap();
    assert!(metrics.contains("capsa_kills_total{reason=\"wall_clock\"} 1"), "{metrics}");
    assert!(metrics.contains("capsa_sandboxes{state=\"running\"} 1"), "{metrics}");

    // The same API from a shell, with curl.
    let script = format!(
        "set -e; curl -sf -H 'Authorization: Bearer {TOKEN}' -X POST -d '{{\"command\":\"echo from curl\"}}' {}/v1/sandboxes/{id}/exec",
        server.url
    );
    let output = Command::new("bash").arg("-c").arg(script).output().unwrap();
    let body: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["stdout"], "from curl\n");
}

#[test]
fn tenants_see_only_their_own_sandboxes_and_quotas_answer_429() {
    let data = tempfile::tempdir().unwrap();
    let sha = |token: &str| {
        let out = Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        out.stdin.as_ref().unwrap().write_all(token.as_bytes()).unwrap();
        let out = out.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
    };
    let tokens = data.path().join("tokens.toml");
    std::fs::write(
        &tokens,
        format!(
            "[[tenant]]\nname = \"alice\"\ntoken_sha256 = \"{}\"\n\n[[tenant]]\nname = \"bob\"\ntoken_sha256 = \"{}\"\nquotas = {{ sandboxes = 1 }}\n",
            sha(TOKEN),
            sha("bob-token")
        ),
    )
    .unwrap();
    let server = Server::start(&data.path().join("data"), &["--tokens", tokens.to_str().unwrap()], None);
    let alices = server.create(json!({}));
    let as_bob = |req: RequestBuilder| req.bearer_auth("bob-token").send().unwrap();
    let response = as_bob(server.client.get(server.at(&format!("/v1/sandboxes/{alices}"))));
    assert_eq!(error_code(response).0, StatusCode::NOT_FOUND);
    let response = as_bob(
        server.client.post(server.at(&format!("/v1/sandboxes/{alices}/exec"))).json(&json!({"command": "true"})),
    );
    assert_eq!(error_code(response).0, StatusCode::NOT_FOUND);
    let response = as_bob(server.client.post(server.at("/v1/sandboxes")).json(&json!({})));
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = as_bob(server.client.post(server.at("/v1/sandboxes")).json(&json!({})));
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response), (StatusCode::TOO_MANY_REQUESTS, "too_many_requests".into()));
    let listed: Value = as_bob(server.client.get(server.at("/v1/sandboxes"))).json().unwrap();
    assert_eq!(listed["sandboxes"].as_array().unwrap().len(), 1);
}

#[test]
fn a_generated_token_is_kept_private_in_the_data_dir() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[], None);
    let path = data.path().join("token");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let token = std::fs::read_to_string(&path).unwrap();
    let response = server.client.get(server.at("/v1/sandboxes")).bearer_auth(token.trim()).send().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.get("/v1/sandboxes").send().unwrap().status(), StatusCode::UNAUTHORIZED);
}

/// Many clients on persistent sandboxes, one sending garbage, one leaving
/// mid-stream, and `kill -9` in the middle: afterwards every write that
/// was answered is there.
#[test]
fn persistent_sandboxes_survive_kill_9_under_load() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), &[], Some(TOKEN));
    let ephemeral = server.create(json!({}));
    let ids: Vec<String> = (0..4).map(|_| server.create(json!({"persistent": true}))).collect();
    let url = server.url.clone();
    // Appends answered so far, per client: the kill waits for some from each.
    let progress: Arc<Vec<AtomicUsize>> = Arc::new((0..ids.len()).map(|_| AtomicUsize::new(0)).collect());
    let clients: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let (id, url, progress) = (id.clone(), url.clone(), progress.clone());
            std::thread::spawn(move || {
                let client = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
                let mut answered = 0;
                for round in 0..100_000 {
                    let command = format!("echo {round} >> log.txt");
                    let sent = client
                        .post(format!("{url}/v1/sandboxes/{id}/exec"))
                        .bearer_auth(TOKEN)
                        .json(&json!({"command": command}))
                        .send();
                    match sent {
                        Ok(response) if response.status() == StatusCode::OK => answered = round + 1,
                        _ => break,
                    }
                    progress[n].store(answered, Ordering::SeqCst);
                    if n == 0 && round % 5 == 0 {
                        // Garbage from the same client does no harm.
                        let _ = client
                            .post(format!("{url}/v1/sandboxes/{id}/exec"))
                            .bearer_auth(TOKEN)
                            .body("\u{0}{{garbage")
                            .send();
                    }
                }
                answered
            })
        })
        .collect();
    // A client that leaves in the middle of a stream.
    let response = server
        .post(
            &format!("/v1/sandboxes/{}/exec", ids[0]),
            json!({"command": "for i in $(seq 1 200); do echo line $i; done; sleep 1"}),
        )
        .header("Accept", "text/event-stream")
        .send()
        .unwrap();
    let mut lines = BufReader::new(response).lines();
    let _ = lines.next();
    drop(lines);

    // Kill in the middle of the work: once every client has had a few
    // appends answered, however loaded the machine.
    let deadline = Instant::now() + Duration::from_secs(120);
    while progress.iter().any(|p| p.load(Ordering::SeqCst) < 5) {
        assert!(Instant::now() < deadline, "the clients made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    server.kill9();
    let answered: Vec<usize> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    assert!(answered.iter().all(|&n| n > 0), "{answered:?}");

    let server = Server::start(data.path(), &[], Some(TOKEN));
    for (id, &answered) in ids.iter().zip(&answered) {
        let shown: Value = server.get(&format!("/v1/sandboxes/{id}")).send().unwrap().json().unwrap();
        assert_eq!(shown["state"], "paused", "{shown}");
        let log = server.exec(id, json!({"command": "cat log.txt"}));
        let rounds: Vec<usize> = log["stdout"].as_str().unwrap().lines().map(|l| l.parse().unwrap()).collect();
        // Every answered write is there, in order, whole; at most the one in
        // flight at the kill is there too.
        assert!(rounds.len() == answered || rounds.len() == answered + 1, "{id}: {answered} answered, log {rounds:?}");
        assert!(rounds.iter().enumerate().all(|(i, &r)| i == r), "{id}: {rounds:?}");
    }
    // A sandbox that was not persistent is gone.
    assert_eq!(server.get(&format!("/v1/sandboxes/{ephemeral}")).send().unwrap().status(), StatusCode::NOT_FOUND);
}

/// Reads server-sent events until the stream ends: (event, data) pairs.
fn read_events(response: Response) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    let mut name = String::new();
    for line in BufReader::new(response).lines() {
        let line = line.unwrap();
        if let Some(event) = line.strip_prefix("event: ") {
            name = event.to_string();
        } else if let Some(data) = line.strip_prefix("data: ") {
            events.push((name.clone(), serde_json::from_str(data).unwrap()));
        }
    }
    events
}

#[test]
fn background_processes_take_stdin_stream_their_output_and_end_when_killed() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[], Some(TOKEN));
    let id = server.create(json!({}));
    let processes = format!("/v1/sandboxes/{id}/processes");
    let start = |command: &str| -> u64 {
        let response = server.post(&processes, json!({"command": command, "timeout_s": 60})).send().unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().unwrap()["pid"].as_u64().unwrap()
    };

    // Followed live: the stream is open before the process has written.
    let echo = start("read first; echo got $first; while read l; do echo $l; done > rest.txt; echo done >&2");
    let follower = {
        let (client, url) = (server.client.clone(), server.at(&format!("{processes}/{echo}/events")));
        std::thread::spawn(move || read_events(client.get(url).bearer_auth(TOKEN).send().unwrap()))
    };
    let stdin = |pid: u64, query: &str, body: &str| {
        let url = server.at(&format!("{processes}/{pid}/stdin{query}"));
        server.client.post(url).bearer_auth(TOKEN).body(body.to_string()).send().unwrap().status()
    };
    assert_eq!(stdin(echo, "", "one\n"), StatusCode::NO_CONTENT);
    assert_eq!(stdin(echo, "?eof=1", "two\nthree\n"), StatusCode::NO_CONTENT);
    let live = follower.join().unwrap();
    let names: Vec<&str> = live.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["stdout", "stderr", "exit"], "{live:?}");
    assert_eq!(live[0].1["data"], "got one\n");
    assert_eq!(live[2].1["exit_code"], 0);
    // Replayed from the start once it has ended; its files stay.
    let replay = read_events(server.get(&format!("{processes}/{echo}/events")).send().unwrap());
    assert_eq!(replay.len(), 3);
    assert_eq!(server.exec(&id, json!({"command": "cat rest.txt"}))["stdout"], "two\nthree\n");
    assert_eq!(stdin(echo, "", "late\n"), StatusCode::CONFLICT);

    // A process that would run for minutes ends when killed, with its
    // children; the sandbox goes on.
    let sleeper = start("sleep 300 & sleep 300; wait");
    let shown: Value = server.get(&format!("{processes}/{sleeper}")).send().unwrap().json().unwrap();
    assert_eq!(shown["running"], true);
    let response =
        server.client.post(server.at(&format!("{processes}/{sleeper}/kill"))).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let ended = read_events(server.get(&format!("{processes}/{sleeper}/events")).send().unwrap());
    let (last, exit) = ended.last().unwrap();
    assert_eq!((last.as_str(), exit["exit_code"].as_i64()), ("exit", Some(137)), "{ended:?}");
    let listed: Value = server.get(&processes).send().unwrap().json().unwrap();
    assert_eq!(listed["processes"].as_array().unwrap().len(), 2);
    assert_eq!(server.exec(&id, json!({"command": "echo still here"}))["stdout"], "still here\n");
    assert_eq!(server.get(&format!("{processes}/99")).send().unwrap().status(), StatusCode::NOT_FOUND);
}

/// `POST …/python`: a long-lived interpreter per sandbox — variables and
/// imports persist, a final expression's repr is the result, errors come
/// back with their traceback, a runaway cell is stopped without losing
/// the sandbox, and the next cell gets a fresh interpreter.
#[test]
fn persistent_python_interpreters_keep_state_between_calls() {
    common::lane::install("python");
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[], Some(TOKEN));
    let id = server.create(json!({}));
    let cell = |code: &str, timeout: f64| -> Value {
        let response = server
            .post(&format!("/v1/sandboxes/{id}/python"), json!({"code": code, "timeout_s": timeout}))
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().unwrap()
    };
    let first = cell("import numpy as np\nx = np.arange(5)\nprint('made', len(x))\nx.sum()", 120.0);
    assert_eq!(
        (first["stdout"].as_str(), first["result"].as_str()),
        (Some("made 5\n"), Some("np.int32(10)")),
        "{first}"
    );
    assert_eq!(first["interpreter"]["fresh"], true);
    let second = cell("import sys\nprint('err', file=sys.stderr)\n{'sum': int(x.sum() * 2)}", 30.0);
    assert_eq!(second["result"], "{'sum': 20}", "{second}");
    assert_eq!((second["stderr"].as_str(), second["interpreter"]["fresh"].as_bool()), (Some("err\n"), Some(false)));
    let pid = second["interpreter"]["pid"].clone();
    assert_eq!(first["interpreter"]["pid"], pid);

    let failed = cell("def f():\n    return 1 / 0\nf()", 30.0);
    assert_eq!(failed["error"]["name"], "ZeroDivisionError", "{failed}");
    let traceback = failed["error"]["traceback"].as_str().unwrap();
    assert!(traceback.contains("<cell 3>") && traceback.contains("return 1 / 0"), "{traceback}");
    assert!(!traceback.contains("def main"), "{traceback}");
    assert_eq!(cell("x.tolist()", 30.0)["result"], "[0, 1, 2, 3, 4]");

    // Streamed: output events as the cell writes them, then the result.
    let streamed = server
        .post(
            &format!("/v1/sandboxes/{id}/python"),
            json!({"code": "import sys\nprint('one', flush=True)\nprint('two', file=sys.stderr)\nlen(x)"}),
        )
        .header("Accept", "text/event-stream")
        .send()
        .unwrap();
    let events = read_events(streamed);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.last(), Some(&"result"), "{events:?}");
    let text = |stream: &str| -> String {
        events.iter().filter(|(n, _)| n == stream).map(|(_, e)| e["data"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!((text("stdout"), text("stderr")), ("one\n".to_string(), "two\n".to_string()), "{events:?}");
    let last = &events.last().unwrap().1;
    assert_eq!((last["result"].as_str(), last["stdout"].as_str()), (Some("5"), Some("")), "{last}");

    // Files a cell writes are the sandbox's; a runaway cell is stopped.
    cell("open('/tmp/cell.txt', 'w').write('from a cell')", 30.0);
    assert_eq!(server.exec(&id, json!({"command": "cat /tmp/cell.txt"}))["stdout"], "from a cell");
    let spun = cell("while True:\n    pass", 2.0);
    assert_eq!(spun["error"]["name"], "TimeoutError", "{spun}");
    let after = cell("'x' in globals()", 60.0);
    assert_eq!(
        (after["result"].as_str(), after["interpreter"]["fresh"].as_bool()),
        (Some("False"), Some(true)),
        "{after}"
    );
    assert_ne!(after["interpreter"]["pid"], pid);
    assert_eq!(server.exec(&id, json!({"command": "cat /tmp/cell.txt"}))["stdout"], "from a cell");
}

#[test]
fn capsa_sh_attaches_to_a_sandbox_over_the_shell_websocket() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[], Some(TOKEN));
    let id = server.create(json!({}));
    server.exec(&id, json!({"command": "echo from-exec > note.txt"}));
    let sh = |args: &[&str], input: &str| common::remote_sh(&server.url, TOKEN, args, input);
    // Lines keep the shell's state; a continued line waits for its end;
    // output and the last status come back.
    let input = "cat note.txt\nx=5; cd /tmp\necho $x $(pwd)\nif true; then\necho multi\nfi\necho oops >&2\nexit 3\n";
    let out = sh(&["--sandbox", &id], input);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from-exec\n5 /tmp\nmulti\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "oops\n");
    assert_eq!(out.status.code(), Some(3));
    // Without --sandbox: a new one, deleted at the end.
    let out = sh(&[], "echo fresh; ls\n");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "fresh\n");
    let listed: Value = server.get("/v1/sandboxes").send().unwrap().json().unwrap();
    assert_eq!(listed["sandboxes"].as_array().unwrap().len(), 1);
    // A wrong token: a clear error, no shell.
    let out = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["sh", "--server", &server.url, "--sandbox", &id])
        .env("CAPSA_TOKEN", "wrong")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn sigterm_stops_the_server_and_keeps_what_running_work_wrote() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), &[], Some(TOKEN));
    let id = server.create(json!({"persistent": true}));
    // A background process that writes, then would run for minutes.
    let response = server
        .post(
            &format!("/v1/sandboxes/{id}/processes"),
            json!({"command": "echo written > bg.txt; sleep 300", "timeout_s": 600}),
        )
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.get(&format!("/v1/sandboxes/{id}/files/home/user/bg.txt")).send().unwrap().status() != StatusCode::OK {
        assert!(Instant::now() < deadline, "the process did not write");
        std::thread::sleep(Duration::from_millis(50));
    }
    let started = Instant::now();
    let term = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let server = Server::start(data.path(), &[], Some(TOKEN));
    assert_eq!(server.exec(&id, json!({"command": "cat bg.txt"}))["stdout"], "written\n");
}

mod common;

/// npm's `piston-client`, installed from the registry into `dir`, driven by
/// a node script against our server: what a Piston user's code does.
fn piston_client(dir: &Path, server: &str, script: &str) -> Value {
    if !dir.join("node_modules/piston-client").exists() {
        let out = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(dir)
            .arg("piston-client@1.0.2")
            .output()
            .expect("npm");
        assert!(out.status.success(), "npm install piston-client: {}", String::from_utf8_lossy(&out.stderr));
    }
    let program = format!(
        "import piston from '{}/node_modules/piston-client/index.js';\n\
         const client = piston({{ server: '{server}' }});\n\
         const results = {{}};\n{script}\n\
         console.log(JSON.stringify(results));\n",
        dir.display()
    );
    let path = dir.join("drive.mjs");
    std::fs::write(&path, program).unwrap();
    let out = Command::new("node").arg(&path).output().expect("node");
    assert!(out.status.success(), "node: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn piston_client_runs_c_python_and_js_with_compile_errors_and_timeouts() {
    for lane in ["c", "python", "javascript"] {
        common::lane::install(lane);
    }
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--allow-anonymous"], Some(TOKEN));
    let node = tempfile::tempdir().unwrap();
    let results = piston_client(
        node.path(),
        &server.url,
        r#"
        results.runtimes = await client.runtimes();
        results.c = await client.execute('c', '#include <stdio.h>\nint main(int c, char **v) { printf("%d %s\\n", c, v[1]); return 3; }');
        results.python = await client.execute('python', 'import sys\nprint(input().upper(), sys.argv[1:])', { stdin: 'hello\n' });
        results.js = await client.execute('javascript', 'console.log([1, 2, 3].map(x => x * 2).join(","))');
        results.broken = await client.execute('c', 'int main(void) { return missing; }');
        results.spin = await client.execute('python', 'while True: pass', { runTimeout: 500 });
        "#,
    );
    let languages: Vec<&str> =
        results["runtimes"].as_array().unwrap().iter().map(|r| r["language"].as_str().unwrap()).collect();
    for language in ["c", "c++", "python", "javascript", "typescript", "lua", "go", "bash"] {
        assert!(languages.contains(&language), "{language} is not in {languages:?}");
    }
    let run = |name: &str| results[name]["run"].clone();
    assert_eq!((run("c")["stdout"].as_str(), run("c")["code"].as_i64()), (Some("4 1\n"), Some(3)), "{}", results["c"]);
    assert_eq!(run("c")["status"], "RE");
    assert_eq!(results["c"]["compile"]["code"], 0);
    assert_eq!(run("python")["stdout"], "HELLO ['1', '2', '3']\n", "{}", results["python"]);
    assert_eq!(run("js")["output"], "2,4,6\n", "{}", results["js"]);
    let broken = &results["broken"];
    assert_eq!(broken["compile"]["code"], 1, "{broken}");
    assert!(broken["compile"]["stderr"].as_str().unwrap().contains("main.c:1:"), "{broken}");
    assert!(!broken["compile"]["stderr"].as_str().unwrap().contains("/tmp"), "{broken}");
    assert!(broken["run"].is_null(), "{broken}");
    assert_eq!(
        (run("spin")["status"].as_str(), run("spin")["signal"].as_str()),
        (Some("TO"), Some("SIGKILL")),
        "{}",
        results["spin"]
    );

    // Piston's answer to a bad request, and to an unknown language.
    let response = server.client.post(server.at("/api/v2/execute")).body("{").send().unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.json::<Value>().unwrap()["message"].is_string());
    let body = json!({"language": "cobol", "version": "*", "files": [{"content": "x"}]});
    let response = server.client.post(server.at("/api/v2/execute")).json(&body).send().unwrap();
    assert_eq!(response.json::<Value>().unwrap()["message"], "cobol-* runtime is unknown");
}

/// A Python virtual environment in `dir` with `package` from PyPI; its
/// interpreter.
fn venv_with(dir: &Path, package: &str) -> std::path::PathBuf {
    let made = Command::new("python3").args(["-m", "venv"]).arg(dir).status().unwrap();
    assert!(made.success(), "python3 -m venv");
    let python = dir.join("bin/python");
    let pip = Command::new(&python).args(["-m", "pip", "install", "-q", package]).output().unwrap();
    assert!(pip.status.success(), "pip install {package}: {}", String::from_utf8_lossy(&pip.stderr));
    python
}

#[test]
fn judge0s_official_sdk_runs_submissions_batches_and_compile_errors() {
    for lane in ["c", "python"] {
        common::lane::install(lane);
    }
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[], Some(TOKEN));
    // PyPI's judge0 (the official SDK) in a virtual environment of its own.
    let venv = tempfile::tempdir().unwrap();
    let python = venv_with(venv.path(), "judge0==0.0.8");
    let script = format!(
        r#"
import json, judge0
client = judge0.Client("{url}", {{"X-Auth-Token": "{TOKEN}"}})
out = {{}}
r = judge0.run(client=client, source_code="print(input()[::-1])", language=judge0.PYTHON, stdin="hello", expected_output="olleh")
out["reverse"] = [r.status.value, r.stdout, float(r.time) >= 0]
r = judge0.run(client=client, source_code="print(1)", language=judge0.PYTHON, expected_output="2")
out["wrong"] = r.status.value
r = judge0.run(client=client, source_code="int main(void) {{ return missing; }}", language=judge0.C)
out["compile"] = [r.status.value, r.compile_output]
r = judge0.run(client=client, source_code="import sys\nsys.exit(4)", language=judge0.PYTHON)
out["nzec"] = [r.status.value, r.exit_code]
r = judge0.run(client=client, source_code="while True: pass", language=judge0.PYTHON, cpu_time_limit=0.5, wall_time_limit=1)
out["tle"] = r.status.value
subs = [judge0.Submission(source_code="print(%d * 2)" % i, language=judge0.PYTHON) for i in range(3)]
out["batch"] = [[s.status.value, s.stdout] for s in judge0.run(client=client, submissions=subs)]
print(json.dumps(out))
"#,
        url = server.url
    );
    let run = Command::new(&python).arg("-c").arg(script).output().unwrap();
    assert!(run.status.success(), "the SDK: {}", String::from_utf8_lossy(&run.stderr));
    let out: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(out["reverse"], json!([3, "olleh\n", true]), "{out}");
    assert_eq!(out["wrong"], 4, "{out}");
    assert_eq!(out["compile"][0], 6, "{out}");
    assert!(out["compile"][1].as_str().unwrap().contains("main.c:1:"), "{out}");
    assert_eq!(out["nzec"], json!([11, 4]), "{out}");
    assert_eq!(out["tle"], 5, "{out}");
    assert_eq!(out["batch"], json!([[3, "0\n"], [3, "2\n"], [3, "4\n"]]), "{out}");

    // Judge0's own answers to bad input; another tenant's token sees nothing.
    let post = |body: Value| {
        server.client.post(server.at("/submissions")).header("X-Auth-Token", TOKEN).json(&body).send().unwrap()
    };
    let response = post(json!({"source_code": "print(1)", "language_id": 999}));
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.json::<Value>().unwrap()["language_id"].is_array());
    let response =
        post(json!({"source_code": "x", "language_id": 71, "callback_url": "http://169.254.169.254/latest"}));
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = server.client.get(server.at("/about")).send().unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let about: Value =
        server.client.get(server.at("/about")).header("X-Auth-Token", TOKEN).send().unwrap().json().unwrap();
    assert_eq!(about["version"], "1.13.1");
}

/// The official MCP SDK's client (PyPI `mcp`) over stdio (`capsa mcp`) and
/// over streamable HTTP (`/mcp`): the same tools, answers and tool errors.
#[test]
fn the_mcp_sdk_uses_the_tools_over_stdio_and_http() {
    common::lane::install("python");
    let data = tempfile::tempdir().unwrap();
    let cache = common::cache();
    let server = Server::start(data.path(), &[], Some(TOKEN));
    let venv = tempfile::tempdir().unwrap();
    let python = venv_with(venv.path(), "mcp==2.3.0");
    let script = r#"
import asyncio, json, sys
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
capsa, data, cache, url, token = sys.argv[1:6]

def text(result):
    error = result.is_error if hasattr(result, "is_error") else result.isError
    return [error, "".join(c.text for c in result.content if getattr(c, "type", "") == "text")]

async def drive(session):
    await session.initialize()
    out = {"tools": sorted(t.name for t in (await session.list_tools()).tools)}
    out["exec"] = text(await session.call_tool("exec", {"command": "echo hi; echo $((6*7))"}))
    out["write"] = text(await session.call_tool("write_file", {"path": "notes.txt", "content": "abc"}))
    out["read"] = text(await session.call_tool("read_file", {"path": "notes.txt"}))
    out["missing"] = text(await session.call_tool("read_file", {"path": "/nope"}))
    out["no_command"] = text(await session.call_tool("exec", {}))
    out["run_code"] = text(await session.call_tool("run_code", {"language": "bash", "code": "echo one-shot"}))
    out["python1"] = text(await session.call_tool("python", {"code": "total = sum(range(10))\nprint('kept')"}))
    out["python2"] = text(await session.call_tool("python", {"code": "total * 2"}))
    return out

async def main():
    out = {}
    params = StdioServerParameters(command=capsa, args=["mcp", "--data-dir", data, "--cache-dir", cache])
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w) as s:
            out["stdio"] = await drive(s)
    client = create_mcp_http_client(headers={"Authorization": "Bearer " + token})
    async with streamable_http_client(url + "/mcp", http_client=client) as (r, w, *_):
        async with ClientSession(r, w) as s:
            out["http"] = await drive(s)
    print(json.dumps(out))

asyncio.run(main())
"#;
    let mcp_data = tempfile::tempdir().unwrap();
    let run = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_capsa"))
        .arg(mcp_data.path())
        .arg(&cache)
        .arg(&server.url)
        .arg(TOKEN)
        .output()
        .unwrap();
    assert!(run.status.success(), "the MCP client: {}", String::from_utf8_lossy(&run.stderr));
    let out: Value = serde_json::from_slice(&run.stdout).unwrap();
    for transport in ["stdio", "http"] {
        let out = &out[transport];
        let tools: Vec<&str> = out["tools"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(
            tools,
            [
                "exec",
                "list_files",
                "python",
                "read_file",
                "run_code",
                "sandbox_create",
                "sandbox_delete",
                "sandbox_list",
                "snapshot",
                "write_file"
            ]
        );
        assert_eq!(out["exec"], json!([false, "exit code: 0\nstdout:\nhi\n42\n"]), "{transport}: {out}");
        assert_eq!(out["read"], json!([false, "abc"]), "{transport}: {out}");
        assert_eq!(out["missing"][0], true, "{transport}: {out}");
        assert_eq!(out["no_command"][0], true, "{transport}: {out}");
        assert_eq!(out["run_code"], json!([false, "exit code: 0\nstdout:\none-shot\n"]), "{transport}: {out}");
        assert_eq!(out["python1"], json!([false, "stdout:\nkept\n"]), "{transport}: {out}");
        assert_eq!(out["python2"], json!([false, "90"]), "{transport}: {out}");
    }
    // /mcp without a token is refused like every other call.
    let response = server
        .client
        .post(server.at("/mcp"))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// The Python SDK (`clients/python`) installed with pip and its pytest suite
/// run against a real server.
#[test]
fn python_sdk_tests_pass_against_a_real_server() {
    common::lane::install("python");
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[], Some(TOKEN));
    let venv = tempfile::tempdir().unwrap();
    let python = venv_with(venv.path(), "pytest");
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/python");
    // Built from a copy, so the checkout gets no build/ or egg-info.
    let copy = venv.path().join("sdk");
    std::fs::create_dir_all(copy.join("capsa")).unwrap();
    for file in ["pyproject.toml", "README.md", "capsa/__init__.py"] {
        std::fs::copy(sdk.join(file), copy.join(file)).unwrap();
    }
    let pip = Command::new(&python).args(["-m", "pip", "install", "-q"]).arg(&copy).output().unwrap();
    assert!(pip.status.success(), "pip install clients/python: {}", String::from_utf8_lossy(&pip.stderr));
    let run = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(sdk.join("tests"))
        .env("CAPSA_URL", &server.url)
        .env("CAPSA_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "pytest: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}
