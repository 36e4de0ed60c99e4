#!/usr/bin/env bash
# Builds every fuzz target and runs each for a few seconds from the checked-in
# seed corpus. Exits non-zero if a build fails or a target crashes, hangs or
# leaks past its limits. For CI; longer runs are described in README.md.
#
# Usage: fuzz/smoke.sh [SECONDS_PER_TARGET]   (default 20)
#
# cargo-fuzz needs nightly flags; the pinned stable toolchain accepts them
# with RUSTC_BOOTSTRAP=1. `-s none`: no sanitizer (the kernel and the adapter
# forbid unsafe code; the targets look for panics, hangs, divergences from
# the model and excessive memory, not memory corruption).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
targets=(vfs_model preview1_calls manifest)
export RUSTC_BOOTSTRAP=1
# 16 codegen units: a much shorter cold build (wasmtime and cranelift
# dominate it) for slightly slower fuzzing.
build_flags=(-s none -O --codegen-units 16)

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

start=$(date +%s)
cargo fuzz build "${build_flags[@]}"
built=$(date +%s)
echo "smoke: build took $((built - start)) s"

# The fuzzer adds what it finds to its corpus directory: work on a copy so
# the checked-in seeds stay as they are.
work=target/smoke-corpus
mkdir -p artifacts
status=0
for target in "${targets[@]}"; do
    rm -rf "${work:?}/$target"
    mkdir -p "$work/$target" "artifacts/$target"
    cp corpus/"$target"/* "$work/$target/"
    # The regression reproducers must not crash any more either.
    if compgen -G "regressions/$target/*" >/dev/null; then
        cp regressions/"$target"/* "$work/$target/"
    fi
    echo "smoke: $target for ${seconds}s"
    if ! cargo fuzz run "${build_flags[@]}" "$target" "$work/$target" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="artifacts/$target/" 2>"target/smoke-$target.log"; then
        echo "smoke: $target FAILED; the end of its log (full log: fuzz/target/smoke-$target.log):"
        tail -n 60 "target/smoke-$target.log"
        status=1
    else
        grep -E '^(stat::number_of_executed_units|Done)' "target/smoke-$target.log" || true
    fi
done
echo "smoke: total $(($(date +%s) - start)) s"
exit "$status"
