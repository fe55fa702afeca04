// `wasmlet serve` throughput and latency against two references, side by side in one run:
//   plain  Node `http.createServer` answering a fixed hello: the floor of the HTTP stack;
//   wasmlet `wasmlet serve examples/hello`: the C WAGI hello, a fresh instance per request;
//   naive  a WAGI server one would write on `node:wasi` without wasmlet: one process, the main
//          thread instantiates the module per request, stdin/stdout through temp files.
//   inthread (only when named in --only) two threads that own their connections and run the guest
//          in-thread, without preemption: the ceiling of that design (bench/inthread-server.ts).
//   floor  (only when named in --only) the same two threads doing only a bare fresh instance per
//          request (stub WASI, no sandbox): what no fresh-instance design can beat here.
// Each server is its own process, started once; `wrk -t2 -c32 -d5s --latency` runs against each in
// turn (the order rotates every round), 3 rounds, and the table shows medians. Then: the
// in-process cost of a fresh instance (bench/instantiate.ts), process start to first 200, and the
// first request to a never-seen 1 MB module.
//
//   node_modules/.bin/node bench/serve.ts [--quick] [--rounds N] [--duration S] [--connections N]
//                                         [--wasmlet-args "--workers 1"] [--only plain,wasmlet]
//                                         [--table-only] [--baseline DIR]
//
// --baseline DIR adds a fourth server, `baseline`: `wasmlet serve` run from the sources of another
// checkout (DIR/src/cli/main.ts), in the same interleaved rounds: a before/after in one run.
//
// The machine is shared: the load average is printed with the results; rerun when it is high.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, get, loadavg, median, plainServer, startChild, stopChild, wasmletServer, wrk, type WrkResult } from './http-bench.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const HELLO_WASM = join(root, 'examples/hello/hello.wasm');
const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------- child processes (the servers)

/**
 * A naive WAGI server on node:wasi, written the obvious way: compile once, then per request build
 * the CGI env, put the body in a file for stdin, point stdout at a file, instantiate, `start`, read
 * stdout back and split the CGI head from the body. node:wasi takes only fds for stdio, hence the
 * files (reused: the main thread runs one request at a time).
 */
async function naiveServer(port: number): Promise<void> {
  const { WASI } = await import('node:wasi');
  const module = await WebAssembly.compile(readFileSync(HELLO_WASM));
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-naive-'));
  const inPath = join(dir, 'stdin');
  const outPath = join(dir, 'stdout');
  process.on('SIGTERM', () => { rmSync(dir, { recursive: true, force: true }); process.exit(0); });
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = q < 0 ? '' : url.slice(q + 1);
      const env: Record<string, string> = {
        GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: req.method ?? 'GET', SCRIPT_NAME: path, PATH_INFO: '',
        QUERY_STRING: query, SERVER_NAME: '127.0.0.1', SERVER_PORT: String(port), SERVER_PROTOCOL: 'HTTP/1.1',
        SERVER_SOFTWARE: 'naive/1', CONTENT_LENGTH: String(body.length), CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: req.socket.remoteAddress ?? '', X_MATCHED_ROUTE: '/...', X_FULL_URL: `http://${req.headers.host}${url}`,
      };
      for (const [k, v] of Object.entries(req.headers)) env[`HTTP_${k.toUpperCase().replace(/-/g, '_')}`] = String(v);
      writeFileSync(inPath, body);
      const inFd = openSync(inPath, 'r');
      const outFd = openSync(outPath, 'w'); // truncates, and writes start at 0
      const wasi = new WASI({ version: 'preview1', args: [path, query], env, stdin: inFd, stdout: outFd, stderr: 2, returnOnExit: true });
      let out: Buffer;
      try {
        const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
        wasi.start(instance);
        out = readFileSync(outPath);
      } finally {
        closeSync(inFd);
        closeSync(outFd);
      }
      let end = out.indexOf('\n\n');
      let skip = 2;
      const crlf = out.indexOf('\r\n\r\n');
      if (crlf >= 0 && (end < 0 || crlf < end)) { end = crlf; skip = 4; }
      if (end < 0) { res.writeHead(502); res.end(); return; }
      let status = 200;
      const headers: string[] = [];
      for (const line of out.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = parseInt(value, 10);
        else headers.push(name, value);
      }
      const responseBody = out.subarray(end + skip);
      headers.push('Content-Length', String(responseBody.length));
      res.writeHead(status, headers);
      res.end(responseBody);
    });
  }).listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
}

