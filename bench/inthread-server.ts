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
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

interface InThreadConfig { wasm: string; port: number }

/** Starts `threads` worker threads serving `wasm` (a WAGI module) on 127.0.0.1:`port`. */
export function inThreadServer(wasm: string, port: number, threads: number): void {
  let listening = 0;
  for (let i = 0; i < threads; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { wasm, port } satisfies InThreadConfig });
    worker.on('message', () => { if (++listening === threads) process.stdout.write(`listening ${port}\n`); });
    worker.on('error', (err) => { console.error(err); process.exit(1); });
  }
  process.on('SIGTERM', () => process.exit(0));
}

async function serveInThread({ wasm, port }: InThreadConfig): Promise<void> {
  const { prepareModule } = await import('../src/engine/prepare-module.ts');
  const { prepareP1Guest, runP1Guest } = await import('../src/engine/p1-guest.ts');
  const { bytesInput } = await import('../src/engine/grants.ts');
  const { CgiResponseParser } = await import('../src/triggers/http/cgi-response.ts');
  const { cgiArgv, cgiEnv } = await import('../src/triggers/http/cgi-env.ts');
  const { headerPairs } = await import('../src/triggers/http/limits.ts');
  const { Router } = await import('../src/triggers/http/router.ts');
  const prepared = await prepareModule(readFileSync(wasm), { recycleMemory: true });
  const guest = prepareP1Guest(prepared.module);
  const router = Router.build([{ route: '/...', component: 'hello' }]);
  const server = { host: '127.0.0.1', port };
  const noStdin = bytesInput(new Uint8Array(0));
  const stderr = { write() {} };
  createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const match = router.match(q < 0 ? url : url.slice(0, q))!;
    const env = cgiEnv({
      method: req.method ?? 'GET', url, headers: headerPairs(req.rawHeaders), remoteAddr: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort, httpVersion: req.httpVersion, bodyLength: 0,
    }, match, server);
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

if (!isMainThread && (workerData as InThreadConfig | undefined)?.wasm) await serveInThread(workerData as InThreadConfig);
