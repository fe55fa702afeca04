import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watToBytes } from '../../../test/support/fixtures.ts';
import { buildCMemoryComponent } from '../../../test/support/components.ts';
import { callbackSink } from '../../host/wasi/p2/cli.ts';
import { findRecycledMemoryImport, MemoryPool, RECYCLED_MEMORY_MODULE, recycledMemoryField, rewriteMemoryAsImport } from './recycled-memory.ts';
import { runComponentCommand } from './run-command.ts';
import { prepareComponent, type PreparedComponent } from './transpile.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-recycled-memory-test-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

const withImports = `(module
  (import "env" "f" (func $f (param i32)))
  (import "env" "t" (table 1 funcref))
  (import "env" "g" (global i32))
  (memory (export "memory") 2 5)
  (data (i32.const 100) "hi there")
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))`;
const noImports = `(module
  (memory (export "memory") 3)
  (data (i32.const 65536) "\\2a")
  (func (export "grow") (result i32) (memory.grow (i32.const 1))))`;

test('a defined memory becomes an import with the same limits; data segments still apply', async () => {
  for (const [wat, min, max] of [[withImports, 2, 5], [noImports, 3, undefined]] as const) {
    const rewrite = rewriteMemoryAsImport(await watToBytes(wat));
    assert.ok(rewrite);
    assert.equal(rewrite.initialPages, min);
    assert.equal(rewrite.maximumPages, max);
    const module = new WebAssembly.Module(rewrite.bytes);
    const memImport = WebAssembly.Module.imports(module).find((i) => i.kind === 'memory');
    assert.deepEqual(memImport, { module: RECYCLED_MEMORY_MODULE, name: recycledMemoryField(min, max), kind: 'memory' });
    assert.deepEqual(findRecycledMemoryImport(module), { field: recycledMemoryField(min, max), initialPages: min, maximumPages: max });
    const memory = new WebAssembly.Memory(max === undefined ? { initial: min } : { initial: min, maximum: max });
    const instance = new WebAssembly.Instance(module, {
      env: { f: () => {}, t: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), g: new WebAssembly.Global({ value: 'i32' }, 0) },
      [RECYCLED_MEMORY_MODULE]: { [recycledMemoryField(min, max)]: memory },
    });
    assert.equal(instance.exports.memory, memory);
    const bytes = new Uint8Array(memory.buffer);
    if (wat === withImports) assert.equal(Buffer.from(bytes.subarray(100, 108)).toString(), 'hi there');
    else assert.equal(bytes[65536], 0x2a);
  }
});

test('modules that import a memory, share one, or have none are left alone', async () => {
  assert.equal(rewriteMemoryAsImport(await watToBytes('(module (import "env" "memory" (memory 1)))')), undefined);
  assert.equal(rewriteMemoryAsImport(await watToBytes('(module (memory 1 1 shared))', { threads: true })), undefined);
  assert.equal(rewriteMemoryAsImport(await watToBytes('(module (func))')), undefined);
  assert.equal(rewriteMemoryAsImport(new Uint8Array([1, 2, 3])), undefined);
});

test('a released memory comes back zeroed; a grown one is dropped; capacity and maximum hold', () => {
  const pool = new MemoryPool(1, 2, 1);
  const a = pool.acquire();
  new Uint8Array(a.buffer).fill(7);
  pool.release(a);
  const again = pool.acquire();
  assert.equal(again, a);
  assert.ok(new Uint8Array(again.buffer).every((b) => b === 0), 'recycled memory is all zero');
  assert.throws(() => again.grow(2), RangeError, 'the declared maximum is kept');
  again.grow(1);
  pool.release(again);
  assert.notEqual(pool.acquire(), a, 'a memory that grew is not reused (a fresh one has the initial size)');
  const [x, y] = [pool.acquire(), pool.acquire()];
  pool.release(x);
  pool.release(y);
  assert.deepEqual(pool.stats(), { created: 4, reused: 1, dropped: 2 });
});

