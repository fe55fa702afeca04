// The ceiling of a "threads own their connections" design, for bench/serve.ts (`--only
// plain,wasmlet,inthread`): N worker threads each listen on the same port (`reusePort`, the kernel
// spreads connections) and run wasmlet's own WAGI pieces in-thread per request: the router's
// match, `cgiEnv`/`cgiArgv`, a fresh instance through `runP1Guest` (recycled memory, as the pool
// workers do) and the CGI response parser. No postMessage, no structured clone, no second thread
// per request.
//
// It is a measurement, not a server: nothing preempts a guest (a looping guest would hang its thread
// and every connection the kernel gave it), and there is no access log, no limits, no fairness.
// Whatever it reaches is the most that design can give before paying for those.
//
// `floor` (`--only plain,floor`) goes further down: the same threads, but per request only what
// any server that gives each request a fresh V8 instance must do: build the CGI env, a
// `new WebAssembly.Instance` (recycled memory, so no mmap per request) with the smallest WASI
// imports that run the hello (args/environ copied in, stdout collected, nothing checked), `_start`,
// and the body after the CGI head. No sandbox, no descriptor table, no response parser. No design
// that keeps a fresh instance per request can beat it on this machine.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

interface InThreadConfig { wasm: string; port: number; floor: boolean }

/**
 * Starts `threads` worker threads serving `wasm` (a WAGI module) on 127.0.0.1:`port`; with `floor`,
 * the bare fresh-instance server described at the top instead of wasmlet's pieces.
 */
export function inThreadServer(wasm: string, port: number, threads: number, floor = false): void {
  let listening = 0;
  for (let i = 0; i < threads; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { wasm, port, floor } satisfies InThreadConfig });
    worker.on('message', () => { if (++listening === threads) process.stdout.write(`listening ${port}\n`); });
    worker.on('error', (err) => { console.error(err); process.exit(1); });
  }
  process.on('SIGTERM', () => process.exit(0));
}

/**
 * The per-request CGI environment both servers build, as wasmlet's WAGI executor does: the
 * router's match of the path, then `cgiEnv` (no body: the bench sends GETs).
 */
async function cgiEnvBuilder(port: number): Promise<(req: IncomingMessage) => { url: string; env: Record<string, string> }> {
  const { cgiEnv } = await import('../src/triggers/http/cgi-env.ts');
  const { headerPairs } = await import('../src/triggers/http/limits.ts');
  const { Router } = await import('../src/triggers/http/router.ts');
  const router = Router.build([{ route: '/...', component: 'hello' }]);
  const server = { host: '127.0.0.1', port };
  return (req) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const match = router.match(q < 0 ? url : url.slice(0, q))!;
    const env = cgiEnv({
      method: req.method ?? 'GET', url, headers: headerPairs(req.rawHeaders), remoteAddr: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort, httpVersion: req.httpVersion, bodyLength: 0,
    }, match, server);
    return { url, env };
  };
}

async function serveInThread({ wasm, port }: InThreadConfig): Promise<void> {
  const { prepareModule } = await import('../src/engine/prepare-module.ts');
  const { prepareP1Guest, runP1Guest } = await import('../src/engine/p1-guest.ts');
  const { bytesInput } = await import('../src/engine/grants.ts');
  const { CgiResponseParser } = await import('../src/triggers/http/cgi-response.ts');
  const { cgiArgv } = await import('../src/triggers/http/cgi-env.ts');
  const prepared = await prepareModule(readFileSync(wasm), { recycleMemory: true });
  const guest = prepareP1Guest(prepared.module);
  const envOf = await cgiEnvBuilder(port);
  const noStdin = bytesInput(new Uint8Array(0));
  const stderr = { write() {} };
  createServer((req, res) => {
    const { url, env } = envOf(req);
    const parser = new CgiResponseParser();
    let head: ReturnType<CgiResponseParser['end']> | undefined;
    const body: Uint8Array[] = [];
    const stdout = {
      write(bytes: Uint8Array) {
        if (head) { body.push(bytes.slice()); return; }
        head = parser.push(bytes.slice()) ?? undefined;
        if (head) body.push(head.bodyStart);
      },
    };
    runP1Guest(guest, { args: cgiArgv(url), env, preopens: [], stdin: noStdin, stdout, stderr, only: guest.wasiImports });
    head ??= parser.end();
    const bytes = Buffer.concat(body);
    res.writeHead(head.status, [...head.headers.flat(), 'Content-Length', String(bytes.length)]);
    res.end(bytes);
  }).listen({ port, host: '127.0.0.1', reusePort: true }, () => parentPort!.postMessage('listening'));
}

