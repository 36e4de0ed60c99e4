#!/usr/bin/env bash
# Whole-process benchmarks: every capsa figure beside its reference, measured
# in the same run, printed as a markdown table for docs/benchmarks.md.
#
# Needs: hyperfine (apt-get install hyperfine), the stock wasmtime CLI
# (cargo install wasmtime-cli --version 48.0.8 --locked), python3.
# Usage: bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }
wasmtime=$(command -v wasmtime || echo "$HOME/.cargo/bin/wasmtime")
[ -x "$wasmtime" ] || { echo "bench: the wasmtime CLI is missing (cargo install wasmtime-cli --version 48.0.8 --locked)" >&2; exit 2; }

cargo build --release -q -p capsa-cli
cargo build -q -p capsa-test-programs   # builds the guests
guests=guest/target/wasm32-wasip1/release
capsa=target/release/capsa
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/t" && cp "$guests/bench_true.wasm" "$work/t/bench_true" && chmod 755 "$work/t/bench_true"
rustc -O -o "$work/sieve-native" guest/test-programs/src/bin/bench_sieve.rs

mean() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"])' "$@"; }
row() { # figure, capsa seconds, reference seconds, reference name, command
  python3 - "$@" <<'PY'
import sys
fig, a, b, ref, cmd = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
def fmt(s): return f"{s*1e3:.2f} ms" if s < 1 else f"{s:.2f} s"
print(f"| {fig} | {fmt(a)} | {fmt(b)} ({ref}) | {a/b:.2f}x | `{cmd}` |")
PY
}

echo "| figure | capsa | reference | capsa / reference | reproduce |"
echo "|---|---|---|---|---|"

# 1. Start-up: a module that does nothing, capsa vs the stock wasmtime CLI.
hyperfine -N -w 3 -r "$runs" --export-json "$work/startup.json" \
  "$capsa run --stdin null $guests/bench_true.wasm" "$wasmtime run $guests/bench_true.wasm" >/dev/null
row "run a no-op module (whole process)" "$(mean "$work/startup.json" 0)" "$(mean "$work/startup.json" 1)" "wasmtime run" "bench/run.sh"

# 2. Spawn+wait inside a VM (1000 spawns of a cached no-op command), vs native bash running /bin/true 1000 times.
hyperfine -N -w 1 -r "$runs" --export-json "$work/spawn.json" \
  "$capsa run --clock --stdin null --dir $work/t:/t:ro $guests/bench_spawn.wasm /t/bench_true 1000" \
  "bash -c 'for i in \$(seq 1000); do /bin/true; done'" >/dev/null
row "1000 × spawn+wait of a no-op command" "$(mean "$work/spawn.json" 0)" "$(mean "$work/spawn.json" 1)" "bash, /bin/true" "bench/run.sh"

# 3. Compute: a sieve, capsa vs wasmtime CLI vs native.
hyperfine -N -w 1 -r "$runs" --export-json "$work/sieve.json" \
  "$capsa run --stdin null $guests/bench_sieve.wasm 50000000 3" \
  "$wasmtime run $guests/bench_sieve.wasm 50000000 3" \
  "$work/sieve-native 50000000 3" >/dev/null
row "sieve to 5e7, 3 rounds (compute)" "$(mean "$work/sieve.json" 0)" "$(mean "$work/sieve.json" 1)" "wasmtime run" "bench/run.sh"
row "sieve to 5e7, 3 rounds (compute)" "$(mean "$work/sieve.json" 0)" "$(mean "$work/sieve.json" 2)" "native" "bench/run.sh"