test('a component whose memory grew is never handed a recycled memory (each run sees the declared size)', async () => {
  // jco's preview1 adapter grows the memory by one page for its own state on the first call, so
  // every run ends at 17 pages: the pool must drop those memories, or the next run would start at 17.
  const prepared = await prepareComponent(readFileSync(await buildCMemoryComponent()), { cacheDir });
  assert.ok(prepared.memoryPools !== undefined);
  for (let run = 0; run < 3; run++) {
    let out = '';
    const code = await runComponentCommand(prepared, { stdout: callbackSink((b) => { out += Buffer.from(b).toString(); }) });
    assert.equal(code, 0);
    assert.equal(out, 'clean pages=17\n', `run ${run} starts from a zeroed memory of the declared size`);
  }
  const stats = [...prepared.memoryPools.values()].filter((p) => p !== null).map((p) => p.stats());
  assert.deepEqual(stats, [{ created: 3, reused: 0, dropped: 3 }]);
});

test('recycleMemory: false compiles the modules as jco wrote them', async () => {
  const prepared = await prepareComponent(readFileSync(await buildCMemoryComponent()), { cacheDir, recycleMemory: false });
  for (const m of prepared.coreModules.values()) assert.equal(findRecycledMemoryImport(m), undefined);
  let out = '';
  assert.equal(await runComponentCommand(prepared, { stdout: callbackSink((b) => { out += Buffer.from(b).toString(); }) }), 0);
  assert.equal(out, 'clean pages=17\n');
});

test('a prepared component rebuilt from its compiled modules alone (as a worker does) builds its own pools', async () => {
  const prepared = await prepareComponent(readFileSync(await buildCMemoryComponent()), { cacheDir });
  const { memoryPools: _dropped, ...rest } = prepared;
  const rebuilt: PreparedComponent = { ...rest, coreModules: new Map(prepared.coreModules) };
  let out = '';
  assert.equal(await runComponentCommand(rebuilt, { stdout: callbackSink((b) => { out += Buffer.from(b).toString(); }) }), 0);
  assert.equal(out, 'clean pages=17\n');
  assert.equal([...rebuilt.memoryPools!.values()].filter((p) => p !== null).length, 1);
});

test('capPages lowers the maximum of pooled memories; the rewritten module accepts them', async () => {
  const rewrite = rewriteMemoryAsImport(await watToBytes(noImports))!;
  const module = new WebAssembly.Module(rewrite.bytes);
  const pool = new MemoryPool(3, undefined, 1, 4);
  assert.equal(pool.field, recycledMemoryField(3, undefined), 'the field still names the declared limits');
  assert.equal(pool.maximumPages, 4);
  const instance = new WebAssembly.Instance(module, { [RECYCLED_MEMORY_MODULE]: { [pool.field]: pool.acquire() } });
  const grow = instance.exports.grow as () => number;
  assert.equal(grow(), 3, 'growth up to the cap succeeds');
  assert.equal(grow(), -1, 'growth past the cap fails inside the guest');
  assert.equal(new MemoryPool(1, 2, 1, 8).maximumPages, 2, 'a declared maximum below the cap is kept');
});

test('capComponentMemory keeps recycling: capped pools of its own, no recompile', async () => {
  const { capComponentMemory } = await import('../component-memory.ts');
  const prepared = await prepareComponent(readFileSync(await buildCMemoryComponent()), { cacheDir });
  const capped = await capComponentMemory(prepared, 64 * 65536);
  for (const [name, m] of capped.coreModules) assert.equal(m, prepared.coreModules.get(name), `${name} is not recompiled`);
  const pools = [...capped.memoryPools!.values()].filter((p) => p !== null);
  assert.equal(pools.length, 1);
  assert.equal(pools[0]!.maximumPages, 64);
  for (let run = 0; run < 2; run++) {
    let out = '';
    assert.equal(await runComponentCommand(capped, { stdout: callbackSink((b) => { out += Buffer.from(b).toString(); }) }), 0);
    assert.equal(out, 'clean pages=17\n');
  }
  assert.equal(pools[0]!.stats().created, 2, 'the capped copy used its own pool');
  await assert.rejects(capComponentMemory(prepared, 65536), { code: 'WASMLET_ERR_MEMORY_LIMIT' });
});
