#!/usr/bin/env node
// The published entry point: runs the compiled CLI (dist/, built by `npm install` through `prepare`).
// V8's compile cache is switched on before dist/ loads: it saves ~6 ms of every start-up. It lives
// in the package's own node_modules/.cache (writable only by whoever can already write dist/,
// unlike a shared tmp dir, where another user could plant cache files); NODE_COMPILE_CACHE
// overrides the place, NODE_DISABLE_COMPILE_CACHE=1 turns it off, an unwritable dir leaves it off.
const { enableCompileCache } = process.getBuiltinModule('node:module');
enableCompileCache?.(process.env.NODE_COMPILE_CACHE || `${import.meta.dirname}/../node_modules/.cache/wasmlet/v8-compile`);
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
