#!/usr/bin/env bash
# The cluster's figures (docs/scaling.md), each beside its reference in the
# same run: one-shot runs (Piston `bash`, `echo hi`) and sandbox execs
# (`true`) through a front-end with 1 and with 2 workers, against the
# single-process `capsa serve`; and a new worker's first command with an
# empty module cache, fetching the cluster's compiled modules, against a
# cold `capsa exec true` compiling them.
#
# Needs: python3, nats-server (apt-get install nats-server).
# Usage: bench/cluster.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || { echo "bench: nats-server is missing" >&2; exit 2; }
PATH=$PATH:/usr/sbin
cargo build --release -q -p capsa-cli
capsa=$PWD/target/release/capsa
work=$(mktemp -d)
pids=()
trap 'kill ${pids[@]} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_health() { until curl -sf "http://127.0.0.1:$1/v1/health" | grep -q "$2"; do sleep 0.1; done; }

nats_port=$(free_port)
printf 'listen: 127.0.0.1:%s\njetstream { store_dir: "%s/js" }\nmax_payload: 8MB\n' "$nats_port" "$work" > "$work/nats.conf"
nats-server -c "$work/nats.conf" >"$work/nats.log" 2>&1 & pids+=($!)
nats=nats://127.0.0.1:$nats_port
until (exec 3<>/dev/tcp/127.0.0.1/$nats_port) 2>/dev/null; do sleep 0.1; done

measure() { # PORT LABEL
python3 - "$1" "$2" "$seconds" <<'PY'
import json, sys, time, threading, http.client
port, label, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
H = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=H)
    r = conn.getresponse(); data = r.read()
    if r.status >= 300: raise RuntimeError(f"{method} {path}: {r.status} {data[:200]}")
    return json.loads(data) if data else None
conn = http.client.HTTPConnection("127.0.0.1", port)
job = {"language": "bash", "version": "*", "files": [{"content": "echo hi"}]}
for _ in range(5): call(conn, "POST", "/api/v2/execute", job)
lat = []
for _ in range(50):
    t = time.perf_counter(); out = call(conn, "POST", "/api/v2/execute", job); lat.append(time.perf_counter() - t)
    assert out["run"]["stdout"] == "hi\n", out
lat.sort()
def rate(work):
    count = [0] * 8; stop = time.perf_counter() + seconds
    def client(n):
        c = http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < stop: work(c, n); count[n] += 1
    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    t = time.perf_counter()
    for th in threads: th.start()
    for th in threads: th.join()
    return sum(count) / (time.perf_counter() - t)
runs = rate(lambda c, n: call(c, "POST", "/api/v2/execute", job))
ids = [call(conn, "POST", "/v1/sandboxes", {})["id"] for _ in range(8)]
elat = []
for _ in range(50):
    t = time.perf_counter(); call(conn, "POST", f"/v1/sandboxes/{ids[0]}/exec", {"command": "true"}); elat.append(time.perf_counter() - t)
elat.sort()
execs = rate(lambda c, n: call(c, "POST", f"/v1/sandboxes/{ids[n]}/exec", {"command": "true"}))
for sid in ids: call(conn, "DELETE", f"/v1/sandboxes/{sid}")
print(f"{label}: one-shot p50 {lat[25]*1000:.1f} ms, {runs:.0f} runs/s (8 clients); "
      f"exec p50 {elat[25]*1000:.1f} ms, {execs:.0f} execs/s (8 clients)")
PY
}

echo "## single process (reference)"
port=$(free_port)
CAPSA_TOKEN=bench "$capsa" serve --listen "127.0.0.1:$port" --data-dir "$work/single" 2>"$work/single.log" & single=$!
wait_health "$port" '"ok"'
measure "$port" "capsa serve"
kill "$single"; wait "$single" 2>/dev/null || true

