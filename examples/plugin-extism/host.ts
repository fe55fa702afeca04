// Loads plugin.wasm with wasmlet's createPlugin (the @extism/extism API: swap the import to
// switch), gives it a host function, calls it, then shows a looping call stopped by timeoutMs.
// Run: node_modules/.bin/node examples/plugin-extism/host.ts [path/to/plugin.wasm]
import { createPlugin, type CallContext } from 'wasmlet';

const wasm = process.argv[2] ?? new URL('./plugin.wasm', import.meta.url).pathname;
const counts: bigint[] = [];
const functions = { 'extism:host/user': { record: (_ctx: CallContext, n: bigint) => { counts.push(n); } } };

// In-process (no timeout): the fastest mode.
const plugin = await createPlugin(wasm, { functions });
console.log((await plugin.call('count_vowels', 'Hello, plugins!'))?.json());
console.log('host saw', counts);
await plugin.close();

// With timeoutMs: the module gets preemption checks, and a looping call is stopped on this
// thread at its deadline; the host carries on (runInWorker: true runs it on a worker instead).
const guarded = await createPlugin({ wasm: [{ path: wasm }], timeoutMs: 500 }, { functions });
console.log((await guarded.call('count_vowels', 'aeiou'))?.json());
await guarded.call('spin').catch((err: Error) => console.log('spin:', err.message));
await guarded.close();
