#!/usr/bin/env bash
# Installs the Debian packages that building test fixtures and running benchmarks need,
# skipping what is already installed. Needs root (or sudo). Idempotent.
# docker-registry: the OCI registry the registry tests start themselves (test/support/registry.ts;
# its packaged service is not used); apache2-utils: `htpasswd` for their auth test; chromium: the
# headless browser the admin dashboard test drives (playwright-core, test/e2e/serve-dashboard.test.ts).
set -euo pipefail

packages=(clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt binaryen dpkg-dev
          build-essential zlib1g-dev lua5.4 redis-server wrk hyperfine curl
          docker-registry apache2-utils chromium)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# `apt-get source` (Lua, zlib built from Debian's sources) needs deb-src entries.
need_src=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  need_src=1
fi

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if [ "$need_src" = 1 ]; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee /etc/apt/sources.list.d/wasmlet-src.sources >/dev/null
  else
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/wasmlet-src.list >/dev/null
  fi
fi
if [ "${#missing[@]}" -gt 0 ] || [ "$need_src" = 1 ]; then
  $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
