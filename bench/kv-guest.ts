// Key-value get+set round trips from a guest against the floor: a componentize-js wasi:http
// component served by `wasmlet serve` (test/fixtures/components/http-wasi-keyvalue, route
// `/bench?n=N`: N rounds of `bucket.set(k, 64 B)` + `bucket.get(k)` through
// `wasi:keyvalue/store@0.2.0-draft2`, 1000 keys) against a plain Node HTTP server whose handler
// does the same N rounds with the same client library the backend uses (node:sqlite on the same
// schema and pragmas; node-redis `@redis/client`). Both are child processes of this script, both
// single-threaded (`--workers 1`), and run in the same round, alternating which goes first; the
// table shows medians over the rounds. Backends: the embedded SQLite default (a fresh state dir)
// and Redis (a redis-server started here, selected through a runtime-config file).
//
// One op = set + get. µs/op = request time / N, so the per-request cost (HTTP, a fresh instance)
// is spread over N: N=1 shows it whole, the larger N the per-call cost of the guest's imports
// (JSPI suspension, jco's lifting and lowering, the host's checks) against the floor's direct calls.
//
//   node_modules/.bin/node bench/kv-guest.ts [--quick] [--rounds N] [--requests N] [--ops 1,100] [--only sqlite,redis]
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHttpWasiKeyValueComponent } from '../test/support/components.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { freePort, loadavg, median, startChild, stopChild, wasmletServer } from './http-bench.ts';

const SELF = import.meta.filename;
const KEYS = 1000;

/** The floor server: `GET /bench?n=N` does N set+get rounds with the backend's own client. */
async function floorServer(kind: string, target: string, port: number): Promise<void> {
  const value = new Uint8Array(64).fill(7);
  let round: (k: string) => Promise<unknown>;
  if (kind === 'sqlite') {
    const { DatabaseSync } = await import('node:sqlite');
    // What src/host/kv/sqlite-store.ts does per call: WAL, synchronous=NORMAL, Spin's schema.
    const db = new DatabaseSync(target, { timeout: 5000 });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))');
    const upsert = db.prepare('INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT(store, key) DO UPDATE SET value = excluded.value');
    const get = db.prepare('SELECT value FROM spin_key_value WHERE store = ? AND key = ?');
    round = async (k) => { upsert.run('floor', k, value); return get.get('floor', k)?.value; };
  } else {
    const { createClient, RESP_TYPES } = await import('@redis/client');
    const client = createClient({ url: target, commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } });
    await client.connect();
    const buf = Buffer.from(value);
    round = async (k) => { await client.set(`floor:${k}`, buf); return client.get(`floor:${k}`); };
  }
  createServer(async (req, res) => {
    const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '1');
    for (let i = 0; i < n; i++) await round(`bench:${i % KEYS}`);
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

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const quick = args.includes('--quick');
  const rounds = Number(flag('--rounds') ?? (quick ? 1 : 5));
  const requests = Number(flag('--requests') ?? (quick ? 20 : 100));
  const opsList = (flag('--ops') ?? '1,10,100').split(',').map(Number);
  const only = (flag('--only') ?? 'sqlite,redis').split(',');

  const wasm = await buildHttpWasiKeyValueComponent();
  console.log(`kv guest bench: get+set round trips (one op = set 64 B + get), componentize-js guest through wasi:keyvalue vs plain Node, ${requests} sequential requests x ${rounds} rounds (medians); node ${process.version}; load average ${loadavg()}`);
  console.log('| backend | ops/request | floor µs/op | guest µs/op | floor ops/s | guest ops/s | guest / floor | overhead |');
  console.log('|---------|-------------|-------------|-------------|-------------|-------------|---------------|----------|');

  for (const backend of only) {
    const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-kv-guest-'));
    const redis = backend === 'redis' ? await startRedisServer() : undefined;
    const children: ChildProcess[] = [];
    try {
      copyFileSync(wasm, join(dir, 'app.wasm'));
      writeFileSync(join(dir, 'spin.toml'), ['spin_manifest_version = 2', '[application]', 'name = "kv-guest-bench"',
        '[[trigger.http]]', 'route = "/..."', 'component = "web"',
        '[component.web]', 'source = "app.wasm"', 'key_value_stores = ["default"]'].join('\n'));
      const serveArgs = [dir, '--workers', '1', '--log-format', 'json'];
      if (redis) {
        writeFileSync(join(dir, 'runtime.toml'), `[key_value_store.default]\ntype = "redis"\nurl = "${redis.url()}"\n`);
        serveArgs.push('--runtime-config-file', join(dir, 'runtime.toml'));
      }
      const [gp, fp] = [await freePort(), await freePort()];
      const guestUrl = `http://127.0.0.1:${gp}`;
      const floorUrl = `http://127.0.0.1:${fp}`;
      // startChild waits for a 200 on the URL: `/bench?n=1` (which also creates the store).
      children.push((await startChild(SELF, dir, ['wasmlet', ...serveArgs, '--listen', `127.0.0.1:${gp}`], `${guestUrl}/bench?n=1`, join(dir, 'serve.log'))).proc);
      const target = redis ? redis.url() : join(dir, 'floor.db');
      children.push((await startChild(SELF, dir, ['floor', backend, target, String(fp)], `${floorUrl}/bench?n=1`)).proc);
      for (const n of opsList) {
        const floor: number[] = [];
        const guest: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const order = r % 2 === 0 ? [[floorUrl, floor], [guestUrl, guest]] as const : [[guestUrl, guest], [floorUrl, floor]] as const;
          for (const [url, out] of order) out.push(await measure(url, n, Math.max(5, Math.round(requests / Math.sqrt(n)))));
        }
        const f = median(floor);
        const g = median(guest);
        const name = backend === 'sqlite' ? 'embedded SQLite' : 'Redis';
        console.log(`| ${name.padEnd(15)} | ${String(n).padStart(11)} | ${f.toFixed(1).padStart(11)} | ${g.toFixed(1).padStart(11)} | ${Math.round(1e6 / f).toString().padStart(11)} | ${Math.round(1e6 / g).toString().padStart(11)} | ${(g / f).toFixed(2).padStart(13)} | ${((g / f - 1) * 100).toFixed(0).padStart(6)} % |`);
      }
    } finally {
      for (const c of children) await stopChild(c);
      await redis?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`load average at end: ${loadavg()}`);
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
