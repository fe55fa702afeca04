// Key-value get+set round trips from a guest against the floor, a plain Node handler doing the same
// with the same client library the backend uses (node:sqlite on Spin's schema and the backend's
// pragmas; node-redis `@redis/client`). One op = `set(k, 64 B)` + `get(k)`, over 1000 keys. The
// guests call `wasi:keyvalue/store@0.2.0-draft2`:
//   - C: a `wasi:cli` command (test/fixtures/components/c-keyvalue, hand-written canonical ABI
//     imports) run through the engine `wasmlet run` uses, `<bucket> <N>`;
//   - componentize-js: the wasi:http handler test/fixtures/components/http-wasi-keyvalue,
//     route `/bench?n=N` (N rounds in one request).
// Part 1, in process, one thread: each guest invocation does N rounds (fresh instance each), the
// floor the same N rounds as direct calls; µs/op = invocation time / N, so the per-call cost of a
// guest's import (JSPI suspension, jco's lifting/lowering, the host's checks, the guest's own code)
// shows against the floor's direct call. Part 2, served: `wasmlet serve --workers 1` against a
// plain `node:http` server, each a child process, sequential requests of N ops on a kept-alive
// connection: N=1 is the whole request (HTTP, a fresh instance, one op). Rounds alternate the order;
// the tables show medians. Backends: the embedded SQLite default (a fresh state dir) and Redis (a
// redis-server started here; selected by a runtime-config file when served).
//
// `--baseline DIR` (another checkout of wasmlet, e.g. a worktree of main) adds that checkout's
// guests to part 1, rotated in the same rounds, for a before/after under the same load.
//
//   node_modules/.bin/node bench/kv-guest.ts [--quick] [--rounds N] [--n N] [--requests N] [--ops 1,100]
//     [--only sqlite,redis] [--parts in-process,served] [--baseline DIR]
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpinThreadBackends } from '../src/engine/component/component-host.ts';
import { handleHttpRequest } from '../src/engine/component/http-handler.ts';
import { runComponentCommand } from '../src/engine/component/run-command.ts';
import { prepareComponent } from '../src/engine/component/transpile.ts';
import { callbackSink } from '../src/host/wasi/p2/cli.ts';
import type { KeyValueBackendSpec } from '../src/host/kv/open-backend.ts';
import { buildCKeyValueComponent, buildHttpWasiKeyValueComponent } from '../test/support/components.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { freePort, loadavg, median, startChild, stopChild, wasmletServer } from './http-bench.ts';

const SELF = import.meta.filename;
const KEYS = 1000;

/** The floor's op: `round(k)` sets `k` to 64 bytes and reads it back with the backend's own client. */
async function floorClient(kind: string, target: string): Promise<{ round(k: string): Promise<unknown>; close(): Promise<void> }> {
  const value = new Uint8Array(64).fill(7);
  if (kind === 'sqlite') {
    const { DatabaseSync } = await import('node:sqlite');
    // What src/host/kv/sqlite-store.ts does per call: WAL, synchronous=NORMAL, Spin's schema.
    const db = new DatabaseSync(target, { timeout: 5000 });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))');
    const upsert = db.prepare('INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT(store, key) DO UPDATE SET value = excluded.value');
    const get = db.prepare('SELECT value FROM spin_key_value WHERE store = ? AND key = ?');
    return { round: async (k) => { upsert.run('floor', k, value); return get.get('floor', k)?.value; }, close: async () => db.close() };
  }
  const { createClient, RESP_TYPES } = await import('@redis/client');
  const client = createClient({ url: target, commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } });
  await client.connect();
  const buf = Buffer.from(value);
  return { round: async (k) => { await client.set(`floor:${k}`, buf); return client.get(`floor:${k}`); }, close: async () => { client.destroy(); } };
}

/** N floor rounds, as one guest invocation does them. */
async function floorRounds(client: { round(k: string): Promise<unknown> }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await client.round(`bench:${i % KEYS}`);
}

