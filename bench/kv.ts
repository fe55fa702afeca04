// Key-value get+set round trips per second through wasmlet's backend API (src/host/kv) against
// the same client used directly (the floor: no key checks, no error mapping, no Uint8Array views),
// for the embedded SQLite backend (node:sqlite) and Redis (node-redis `@redis/client`, a
// redis-server started here on a free port). One op = `set(k, 64 B)` then `get(k)` over 1000 keys. Rows alternate floor and
// wasmlet within each round; the table shows medians over the rounds.
//
//   node_modules/.bin/node bench/kv.ts [--quick] [--rounds N] [--ops N] [--only sqlite,redis]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createClient, RESP_TYPES } from '@redis/client';
import { openRedisKeyValueBackend, openSqliteKeyValueBackend, type KeyValueStore } from '../src/host/kv/index.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { loadavg, median } from './http-bench.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const quick = args.includes('--quick');
const rounds = Number(flag('--rounds') ?? (quick ? 1 : 5));
const opsPerRun = Number(flag('--ops') ?? (quick ? 2000 : 20000));
const only = (flag('--only') ?? 'sqlite,redis').split(',');
const KEYS = 1000;
const value = new Uint8Array(64).fill(7);
const keys = Array.from({ length: KEYS }, (_, i) => `bench:${i}`);

/** Calls `op(i)` for i < n with `inFlight` outstanding at a time; returns ops per second. */
async function measure(n: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => { while (next < n) await op(next++); }));
  return n / ((performance.now() - t0) / 1000);
}

interface Row { name: string; inFlight: number; floor: () => (i: number) => Promise<unknown>; wasmlet: () => (i: number) => Promise<unknown> }

async function runRows(rows: Row[]): Promise<void> {
  const results = new Map<Row, { floor: number[]; wasmlet: number[] }>();
  for (const r of rows) results.set(r, { floor: [], wasmlet: [] });
  for (let round = 0; round < rounds; round++) {
    for (const r of rows) {
      const res = results.get(r)!;
      const order: Array<'floor' | 'wasmlet'> = round % 2 === 0 ? ['floor', 'wasmlet'] : ['wasmlet', 'floor'];
      for (const which of order) {
        const op = r[which]();
        await measure(Math.min(500, opsPerRun), r.inFlight, op); // warm-up
        res[which].push(await measure(opsPerRun, r.inFlight, op));
      }
    }
  }
  for (const r of rows) {
    const res = results.get(r)!;
    const f = median(res.floor);
    const w = median(res.wasmlet);
    const overhead = (f / w - 1) * 100;
    console.log(`| ${r.name.padEnd(42)} | ${r.inFlight.toString().padStart(9)} | ${Math.round(f).toString().padStart(11)} | ${Math.round(w).toString().padStart(13)} | ${(1e6 / f).toFixed(1).padStart(10)} | ${(1e6 / w).toFixed(1).padStart(12)} | ${overhead.toFixed(1).padStart(8)} % |`);
  }
}

console.log(`kv bench: get+set round trips/s (one op = set 64 B + get), ${opsPerRun} ops x ${rounds} rounds (medians); node ${process.version}; load average ${loadavg()}`);
console.log('| row                                        | in flight | floor ops/s | wasmlet ops/s | floor µs/op | wasmlet µs/op | overhead |');
console.log('|--------------------------------------------|-----------|-------------|---------------|-------------|---------------|----------|');

if (only.includes('sqlite')) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-bench-kv-'));
  try {
    const path = join(dir, 'sqlite_key_value.db');
    const backend = openSqliteKeyValueBackend({ path });
    const store = await backend.open('default');
    // The floor: the same node:sqlite statements on a second connection to the same file, same pragmas.
    const db = new DatabaseSync(path, { timeout: 5000 });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    const upsert = db.prepare('INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT(store, key) DO UPDATE SET value = excluded.value');
    const get = db.prepare('SELECT value FROM spin_key_value WHERE store = ? AND key = ?');
    const floorOp = () => async (i: number) => { const k = keys[i % KEYS]!; upsert.run('floor', k, value); return get.get('floor', k)?.value; };
    const apiOp = (s: KeyValueStore) => () => async (i: number) => { const k = keys[i % KEYS]!; await s.set(k, value); return s.get(k); };
    await runRows([{ name: 'embedded (node:sqlite, synchronous=NORMAL)', inFlight: 1, floor: floorOp, wasmlet: apiOp(store) }]);
    db.close();
    await backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (only.includes('redis')) {
  const server = await startRedisServer();
  try {
    const backend = openRedisKeyValueBackend({ url: server.url() });
    const store = await backend.open('default');
    const client = createClient({ url: server.url(), commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } });
    await client.connect();
    const buf = Buffer.from(value);
    const floorOp = () => async (i: number) => { const k = `f${keys[i % KEYS]}`; await client.set(k, buf); return client.get(k); };
    const apiOp = () => async (i: number) => { const k = keys[i % KEYS]!; await store.set(k, value); return store.get(k); };
    await runRows([
      { name: 'redis (node-redis, one connection)', inFlight: 1, floor: floorOp, wasmlet: apiOp },
      { name: 'redis (node-redis, one connection)', inFlight: 32, floor: floorOp, wasmlet: apiOp },
    ]);
    client.destroy();
    await backend.close();
  } finally {
    await server.dispose();
  }
}
console.log(`load average at end: ${loadavg()}`);
