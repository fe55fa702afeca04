#!/usr/bin/env bash
# Rebuilds every example's .wasm from its source. Needs clang + wasi-libc, wabt (wat2wasm) and
# binaryen (wasm-opt) from Debian (scripts/install-deps.sh), and `npm ci` for AssemblyScript and
# componentize-js.
# Only examples/hello/hello.wasm and examples/spin-js-sdk/target/spin-js-sdk.wasm are committed
# (so `npx wasmlet serve examples/hello` and `examples/spin-js-sdk` work on a fresh clone); the
# others are built here. The Spin JS SDK app needs the npm registry (`npm pack @fermyon/spin-sdk`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

cc_wasm() { # out.wasm src.c
  clang --target=wasm32-wasi --sysroot=/usr -O2 -s "$2" -o "$1"
  wasm-opt -Oz --strip-debug --strip-producers "$1" -o "$1"
}

cc_wasm "$here/hello/hello.wasm" "$here/hello/hello.c"
cc_wasm "$here/static-files/cat.wasm" "$here/static-files/cat.c"
cc_wasm "$here/limits/grow.wasm" "$here/limits/grow.c"
clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor "$here/plugin-extism/plugin.c" -o "$here/plugin-extism/plugin.wasm"
wat2wasm "$here/limits/loop.wat" -o "$here/limits/loop.wasm"
wat2wasm "$here/limits/trap.wat" -o "$here/limits/trap.wasm"
(cd "$root" && node_modules/.bin/asc "$here/hello-as/hello.ts" \
  --config node_modules/@assemblyscript/wasi-shim/asconfig.json \
  --optimizeLevel 2 --outFile "$here/hello-as/hello-as.wasm")
# The WASI 0.2 components (componentize-js, ~15 s; memoized under test/fixtures/.build/).
(cd "$root" && node_modules/.bin/node --input-type=module -e "
  import { copyFileSync } from 'node:fs';
  import { buildExampleComponentPlugin, buildExampleEmbedNotesComponent, buildExampleHttpComponent } from './test/support/components.ts';
  copyFileSync(await buildExampleHttpComponent(), 'examples/http-component/handler.wasm');
  copyFileSync(await buildExampleEmbedNotesComponent(), 'examples/embed-app/notes.wasm');
  copyFileSync(await buildExampleComponentPlugin(), 'examples/component-plugin/plugin.wasm');
")
# The app written with Spin's JS SDK (test/support/spin-sdk.ts: npm pack + componentize-js, ~45 s).
(cd "$root" && node_modules/.bin/node test/support/spin-sdk.ts \
  examples/spin-js-sdk/src/index.js examples/spin-js-sdk/target/spin-js-sdk.wasm)
echo "built: $(cd "$here" && ls */*.wasm */target/*.wasm | tr '\n' ' ')"
