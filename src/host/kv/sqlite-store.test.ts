// The key-value case suite against the embedded SQLite backend, plus SQLite-only guarantees:
// durability across `kill -9`, stores isolated by label, and files shared with Spin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { keyValueCases } from './kv.case.ts';
import { openSqliteKeyValueBackend } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'wasmlet-kv-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `kv-${n++}`, 'sqlite_key_value.db');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

describe('sqlite key-value backend: shared cases', () => {
  keyValueCases(() => ({ fresh: async () => ({ type: 'spin', path: freshPath() }), counterEncoding: 'i64le' }), { networked: false });
});

test('stores are isolated by label within one file', async () => {
  const backend = openSqliteKeyValueBackend({ path: freshPath() });
  try {
    const a = await backend.open('default');
    const b = await backend.open('other');
    await a.set('k', enc('from a'));
    assert.equal(await b.get('k'), undefined);
    assert.deepEqual(await b.getKeys(), []);
    await b.set('k', enc('from b'));
    assert.equal(dec(await a.get('k')), 'from a');
    assert.deepEqual(await a.getMany(['k']), [['k', enc('from a')]]);
  } finally {
    await backend.close();
  }
});

test('a database made with Spin\'s schema and encoding reads back, and wasmlet\'s writes are in that schema', async () => {
  const path = freshPath();
  openSqliteKeyValueBackend({ path }).close(); // creates the directory
  // What spinframework/spin crates/key-value-spin/src/store.rs creates and writes.
  const spin = new DatabaseSync(path);
  spin.exec(`CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))`);
  const counter = new Uint8Array(8);
  new DataView(counter.buffer).setBigInt64(0, 41n, true);
  spin.prepare('INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES (?, ?, ?)').run('default', 'hits', counter);
  spin.prepare('INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES (?, ?, ?)').run('default', 'greeting', enc('hello'));
  spin.close();
  const backend = openSqliteKeyValueBackend({ path });
  const s = await backend.open('default');
  assert.equal(dec(await s.get('greeting')), 'hello');
  assert.equal(await s.increment('hits', 1n), 42n);
  await s.set('new', new Uint8Array([1, 2]));
  await backend.close();
  const check = new DatabaseSync(path, { readOnly: true });
  const rows = check.prepare('SELECT store, key, hex(value) AS v FROM spin_key_value ORDER BY key').all();
  check.close();
  assert.deepEqual(rows.map((r) => ({ ...r })), [
    { store: 'default', key: 'greeting', v: '68656C6C6F' },
    { store: 'default', key: 'hits', v: '2A00000000000000' },
    { store: 'default', key: 'new', v: '0102' },
  ]);
});

test('an acknowledged write survives kill -9 of the writing process right after the ack', async () => {
  const path = freshPath();
  const index = join(import.meta.dirname, 'index.ts');
  // The child acknowledges each write (a line on stdout, written synchronously) once set() resolved.
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    import { writeSync } from 'node:fs';
    import { openSqliteKeyValueBackend } from ${JSON.stringify(index)};
    const s = await openSqliteKeyValueBackend({ path: ${JSON.stringify(path)} }).open('default');
    for (let i = 0; ; i++) {
      await s.set('k' + i, new TextEncoder().encode('v' + i));
      await s.increment('count', 1n);
      writeSync(1, i + '\\n');
    }`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = -1;
  let buf = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      if (lines.length > 0) acked = Number(lines[lines.length - 1]);
      if (acked >= 200 && child.signalCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => resolve());
  });
  assert.equal(await exited, 'SIGKILL');
  assert.ok(acked >= 200, `the child acknowledged writes (${acked})`);
  const backend = openSqliteKeyValueBackend({ path });
  try {
    const s = await backend.open('default');
    for (let i = 0; i <= acked; i++) assert.equal(dec(await s.get(`k${i}`)), `v${i}`, `acknowledged write k${i} survived`);
    assert.ok((await s.increment('count', 0n)) >= BigInt(acked + 1));
  } finally {
    await backend.close();
  }
});

test('a file that is not a database is `other` at open', () => {
  assert.throws(() => openSqliteKeyValueBackend({ path: import.meta.filename }), (err: Error & { payload?: { tag: string } }) => err.payload?.tag === 'other');
});

test('synchronous = full and in-memory databases work', async () => {
  for (const path of [freshPath(), ':memory:']) {
    const backend = openSqliteKeyValueBackend({ path, synchronous: 'full' });
    const s = await backend.open('default');
    await s.set('a', enc('b'));
    assert.equal(dec(await s.get('a')), 'b');
    await backend.close();
  }
});
