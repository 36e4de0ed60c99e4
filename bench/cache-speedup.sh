#!/usr/bin/env bash
# Compiled-module cache: first `capsa run` of a ~10 MB module (compiles and
# caches) against the second (loads the cached artifact). Prints both times
# and the ratio. Usage: bench/cache-speedup.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p capsa-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/gen_big_module.py "$work/big.wasm" "${1:-10}"
capsa=target/release/capsa
t() { local s e; s=$(date +%s.%N); "$capsa" run --cache-dir "$work/cache" "$work/big.wasm"; e=$(date +%s.%N); echo "$e - $s" | bc; }
first=$(t)
warm=$(for _ in 1 2 3 4 5; do t; done | sort -n | head -1)
echo "first run: ${first}s  warm run (best of 5): ${warm}s  speedup: $(echo "$first / $warm" | bc)x"
