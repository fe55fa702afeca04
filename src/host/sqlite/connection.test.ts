// fermyon:spin/sqlite@2.0.0 semantics on node:sqlite: typed values both ways, Spin's errors,
// labels, limits, and several threads writing one file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createSqliteDatabases, isSqliteError, openSqliteConnection, type SqliteValue } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'wasmlet-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `db-${n++}`, 'sqlite_db.db');

/** The payload of a result cell (undefined for null). */
const cell = (v: SqliteValue | undefined): unknown => (v as { val?: unknown } | undefined)?.val;

async function rejectsWith(p: Promise<unknown>, tag: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isSqliteError(err), `a SqliteError, got ${String(err)}`);
    assert.equal(err.payload.tag, tag);
    if (re) assert.match(err.message, re);
    return true;
  });
}

test('values round-trip with their types: integer (bigint, 64-bit exact), real, text, blob, null', async () => {
  const c = openSqliteConnection({ path: freshPath() });
  try {
    assert.deepEqual(await c.execute('CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, z)', []), { columns: [], rows: [] });
    const row: SqliteValue[] = [
      { tag: 'integer', val: -(2n ** 63n) }, { tag: 'real', val: 1 }, { tag: 'text', val: 'héllo 🔑' },
      { tag: 'blob', val: new Uint8Array([0, 255, 7]) }, { tag: 'null' },
    ];
    await c.execute('INSERT INTO t VALUES (?, ?, ?, ?, ?)', row);
    assert.equal(c.changes(), 1);
    assert.equal(c.lastInsertRowid(), 1n);
    await c.execute('INSERT INTO t VALUES (?1, ?2, ?1, NULL, 2.5)', [{ tag: 'integer', val: 2n ** 63n - 1n }, { tag: 'real', val: -0.5 }]);
    const r = await c.execute('SELECT i, r, s, b, z, typeof(r) AS tr FROM t ORDER BY rowid', []);
    assert.deepEqual(r.columns, ['i', 'r', 's', 'b', 'z', 'tr']);
    assert.deepEqual(r.rows, [
      { values: [...row, { tag: 'text', val: 'real' }] },
      { values: [{ tag: 'integer', val: 2n ** 63n - 1n }, { tag: 'real', val: -0.5 }, { tag: 'text', val: '9223372036854775807' }, { tag: 'null' }, { tag: 'real', val: 2.5 }, { tag: 'text', val: 'real' }] },
    ]);
    // A statement with columns that also writes.
    const ret = await c.execute('INSERT INTO t (i) VALUES (?) RETURNING rowid, i', [{ tag: 'integer', val: 5n }]);
    assert.deepEqual(ret, { columns: ['rowid', 'i'], rows: [{ values: [{ tag: 'integer', val: 3n }, { tag: 'integer', val: 5n }] }] });
    assert.equal(cell((await c.execute('SELECT count(*) FROM t', [])).rows[0]!.values[0]), 3n);
  } finally {
    c.close();
  }
});

test('SQL errors, constraints, bad parameters and multiple statements are `io`; the connection keeps working', async () => {
  const c = openSqliteConnection({ path: freshPath() });
  try {
    await c.execute('CREATE TABLE u (k TEXT PRIMARY KEY)', []);
    await rejectsWith(c.execute('SELEC 1', []), 'io', /syntax error/);
    await rejectsWith(c.execute('SELECT * FROM nope', []), 'io', /no such table/);
    await c.execute('INSERT INTO u VALUES (?)', [{ tag: 'text', val: 'a' }]);
    await rejectsWith(c.execute('INSERT INTO u VALUES (?)', [{ tag: 'text', val: 'a' }]), 'io', /UNIQUE constraint/);
    await rejectsWith(c.execute('INSERT INTO u VALUES (?)', [{ tag: 'integer', val: 1 as unknown as bigint }]), 'io', /parameter 1/);
    await rejectsWith(c.execute('INSERT INTO u VALUES (?)', [{ tag: 'bogus' } as unknown as SqliteValue]), 'io', /parameter 1/);
    await rejectsWith(c.execute('INSERT INTO u VALUES (?)', []), 'io', /takes 1, got 0/);
    await rejectsWith(c.execute('INSERT INTO u VALUES (?)', [{ tag: 'text', val: 'x' }, { tag: 'null' }]), 'io');
    await rejectsWith(c.execute("INSERT INTO u VALUES ('x'); DROP TABLE u", []), 'io', /multiple statements/);
    // Trailing semicolons and comments are one statement.
    await c.execute("INSERT INTO u VALUES ('b'); -- done\n ;", []);
    assert.deepEqual((await c.execute('SELECT k FROM u ORDER BY k', [])).rows.map((r) => r.values[0]), [{ tag: 'text', val: 'a' }, { tag: 'text', val: 'b' }]);
  } finally {
    c.close();
  }
});

