#!/usr/bin/env bash
# The service's figures (docs/benchmarks.md, "capsa serve"), each beside its
# reference measured in the same run: a sandbox created and its first
# command (`true`) answered, against `capsa exec true` as a process; execs
# per second of `true` from 8 clients; host memory per idle sandbox; N
# sandboxes each running 20 execs with no error.
#
# Also Piston's execute of a trivial Python program through the server (p50,
# runs/s from 8 clients); the Python lane is installed into the cache first.
#
# Needs: python3, hyperfine (apt-get install hyperfine).
# Usage: bench/service.sh [CREATES] [SANDBOXES] [CACHE_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
creates=${1:-1000}
sandboxes=${2:-500}
cache=(); [ -n "${3:-}" ] && cache=(--cache-dir "$3")
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release -q -p capsa-cli
capsa=$PWD/target/release/capsa
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$capsa" lanes install python "${cache[@]}" >/dev/null
CAPSA_TOKEN=bench "$capsa" serve --listen "127.0.0.1:$port" --data-dir "$work/data" "${cache[@]}" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null; do sleep 0.1; done

echo "## capsa exec true, as a process (reference)"
hyperfine -N -w 5 -r 100 --export-json "$work/exec.json" "$capsa exec true" >/dev/null
python3 - "$work/exec.json" <<'PY'
import json, sys
times = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
print(f"capsa exec true: p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms")
PY

python3 - "$port" "$creates" "$sandboxes" "$server" <<'PY'
import json, sys, time, threading, http.client
port, creates, sandboxes, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
H = {"Authorization": "Bearer bench", "Content-Type": "application/json"}

def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=H)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: {r.status} {data[:200]}")
    return json.loads(data) if data else None

def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

conn = http.client.HTTPConnection("127.0.0.1", port)
# Warm: the first sandbox loads the suite's modules.
sid = call(conn, "POST", "/v1/sandboxes", {})["id"]
call(conn, "POST", f"/v1/sandboxes/{sid}/exec", {"command": "true"})
call(conn, "DELETE", f"/v1/sandboxes/{sid}")

lat = []
for _ in range(creates):
    t = time.perf_counter()
    sid = call(conn, "POST", "/v1/sandboxes", {})["id"]
    out = call(conn, "POST", f"/v1/sandboxes/{sid}/exec", {"command": "true"})
    lat.append(time.perf_counter() - t)
    assert out["exit_code"] == 0, out
    call(conn, "DELETE", f"/v1/sandboxes/{sid}")
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print(f"create + first exec over HTTP ({creates}): p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms")

# Throughput: 8 clients, each its own sandbox, for ~5 s.
ids = [call(conn, "POST", "/v1/sandboxes", {})["id"] for _ in range(8)]
count = [0] * 8
stop = time.perf_counter() + 5
def client(n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    while time.perf_counter() < stop:
        call(c, "POST", f"/v1/sandboxes/{ids[n]}/exec", {"command": "true"})
        count[n] += 1
threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
t = time.perf_counter()
for th in threads: th.start()
for th in threads: th.join()
print(f"execs of true per second, 8 clients: {sum(count) / (time.perf_counter() - t):.0f}")
for sid in ids:
    call(conn, "DELETE", f"/v1/sandboxes/{sid}")

# Memory per idle sandbox, and N sandboxes x 20 execs with no error.
before = rss_kib()
ids = [call(conn, "POST", "/v1/sandboxes", {})["id"] for _ in range(sandboxes)]
for sid in ids:
    call(conn, "POST", f"/v1/sandboxes/{sid}/exec", {"command": "true"})
after = rss_kib()
print(f"host memory per idle sandbox ({sandboxes}, each after one exec): {(after - before) / sandboxes:.0f} KiB")
errors = [0]
def worker(chunk):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for sid in chunk:
        for _ in range(20):
            try:
                out = call(c, "POST", f"/v1/sandboxes/{sid}/exec", {"command": "echo ok"})
                if out["stdout"] != "ok\n": errors[0] += 1
            except Exception:
                errors[0] += 1
threads = [threading.Thread(target=worker, args=(ids[n::16],)) for n in range(16)]
t = time.perf_counter()
for th in threads: th.start()
for th in threads: th.join()
print(f"{sandboxes} sandboxes x 20 execs: {errors[0]} errors, {time.perf_counter() - t:.1f} s")
for sid in ids:
    call(conn, "DELETE", f"/v1/sandboxes/{sid}")

# Piston: a trivial Python program, one client (p50), then 8 clients (runs/s).
job = {"language": "python", "version": "*", "files": [{"content": "print('hi')"}]}
call(conn, "POST", "/api/v2/execute", job)
lat = []
for _ in range(100):
    t = time.perf_counter()
    out = call(conn, "POST", "/api/v2/execute", job)
    lat.append(time.perf_counter() - t)
    assert out["run"]["stdout"] == "hi\n", out
lat.sort()
print(f"Piston execute, Python print: p50 {lat[50] * 1000:.1f} ms, p95 {lat[95] * 1000:.1f} ms")
count = [0] * 8
stop = time.perf_counter() + 5
def piston(n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    while time.perf_counter() < stop:
        call(c, "POST", "/api/v2/execute", job)
        count[n] += 1
threads = [threading.Thread(target=piston, args=(n,)) for n in range(8)]
t = time.perf_counter()
for th in threads: th.start()
for th in threads: th.join()
print(f"Piston executes of Python per second, 8 clients: {sum(count) / (time.perf_counter() - t):.0f}")
PY