/** The floor server: `GET /bench?n=N` does N rounds; answers `ok N`. */
async function floorServer(kind: string, target: string, port: number): Promise<void> {
  const client = await floorClient(kind, target);
  createServer(async (req, res) => {
    const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '1');
    await floorRounds(client, n);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${n}`);
  }).listen(port, '127.0.0.1');
}

/** GET on a kept-alive connection; rejects unless 200 with `ok N`. */
function getOk(agentUrl: string, n: number, agent: import('node:http').Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    request(`${agentUrl}/bench?n=${n}`, { agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => (res.statusCode === 200 && body === `ok ${n}` ? resolve() : reject(new Error(`${res.statusCode} ${body}`))));
    }).on('error', reject).end();
  });
}

/** Sends `requests` sequential requests of N ops each (after 5 warm-up ones); returns µs per op. */
async function measure(url: string, n: number, requests: number): Promise<number> {
  const { Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 5; i++) await getOk(url, n, agent);
    const t0 = performance.now();
    for (let i = 0; i < requests; i++) await getOk(url, n, agent);
    return ((performance.now() - t0) * 1000) / (requests * n);
  } finally {
    agent.destroy();
  }
}

/** Where one backend lives for this run; `dispose` removes it. */
interface BackendEnv { name: string; dir: string; spec: KeyValueBackendSpec; floorTarget: string; runtimeConfig?: string; dispose(): Promise<void> }

async function backendEnv(kind: string): Promise<BackendEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-kv-guest-'));
  if (kind === 'sqlite') {
    return {
      name: 'embedded SQLite', dir, spec: { type: 'spin', path: join(dir, 'sqlite_key_value.db') }, floorTarget: join(dir, 'floor.db'),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const redis = await startRedisServer();
  return {
    name: 'Redis', dir, spec: { type: 'redis', url: redis.url() }, floorTarget: redis.url(),
    runtimeConfig: `[key_value_store.default]\ntype = "redis"\nurl = "${redis.url()}"\n`,
    dispose: async () => { await redis.dispose(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Runs each of `runs` `rounds` times (rotating the order); returns the median µs per op of each. */
async function rotate(runs: Array<() => Promise<number>>, rounds: number): Promise<number[]> {
  const samples = runs.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < runs.length; j++) {
      const i = (j + r) % runs.length;
      samples[i]!.push(await runs[i]!());
    }
  }
  return samples.map(median);
}

/**
 * µs per op of `reps` calls of `invoke` (N ops each), after one warm-up call: wall time, and this
 * process's CPU time (user + system) in `cpu` (written per sample: on a loaded machine wall time is
 * mostly waiting for a core, CPU time is the work).
 */
async function perOp(invoke: () => Promise<void>, n: number, reps: number, cpu: number[]): Promise<number> {
  await invoke();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) await invoke();
  const used = process.cpuUsage(c0);
  cpu.push((used.user + used.system) / (reps * n));
  return ((performance.now() - t0) * 1000) / (reps * n);
}

function row(cells: Array<string | number>): string {
  return `| ${cells.map(String).join(' | ')} |`;
}

/** The engine calls part 1 uses, from this checkout or a baseline one (`--baseline DIR`). */
interface Engine {
  label: string;
  prepareComponent: typeof prepareComponent;
  runComponentCommand: typeof runComponentCommand;
  handleHttpRequest: typeof handleHttpRequest;
  SpinThreadBackends: typeof SpinThreadBackends;
}

/** This checkout's engine, and the one of `baseline` (another checkout of wasmlet) when given. */
async function engines(baseline: string | undefined): Promise<Engine[]> {
  const own: Engine = { label: '', prepareComponent, runComponentCommand, handleHttpRequest, SpinThreadBackends };
  if (baseline === undefined) return [own];
  const load = (rel: string) => import(pathToFileURL(join(baseline, rel)).href) as Promise<Record<string, unknown>>;
  const [t, r, h, c] = await Promise.all([
    load('src/engine/component/transpile.ts'), load('src/engine/component/run-command.ts'), load('src/engine/component/http-handler.ts'),
    load('src/engine/component/component-host.ts'),
  ]);
  return [own, {
    label: ' (baseline)', prepareComponent: t.prepareComponent as Engine['prepareComponent'], runComponentCommand: r.runComponentCommand as Engine['runComponentCommand'],
    handleHttpRequest: h.handleHttpRequest as Engine['handleHttpRequest'], SpinThreadBackends: c.SpinThreadBackends as Engine['SpinThreadBackends'],
  }];
}

/** Part 1: the guests and the floor in this process (each engine's guests, rotated with the floor). */
async function inProcess(env: BackendEnv, wasm: { c: string; js: string }, n: number, reps: number, rounds: number, engineList: Engine[]): Promise<void> {
  const cacheDir = join(env.dir, 'cache');
  const client = await floorClient(env.spec.type === 'spin' ? 'sqlite' : 'redis', env.floorTarget);
  const closers: Array<() => Promise<void>> = [];
  try {
    const guests: Array<{ name: string; run: () => Promise<void> }> = [];
    for (const engine of engineList) {
      const backends = new engine.SpinThreadBackends();
      closers.push(() => backends.close());
      const spin = { options: { componentId: 'bench', keyValueStores: ['default'], knownKeyValueStores: ['default'], keyValueBackends: { default: env.spec } }, backends };
      const [c, js] = await Promise.all([engine.prepareComponent(readFileSync(wasm.c), { cacheDir }), engine.prepareComponent(readFileSync(wasm.js), { cacheDir })]);
      guests.push({ name: `C (wasi:cli command)${engine.label}`, run: async () => {
        let out = '';
        const code = await engine.runComponentCommand(c, { args: ['kv', 'default', String(n)], stdout: callbackSink((b) => { out += Buffer.from(b).toString(); }), spin });
        if (code !== 0 || out !== `ok ${n}\n`) throw new Error(`C guest: exit ${code}: ${out}`);
      } });
      guests.push({ name: `componentize-js (wasi:http handler)${engine.label}`, run: async () => {
        const res = await engine.handleHttpRequest(js, { method: 'GET', pathWithQuery: `/bench?n=${n}` }, { spin });
        const chunks: Uint8Array[] = [];
        for await (const chunk of res.body) chunks.push(chunk);
        await res.done;
        const body = Buffer.concat(chunks).toString();
        if (res.status !== 200 || body !== `ok ${n}`) throw new Error(`componentize-js guest: ${res.status} ${body}`);
      } });
    }
    const cpu = [[] as number[], ...guests.map(() => [] as number[])];
    const [floor, ...us] = await rotate([() => perOp(() => floorRounds(client, n), n, reps, cpu[0]!), ...guests.map((g, i) => () => perOp(g.run, n, reps, cpu[i + 1]!))], rounds);
    const floorCpu = median(cpu[0]!);
    guests.forEach((g, i) => {
      const t = us[i]!;
      const tc = median(cpu[i + 1]!);
      console.log(row([env.name, g.name, floor!.toFixed(1), t.toFixed(1), Math.round(1e6 / floor!), Math.round(1e6 / t), (t / floor!).toFixed(2), `${((t / floor! - 1) * 100).toFixed(0)} %`,
        floorCpu.toFixed(1), tc.toFixed(1), (tc / floorCpu).toFixed(2)]));
    });
  } finally {
    await client.close();
    for (const close of closers) await close();
  }
}

/** Part 2: `wasmlet serve` and a plain Node server, each a child process. */
async function served(env: BackendEnv, jsWasm: string, opsList: number[], requests: number, rounds: number): Promise<void> {
  const children: ChildProcess[] = [];
  try {
    const app = join(env.dir, 'app');
    mkdirSync(app);
    copyFileSync(jsWasm, join(app, 'app.wasm'));
    writeFileSync(join(app, 'spin.toml'), ['spin_manifest_version = 2', '[application]', 'name = "kv-guest-bench"',
      '[[trigger.http]]', 'route = "/..."', 'component = "web"',
      '[component.web]', 'source = "app.wasm"', 'key_value_stores = ["default"]'].join('\n'));
    const serveArgs = [app, '--workers', '1', '--log-format', 'json'];
    if (env.runtimeConfig !== undefined) {
      writeFileSync(join(app, 'runtime.toml'), env.runtimeConfig);
      serveArgs.push('--runtime-config-file', join(app, 'runtime.toml'));
    }
    const [gp, fp] = [await freePort(), await freePort()];
    const guestUrl = `http://127.0.0.1:${gp}`;
    const floorUrl = `http://127.0.0.1:${fp}`;
    // startChild waits for a 200 on the URL: `/bench?n=1` (which also creates the store).
    children.push((await startChild(SELF, app, ['wasmlet', ...serveArgs, '--listen', `127.0.0.1:${gp}`], `${guestUrl}/bench?n=1`)).proc);
    children.push((await startChild(SELF, app, ['floor', env.spec.type === 'spin' ? 'sqlite' : 'redis', env.floorTarget, String(fp)], `${floorUrl}/bench?n=1`)).proc);
    for (const n of opsList) {
      const reqs = Math.max(5, Math.round(requests / Math.sqrt(n)));
      const [floor, guest] = await rotate([() => measure(floorUrl, n, reqs), () => measure(guestUrl, n, reqs)], rounds);
      console.log(row([env.name, n, floor!.toFixed(1), guest!.toFixed(1), Math.round(1e6 / floor!), Math.round(1e6 / guest!), (guest! / floor!).toFixed(2), `${((guest! / floor! - 1) * 100).toFixed(0)} %`]));
    }
  } finally {
    for (const c of children) await stopChild(c);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const quick = args.includes('--quick');
  const rounds = Number(flag('--rounds') ?? (quick ? 1 : 5));
  const n = Number(flag('--n') ?? (quick ? 200 : 1000));
  const requests = Number(flag('--requests') ?? (quick ? 20 : 100));
  const opsList = (flag('--ops') ?? '1,100').split(',').map(Number);
  const only = (flag('--only') ?? 'sqlite,redis').split(',');
  const parts = (flag('--parts') ?? 'in-process,served').split(',');
  const engineList = await engines(flag('--baseline'));

  const [c, js] = await Promise.all([buildCKeyValueComponent(), buildHttpWasiKeyValueComponent()]);
  const envs: BackendEnv[] = [];
  try {
    for (const kind of only) envs.push(await backendEnv(kind));
    console.log(`kv guest bench: get+set round trips through wasi:keyvalue (one op = set 64 B + get) vs the same client called from plain Node; ${rounds} rounds (medians); node ${process.version}; load average ${loadavg()}`);
    if (parts.includes('in-process')) {
      console.log(`\nIn process, one thread: ${n} ops per invocation (a fresh instance each), 3 invocations per sample`);
      console.log('| backend | guest | floor µs/op | guest µs/op | floor ops/s | guest ops/s | guest / floor | overhead | floor CPU µs/op | guest CPU µs/op | guest / floor (CPU) |');
      console.log('|---|---|---|---|---|---|---|---|---|---|---|');
      for (const env of envs) await inProcess(env, { c, js }, n, quick ? 1 : 3, rounds, engineList);
    }
    if (!parts.includes('served')) return;
    console.log(`\nServed (componentize-js guest): wasmlet serve --workers 1 vs a plain node:http handler, sequential requests of N ops on one kept-alive connection`);
    console.log('| backend | ops/request | floor µs/op | guest µs/op | floor ops/s | guest ops/s | guest / floor | overhead |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const env of envs) await served(env, js, opsList, requests, rounds);
  } finally {
    for (const env of envs) await env.dispose();
  }
  console.log(`\nload average at end: ${loadavg()}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [kind, ...rest] = process.argv.slice(childAt + 1);
  if (kind === 'wasmlet') await wasmletServer(rest);
  else if (kind === 'floor') await floorServer(rest[0]!, rest[1]!, Number(rest[2]));
  else throw new Error(`unknown child ${kind}`);
} else {
  await main();
}