test('ATTACH of a file is denied (Spin\'s default); in-memory attach is allowed', async () => {
  const c = openSqliteConnection({ path: freshPath() });
  try {
    await rejectsWith(c.execute(`ATTACH '${join(dir, 'other.db')}' AS o`, []), 'io', /not authorized/);
    await c.execute("ATTACH ':memory:' AS m", []);
  } finally {
    c.close();
  }
});

test('a result over the limit is `io`; a full database is `database-full`', async () => {
  const c = openSqliteConnection({ path: freshPath(), maxResultBytes: 10_000 });
  try {
    await c.execute('CREATE TABLE big (b BLOB)', []);
    for (let i = 0; i < 5; i++) await c.execute('INSERT INTO big VALUES (zeroblob(4000))', []);
    await rejectsWith(c.execute('SELECT b FROM big', []), 'io', /exceeds limit of 10000 bytes/);
    assert.equal((await c.execute('SELECT b FROM big LIMIT 2', [])).rows.length, 2);
    const pages = cell((await c.execute('PRAGMA page_count', [])).rows[0]!.values[0]) as bigint;
    await c.execute(`PRAGMA max_page_count = ${pages + 2n}`, []);
    await rejectsWith(c.execute('INSERT INTO big VALUES (zeroblob(100000))', []), 'database-full');
    assert.equal(cell((await c.execute('SELECT count(*) FROM big', [])).rows[0]!.values[0]), 5n, 'the failed insert wrote nothing');
  } finally {
    c.close();
  }
});

test('labels: access-denied, no-such-database, one file per label, invalid-connection after close', async () => {
  const dbs = createSqliteDatabases({
    databases: { default: { path: freshPath() }, other: { path: freshPath() } },
    allowed: ['default', 'other', 'unconfigured'],
  });
  await rejectsWith(dbs.open('secret'), 'access-denied');
  await rejectsWith(dbs.open('unconfigured'), 'no-such-database');
  await rejectsWith(dbs.open('__proto__'), 'access-denied');
  const a = await dbs.open('default');
  const b = await dbs.open('other');
  await a.execute('CREATE TABLE t (x)', []);
  await rejectsWith(b.execute('SELECT * FROM t', []), 'io', /no such table/);
  const a2 = await dbs.open('default');
  a2.close();
  await rejectsWith(a2.execute('SELECT 1', []), 'invalid-connection');
  assert.equal((await a.execute('SELECT 1 AS one', [])).rows.length, 1, 'another handle still works');
  dbs.close();
  await rejectsWith(a.execute('SELECT 1', []), 'invalid-connection');
  await rejectsWith(dbs.open('default'), 'invalid-connection');
});

test('4 threads writing one file at once, each with its own connection: every row lands', async () => {
  const path = freshPath();
  const setup = openSqliteConnection({ path });
  await setup.execute('CREATE TABLE hits (worker INTEGER, i INTEGER)', []);
  setup.close();
  const index = JSON.stringify(join(import.meta.dirname, 'index.ts'));
  await Promise.all([0, 1, 2, 3].map((w) => new Promise<void>((resolve, reject) => {
    const worker = new Worker(`
      const { openSqliteConnection } = await import(${index});
      const c = openSqliteConnection({ path: ${JSON.stringify(path)} });
      for (let i = 0; i < 100; i++) {
        await c.execute('BEGIN IMMEDIATE', []);
        const n = (await c.execute('SELECT count(*) FROM hits', [])).rows[0].values[0].val;
        await c.execute('INSERT INTO hits VALUES (?, ?)', [{ tag: 'integer', val: ${w}n }, { tag: 'integer', val: n }]);
        await c.execute('COMMIT', []);
      }
      c.close();`, { eval: true });
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
  })));
  const c = openSqliteConnection({ path });
  const r = await c.execute('SELECT count(*), count(DISTINCT i), min(i), max(i) FROM hits', []);
  c.close();
  // Every transaction saw the rows committed before it: counts 0..399, each once.
  assert.deepEqual(r.rows[0]!.values.map(cell), [400n, 400n, 0n, 399n]);
});
