#!/usr/bin/env bash
# First-request latency of `wasmlet serve` for a never-seen component (examples/http-component),
# with a cold and a warm transpile cache: time from starting the process to the first 200.
# Usage: bench/serve-component-first-request.sh [runs]   (build handler.wasm with examples/build.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node="$root/node_modules/.bin/node"
runs="${1:-3}"
port=38123
measure() { # label
  local start end
  start=$(date +%s%N)
  "$node" "$root/bin/wasmlet.js" serve "$app" --listen "127.0.0.1:$port" --workers 2 >/dev/null 2>&1 &
  local pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.01; done
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$1: $(( (end - start) / 1000000 )) ms from process start to the first 200"
}
for i in $(seq "$runs"); do
  app="$(mktemp -d)"
  cp "$root/examples/http-component/"{wasmlet.toml,handler.wasm} "$app/"
  measure "cold cache (run $i)"
  measure "warm cache (run $i)"
  rm -rf "$app"
done