echo "## cluster: a front-end and 1, then 2 workers"
"$capsa" worker --nats "$nats" --data-dir "$work/w1" 2>"$work/w1.log" & pids+=($!)
port=$(free_port)
CAPSA_TOKEN=bench "$capsa" serve --nats "$nats" --listen "127.0.0.1:$port" --data-dir "$work/front" 2>"$work/front.log" & pids+=($!)
wait_health "$port" '"ok"'
measure "$port" "front-end + 1 worker"
"$capsa" worker --nats "$nats" --data-dir "$work/w2" 2>"$work/w2.log" & pids+=($!)
until [ "$(curl -sf "http://127.0.0.1:$port/v1/health" | grep -o '"id":"w-' | wc -l)" = 2 ]; do sleep 0.1; done
measure "$port" "front-end + 2 workers"

echo "## failover: a persistent sandbox's worker killed (kill -9)"
python3 - "$port" "$work" <<'PY'
import json, os, signal, sys, time, http.client
port, work = int(sys.argv[1]), sys.argv[2]
H = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=H)
    r = c.getresponse(); data = r.read()
    return r.status, dict(r.getheaders()), (json.loads(data) if data else None)
status, headers, made = call("POST", "/v1/sandboxes", {"persistent": True})
sid, worker = made["id"], headers["x-capsa-worker"]
for n in range(50):
    call("POST", f"/v1/sandboxes/{sid}/exec", {"command": f"echo {n} > f{n}"})
lat = []
for _ in range(20):
    t = time.perf_counter(); call("POST", f"/v1/sandboxes/{sid}/exec", {"command": "true"}); lat.append(time.perf_counter() - t)
lat.sort()
pid = next(int(p) for p in os.listdir("/proc") if p.isdigit() and os.path.exists(f"/proc/{p}/cmdline")
           and f"{work}/w" in open(f"/proc/{p}/cmdline").read() and os.path.isdir(
               open(f"/proc/{p}/cmdline").read().split("\0")[open(f"/proc/{p}/cmdline").read().split("\0").index("--data-dir") + 1] + f"/workers/{worker}"))
os.kill(pid, signal.SIGKILL)
t = time.perf_counter(); retries = 0
while True:
    status, _, out = call("POST", f"/v1/sandboxes/{sid}/exec", {"command": "ls | wc -l"})
    if status == 200: break
    retries += 1; time.sleep(0.1)
moved = time.perf_counter() - t
assert out["stdout"].strip() == "50", out
print(f"exec on a persistent sandbox: p50 {lat[10]*1000:.1f} ms; first exec after its worker died "
      f"(restored elsewhere, 50 files): {moved*1000:.0f} ms, {retries} retryable errors")
PY
"$capsa" worker --nats "$nats" --data-dir "$work/w2b" 2>"$work/w2b.log" & pids+=($!)

echo "## a new worker's first command: modules fetched vs compiled"
sleep 11 # the workers share what they compiled every 10 s
python3 - "$capsa" "$nats" "$work" "$port" <<'PY'
import json, subprocess, sys, time, http.client, os
capsa, nats, work, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t = time.perf_counter()
subprocess.run([capsa, "exec", "--cache-dir", f"{work}/cold", "true"], check=True, capture_output=True)
cold = time.perf_counter() - t
# The new worker alone: the others stop taking sandboxes (SIGTERM drains them).
H = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
t = time.perf_counter()
worker = subprocess.Popen([capsa, "worker", "--nats", nats, "--data-dir", f"{work}/w3", "--cache-dir", f"{work}/fresh"],
                          stderr=subprocess.DEVNULL)
def workers():
    c = http.client.HTTPConnection("127.0.0.1", port); c.request("GET", "/v1/health"); return json.loads(c.getresponse().read())["cluster"]["workers"]
while len(workers()) < 3: time.sleep(0.05)
fresh = next(w for w in workers() if w["sandboxes"] == 0 and w["calls"] == 0 and w["jobs"] == 0)
up = time.perf_counter() - t
fetched = sum(len(files) for _, _, files in os.walk(f"{work}/fresh/modules"))
print(f"cold capsa exec true (compiles the suite): {cold:.2f} s; a new worker up with {fetched} compiled modules fetched: {up:.2f} s")
worker.terminate(); worker.wait()
PY
