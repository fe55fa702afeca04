// The per-request cost of `wasmlet serve`'s hot path, in process: a fresh WASI host (building only
// the functions the module imports: `only`, see wasi-p1.ts) + a new instance of an already
// compiled module + `_start`, for the C WAGI hello with a realistic CGI environment and a small
// request body. The mean includes the GC work each variant causes; the median mostly does not. Compared with node:wasi doing the same, and with a floor:
// plain JS-function imports that do just enough for the guest to run. The first row is what
// `wasmlet serve` does (the module rewritten to import its memory, a zeroed memory from a pool per
// instance: engine/p1-guest.ts, which src/triggers/http/wagi-worker.ts calls); the next is the
// same steps written inline (what the WAGI worker did before the engine façade: the call through
// the engine must cost nothing); then all 46 WASI functions built; then a memory V8 allocates per
// instance, as the unmodified module gets.
//
//   node bench/instantiate.ts [iterations | --quick]   (default 5000 per variant, --quick 1000, after 500 warm-up runs)
import { openSync, readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { WasiP1, wasiP1ImportNames } from '../src/host/wasi/p1/wasi-p1.ts';
import { bytesInput } from '../src/sandbox/stdio.ts';
import { MemoryPool, RECYCLED_MEMORY_MODULE, rewriteMemoryAsImport } from '../src/engine/component/recycled-memory.ts';
import { prepareP1Guest, runP1Guest } from '../src/engine/p1-guest.ts';
import type { OutputStream } from '../src/sandbox/stdio.ts';

const arg = process.argv[2];
const iterations = arg === '--quick' ? 1000 : Number(arg ?? 5000);
if (!(iterations > 0)) throw new Error(`usage: bench/instantiate.ts [iterations | --quick], got '${arg}'`);
const warmup = 500;
const helloBytes = readFileSync(new URL('../examples/hello/hello.wasm', import.meta.url));
const module = await WebAssembly.compile(helloBytes);
const rewritten = rewriteMemoryAsImport(helloBytes)!;
const recycledModule = await WebAssembly.compile(rewritten.bytes);
const memories = new MemoryPool(rewritten.initialPages, rewritten.maximumPages);
const only = wasiP1ImportNames(recycledModule); // once per module, as wagi-worker.ts does
const args = ['/hello', ''];
const env: Record<string, string> = {
  AUTH_TYPE: '', CONTENT_LENGTH: '4', CONTENT_TYPE: 'text/plain', GATEWAY_INTERFACE: 'CGI/1.1', PATH_INFO: '/x',
  PATH_TRANSLATED: '/x', QUERY_STRING: '', REMOTE_ADDR: '127.0.0.1', REMOTE_HOST: '127.0.0.1', REMOTE_USER: '',
  REQUEST_METHOD: 'POST', SCRIPT_NAME: '/hello', SERVER_NAME: 'localhost', SERVER_PORT: '3000',
  SERVER_PROTOCOL: 'HTTP/1.1', SERVER_SOFTWARE: 'WAGI/1', X_FULL_URL: 'http://localhost:3000/hello/x',
  X_MATCHED_ROUTE: '/hello/...', HTTP_HOST: 'localhost:3000', HTTP_USER_AGENT: 'bench/1', HTTP_ACCEPT: '*/*',
};
const body = new TextEncoder().encode('ping');

function median(samples: number[]): number {
  const s = samples.toSorted((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(name: string, once: () => void): { name: string; medianUs: number; meanUs: number; p99Us: number } {
  for (let i = 0; i < warmup; i++) once();
  const samples: number[] = new Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    once();
    samples[i] = (performance.now() - t0) * 1000;
  }
  const sorted = samples.toSorted((a, b) => a - b);
  const meanUs = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { name, medianUs: median(samples), meanUs, p99Us: sorted[Math.floor(sorted.length * 0.99)]! };
}

// wasmlet: what wagi-worker.ts does per request (stdout discarded here instead of CGI-parsed).
let written = 0;
const sink: OutputStream = { write(bytes) { written += bytes.length; } };
const guest = prepareP1Guest(recycledModule); // once per unit and worker, as wagi-worker.ts does
const serve = measure('wasmlet serve: engine runP1Guest, recycled memory, _start', () => {
  if (runP1Guest(guest, { args, env, preopens: [], stdin: bytesInput(body), stdout: sink, stderr: sink, only: guest.wasiImports }) !== 0) {
    throw new Error('hello failed');
  }
});

// The same steps inline, without the engine call.
const serveInline = measure('  same steps inline (no engine call)', () => {
  const wasi = new WasiP1({ args, env, preopens: [], stdin: bytesInput(body), stdout: sink, stderr: sink, only });
  const memory = memories.acquire();
  try {
    const instance = new WebAssembly.Instance(recycledModule, {
      wasi_snapshot_preview1: wasi.imports['wasi_snapshot_preview1']!, [RECYCLED_MEMORY_MODULE]: { [memories.field]: memory },
    });
    if (wasi.start(instance) !== 0) throw new Error('hello failed');
  } finally {
    wasi.dispose();
    memories.release(memory);
  }
});

// The same without `only`: all 46 p1 functions built per instance (what wagi-worker.ts did before).
const serveAll = measure('  same, all 46 WASI functions built per instance', () => {
  const wasi = new WasiP1({ args, env, preopens: [], stdin: bytesInput(body), stdout: sink, stderr: sink });
  const memory = memories.acquire();
  try {
    const instance = new WebAssembly.Instance(recycledModule, {
      wasi_snapshot_preview1: wasi.imports['wasi_snapshot_preview1']!, [RECYCLED_MEMORY_MODULE]: { [memories.field]: memory },
    });
    if (wasi.start(instance) !== 0) throw new Error('hello failed');
  } finally {
    memories.release(memory);
  }
});

const wasmlet = measure('wasmlet WasiP1 + fresh memory + new Instance + _start', () => {
  const wasi = new WasiP1({ args, env, preopens: [], stdin: bytesInput(body), stdout: sink, stderr: sink });
  const instance = new WebAssembly.Instance(module, wasi.imports);
  if (wasi.start(instance) !== 0) throw new Error('hello failed');
});

// node:wasi: stdout to /dev/null (it only takes fds), no stdin body.
const devnull = openSync('/dev/null', 'w');
const devzero = openSync('/dev/null', 'r');
const nodeWasi = measure('node:wasi WASI + new Instance + start', () => {
  const wasi = new WASI({ version: 'preview1', args, env, stdin: devzero, stdout: devnull, stderr: devnull, returnOnExit: true });
  const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
  if (wasi.start(instance) !== 0) throw new Error('hello failed');
});

// Floor: the cheapest import object that lets the guest run (no args/env, stdout counted).
class Exit extends Error {}
const floor = measure('plain JS imports + new Instance + _start', () => {
  let memory: WebAssembly.Memory;
  const dv = () => new DataView(memory.buffer);
  const ok = () => 0;
  const sizes = (a: number, b: number) => { dv().setUint32(a, 0, true); dv().setUint32(b, 0, true); return 0; };
  const imports = {
    wasi_snapshot_preview1: {
      args_sizes_get: sizes, environ_sizes_get: sizes, args_get: ok, environ_get: ok, fd_close: ok,
      fd_seek: () => 70,
      fd_fdstat_get: (_fd: number, at: number) => { new Uint8Array(memory.buffer, at, 24).fill(0); dv().setUint8(at, 2); return 0; },
      fd_read: (_fd: number, _iov: number, _n: number, nread: number) => { dv().setUint32(nread, 0, true); return 0; },
      fd_write: (_fd: number, iov: number, n: number, nwritten: number) => {
        const v = dv();
        let total = 0;
        for (let i = 0; i < n; i++) total += v.getUint32(iov + i * 8 + 4, true);
        v.setUint32(nwritten, total, true);
        written += total;
        return 0;
      },
      proc_exit: () => { throw new Exit(); },
    },
  };
  const instance = new WebAssembly.Instance(module, imports);
  memory = instance.exports['memory'] as WebAssembly.Memory;
  try { (instance.exports['_start'] as () => void)(); } catch (err) { if (!(err instanceof Exit)) throw err; }
});

console.log(`C WAGI hello (${iterations} runs each, node ${process.version})`);
for (const r of [serve, serveInline, serveAll, wasmlet, nodeWasi, floor]) {
  console.log(`${r.name.padEnd(62)} median ${r.medianUs.toFixed(1).padStart(7)} us   mean ${r.meanUs.toFixed(1).padStart(7)} us`
    + `   p99 ${r.p99Us.toFixed(1).padStart(7)} us`);
}
if (written === 0) throw new Error('the guest wrote nothing');