/** Exit of the guest (`proc_exit`), thrown through `_start`. */
class Exit {
  readonly code: number;
  constructor(code: number) { this.code = code; }
}

/** The floor: a fresh instance per request and nothing else wasmlet does (see the top). */
async function serveFloor({ wasm, port }: InThreadConfig): Promise<void> {
  const { MemoryPool, RECYCLED_MEMORY_MODULE, rewriteMemoryAsImport } = await import('../src/engine/component/recycled-memory.ts');
  const { cgiArgv } = await import('../src/triggers/http/cgi-env.ts');
  const rewritten = rewriteMemoryAsImport(readFileSync(wasm))!;
  const module = new WebAssembly.Module(rewritten.bytes);
  const memories = new MemoryPool(rewritten.initialPages, rewritten.maximumPages);
  const envOf = await cgiEnvBuilder(port);
  let memory: WebAssembly.Memory;
  // args and environ each as one NUL-terminated block (one encode per request, not one per string).
  let args = { count: 0, bytes: Buffer.alloc(0) };
  let env = { count: 0, bytes: Buffer.alloc(0) };
  let out: Buffer[] = [];
  const block = (strings: string[]) => ({ count: strings.length, bytes: Buffer.from(strings.join('\0') + '\0') });
  const view = () => new DataView(memory.buffer);
  const sizes = (list: () => typeof args) => (countAt: number, bytesAt: number) => {
    const v = view();
    v.setUint32(countAt, list().count, true);
    v.setUint32(bytesAt, list().bytes.length, true);
    return 0;
  };
  const copy = (list: () => typeof args) => (ptrsAt: number, bufAt: number) => {
    const { count, bytes } = list();
    new Uint8Array(memory.buffer).set(bytes, bufAt);
    const v = view();
    for (let i = 0, at = 0; i < count; i++) {
      v.setUint32(ptrsAt + 4 * i, bufAt + at, true);
      at = bytes.indexOf(0, at) + 1;
    }
    return 0;
  };
  const wasi = {
    args_sizes_get: sizes(() => args), args_get: copy(() => args),
    environ_sizes_get: sizes(() => env), environ_get: copy(() => env),
    fd_close: () => 0,
    fd_seek: () => 70, // ESPIPE
    fd_fdstat_get: (_fd: number, at: number) => { new Uint8Array(memory.buffer, at, 24).fill(0); return 0; }, // filetype unknown: fully buffered
    fd_read: (_fd: number, _iovs: number, _n: number, readAt: number) => { view().setUint32(readAt, 0, true); return 0; },
    fd_write: (_fd: number, iovs: number, n: number, writtenAt: number) => {
      const v = view();
      let total = 0;
      for (let i = 0; i < n; i++) {
        const at = v.getUint32(iovs + 8 * i, true);
        const len = v.getUint32(iovs + 8 * i + 4, true);
        out.push(Buffer.from(memory.buffer.slice(at, at + len)));
        total += len;
      }
      v.setUint32(writtenAt, total, true);
      return 0;
    },
    proc_exit: (code: number) => { throw new Exit(code); },
  };
  createServer((req, res) => {
    const { url, env: vars } = envOf(req);
    env = block(Object.entries(vars).map(([k, v]) => `${k}=${v}`));
    args = block(cgiArgv(url));
    out = [];
    memory = memories.acquire();
    try {
      const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi, [RECYCLED_MEMORY_MODULE]: { [memories.field]: memory } });
      try { (instance.exports['_start'] as () => void)(); } catch (err) { if (!(err instanceof Exit)) throw err; }
    } finally { memories.release(memory); }
    const text = Buffer.concat(out);
    const body = text.subarray(text.indexOf('\n\n') + 2);
    // Content-Length, as wasmlet sends it (no chunked framing on either side).
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) });
    res.end(body);
  }).listen({ port, host: '127.0.0.1', reusePort: true }, () => parentPort!.postMessage('listening'));
}

const config = isMainThread ? undefined : workerData as InThreadConfig | undefined;
if (config?.wasm) await (config.floor ? serveFloor(config) : serveInThread(config));