// ---------------------------------------------------------------- the driver

interface Server { name: string; url: string; proc: ChildProcess }

/** Starts a server child and resolves once it answers 200; `ms` is spawn to first 200. */
async function startServer(name: string, childArgs: string[], url: string, logFile?: string): Promise<Server & { ms: number }> {
  const { proc, ms } = await startChild(SELF, root, childArgs, url, logFile);
  return { name, url, proc, ms };
}

function stop(server: Server): Promise<void> {
  return stopChild(server.proc);
}

/** A WAGI guest of about 1 MB: the hello's CGI output plus thousands of table-reachable functions. */
async function bigModule(dir: string): Promise<string> {
  const { buildC } = await import('../test/support/fixtures.ts');
  const n = 6000;
  let src = '#include <stdio.h>\n';
  for (let i = 0; i < n; i++) {
    src += `static int f${i}(int x){for(int k=0;k<${(i % 7) + 3};k++){x=x*${2 * i + 3}+${i};if(x&${1 << (i % 13)})x^=x>>${(i % 5) + 1};else x+=${i % 97};}return x;}\n`;
  }
  src += `static int (*const table[${n}])(int)={${Array.from({ length: n }, (_, i) => `f${i}`).join(',')}};\n`;
  src += 'int main(int argc, char **argv){printf("Content-Type: text/plain\\n\\nbig %d\\n", table[argc % ' + n + '](argc));return 0;}\n';
  const file = join(dir, 'big.c');
  writeFileSync(file, src);
  const wasm = buildC(file, ['-s']);
  const app = join(dir, 'big-app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'big.wasm'), readFileSync(wasm));
  writeFileSync(join(app, 'wasmlet.toml'), 'spin_manifest_version = 2\n[application]\nname = "big"\n'
    + '[[trigger.http]]\nroute = "/..."\ncomponent = "big"\nexecutor = { type = "wagi" }\n[component.big]\nsource = "big.wasm"\n');
  return app;
}

async function driver(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, rounds: { type: 'string' }, duration: { type: 'string' },
      connections: { type: 'string' }, 'wasmlet-args': { type: 'string' }, only: { type: 'string' },
      'table-only': { type: 'boolean' }, baseline: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
  const seconds = Number(values.duration ?? (values.quick ? 2 : 5));
  const connections = Number(values.connections ?? 32);
  const extra = values['wasmlet-args']?.split(' ').filter(Boolean) ?? [];
  const only = values.only?.split(',');
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-serve-'));
  const load0 = loadavg();
  console.log(`wasmlet serve benchmark: node ${process.version}, wrk -t2 -c${connections} -d${seconds}s --latency, `
    + `${rounds} round(s), load average at start ${load0}`);

  const servers: (Server & { ms: number })[] = [];
  try {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const all = [
      { name: 'plain', args: ['plain', String(ports[0])], port: ports[0]! },
      { name: 'wasmlet', args: ['wasmlet', 'examples/hello', '--listen', `127.0.0.1:${ports[1]}`, ...extra], port: ports[1]!, log: join(dir, 'access.log') },
      { name: 'naive', args: ['naive', String(ports[2])], port: ports[2]! },
      // Only with --only ...,inthread: the ceiling of threads owning connections (bench/inthread-server.ts).
      ...only?.includes('inthread') ? [{ name: 'inthread', args: ['inthread', String(ports[4]), '2'], port: ports[4]! }] : [],
      // Only with --only ...,floor: a bare fresh instance per request, nothing else (bench/inthread-server.ts).
      ...only?.includes('floor') ? [{ name: 'floor', args: ['floor', String(ports[5]), '2'], port: ports[5]! }] : [],
      ...values.baseline ? [{
        name: 'baseline', args: ['baseline', values.baseline, 'examples/hello', '--listen', `127.0.0.1:${ports[3]}`, ...extra],
        port: ports[3]!, log: join(dir, 'baseline.log'),
      }] : [],
    ].filter((s) => !only || only.includes(s.name));
    for (const s of all) servers.push(await startServer(s.name, s.args, `http://127.0.0.1:${s.port}/hello?x=1`, s.log));
    for (const s of servers) wrk(s.url, 1, connections); // warm-up: JIT, worker start, pools
    const results = new Map<string, WrkResult[]>(servers.map((s) => [s.name, []]));
    const loads: string[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[(i + r) % servers.length]!;
        results.get(s.name)!.push(wrk(s.url, seconds, connections));
      }
      loads.push(loadavg());
    }
    const med = (name: string, key: keyof WrkResult) => median(results.get(name)?.map((x) => x[key]) ?? [NaN]);
    console.log('');
    console.log('server    req/s (median)   p50 ms   p99 ms   vs plain   vs naive   errors   req/s per round');
    for (const s of servers) {
      const rps = med(s.name, 'rps');
      const all = results.get(s.name)!;
      console.log(`${s.name.padEnd(8)} ${rps.toFixed(0).padStart(15)} ${med(s.name, 'p50').toFixed(2).padStart(8)} `
        + `${med(s.name, 'p99').toFixed(2).padStart(8)} ${(rps / med('plain', 'rps')).toFixed(2).padStart(10)} `
        + `${(rps / med('naive', 'rps')).toFixed(2).padStart(10)} ${all.reduce((a, x) => a + x.errors, 0).toString().padStart(8)}   `
        + all.map((x) => x.rps.toFixed(0)).join(' '));
    }
    console.log(`load average after each round: ${loads.join(' | ')}`);
  } finally {
    await Promise.all(servers.map(stop));
  }

  if (values['table-only']) { rmSync(dir, { recursive: true, force: true }); return; }
  // In-process cost of one fresh instance.
  console.log('');
  const inst = execFileSync(process.execPath, [join(root, 'bench/instantiate.ts'), values.quick ? '2000' : '5000'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  process.stdout.write(inst);

  // Start-up: spawn to first 200 (fresh processes, median of 3), and a never-seen 1 MB module.
  console.log('');
  const startups: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const s = await startServer('wasmlet', ['wasmlet', 'examples/hello', '--listen', `127.0.0.1:${port}`, ...extra],
      `http://127.0.0.1:${port}/`, join(dir, 'startup.log'));
    startups.push(s.ms);
    await stop(s);
  }
  console.log(`wasmlet serve examples/hello: process start to first 200: median ${median(startups).toFixed(0)} ms `
    + `(${startups.map((x) => x.toFixed(0)).join(', ')})`);
  const app = await bigModule(dir);
  const size = readFileSync(join(app, 'big.wasm')).length;
  const bigStarts: number[] = [];
  const firsts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const log = join(dir, 'big.log');
    const t0 = performance.now();
    const proc = spawn(process.execPath, ['--no-warnings', SELF, '--child', 'wasmlet', app, '--listen', `127.0.0.1:${port}`, ...extra],
      { cwd: root, stdio: ['ignore', openSync(log, 'w'), 'inherit'] });
    while (!readFileSync(log, 'utf8').includes('listening on')) await new Promise((r) => setTimeout(r, 2));
    const t1 = performance.now();
    const status = await get(`http://127.0.0.1:${port}/`);
    const t2 = performance.now();
    if (status !== 200) throw new Error(`big module answered ${status}`);
    bigStarts.push(t2 - t0);
    firsts.push(t2 - t1);
    await stop({ name: 'big', url: '', proc });
  }
  console.log(`never-seen ${(size / 1024 / 1024).toFixed(2)} MB module: process start to first 200 median `
    + `${median(bigStarts).toFixed(0)} ms; first request after 'listening' median ${median(firsts).toFixed(1)} ms `
    + `(${firsts.map((x) => x.toFixed(1)).join(', ')})`);
  console.log(`load average at end: ${loadavg()}`);
  rmSync(dir, { recursive: true, force: true });
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, ...rest] = process.argv.slice(childAt + 1);
  if (kind === 'plain') plainServer(Number(rest[0]), 'Hello from plain Node!\n');
  else if (kind === 'naive') await naiveServer(Number(rest[0]));
  else if (kind === 'inthread') (await import('./inthread-server.ts')).inThreadServer(HELLO_WASM, Number(rest[0]), Number(rest[1]));
  else if (kind === 'floor') (await import('./inthread-server.ts')).inThreadServer(HELLO_WASM, Number(rest[0]), Number(rest[1]), true);
  else if (kind === 'wasmlet') await wasmletServer(rest);
  else if (kind === 'baseline') await wasmletServer(rest.slice(1), join(rest[0]!, 'src/cli/main.ts'));
  else throw new Error(`unknown child ${kind}`);
} else {
  await driver();
}
