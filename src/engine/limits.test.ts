import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectModule } from './binary.ts';
import { applyMemoryCap, WASM_PAGE_BYTES } from './limits.ts';
import { watToBytes } from '../../test/support/fixtures.ts';

const MiB = 1024 * 1024;

// Grows memory by `delta` pages; returns memory.grow's result (old size, or -1 on failure), so the
// guest sees the failure and goes on running.
const grower = (memory: string) => `(module ${memory}
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
  (func (export "poke") (param i32) (i32.store8 (local.get 0) (i32.const 7))))`;

interface Grower { grow(n: number): number; size(): number; poke(addr: number): void }

async function instantiate(bytes: Uint8Array): Promise<Grower> {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>);
  return instance.exports as unknown as Grower;
}

test('a memory with no maximum gets the cap; memory.grow past it returns -1 and the guest goes on', async () => {
  const bytes = await watToBytes(grower('(memory 1)'));
  const info = inspectModule(bytes);
  const capped = applyMemoryCap(bytes, info, 4 * MiB);
  assert.equal(capped.rewritten, true);
  assert.equal(capped.capPages, 64);
  assert.deepEqual(inspectModule(capped.bytes).memories, [{ min: 1, max: 64, memory64: false, shared: false }]);
  const g = await instantiate(capped.bytes);
  assert.equal(g.grow(63), 1);   // up to exactly the cap: fine
  assert.equal(g.grow(1), -1);   // one page more: refused inside the guest
  assert.equal(g.size(), 64);
  g.poke(64 * WASM_PAGE_BYTES - 1); // still running, memory intact
  // Uncapped, the same module grows freely: the cap is what made the difference.
  assert.equal((await instantiate(bytes)).grow(100), 1);
});

test('a maximum above the cap is lowered, one below it is kept as is', async () => {
  const big = await watToBytes(grower('(memory 1 1000)'));
  const capped = applyMemoryCap(big, inspectModule(big), 2 * MiB);
  assert.equal(inspectModule(capped.bytes).memories[0]!.max, 32);
  assert.equal((await instantiate(capped.bytes)).grow(32), -1);

  const small = await watToBytes(grower('(memory 1 4)'));
  const kept = applyMemoryCap(small, inspectModule(small), 2 * MiB);
  assert.equal(kept.rewritten, false);
  assert.equal(kept.bytes, small);
});

test('the rewrite re-encodes LEB128 and fixes the section size (later sections still parse)', async () => {
  // No max before; a 300-page max takes a 2-byte LEB, so the section grows by 2 bytes.
  const bytes = await watToBytes(grower('(memory 1)'));
  const capped = applyMemoryCap(bytes, inspectModule(bytes), 300 * WASM_PAGE_BYTES + 123);
  assert.equal(capped.bytes.length, bytes.length + 2);
  assert.ok(WebAssembly.validate(capped.bytes as Uint8Array<ArrayBuffer>));
  const g = await instantiate(capped.bytes);
  assert.equal(g.grow(299), 1);
  assert.equal(g.grow(1), -1);
});

test('a module whose initial memory exceeds the cap is refused before it runs', async () => {
  const bytes = await watToBytes(grower('(memory 100)'));
  assert.throws(() => applyMemoryCap(bytes, inspectModule(bytes), 1 * MiB),
    (err: Error & { code?: string }) => err.code === 'WASMLET_ERR_MEMORY_LIMIT' && /100 pages/.test(err.message) && /1048576 bytes/.test(err.message));
});

test('an imported memory is reported for the caller to cap, and refused when its minimum is over the cap', async () => {
  const bytes = await watToBytes('(module (import "env" "memory" (memory 2)))');
  const capped = applyMemoryCap(bytes, inspectModule(bytes), 1 * MiB);
  assert.equal(capped.rewritten, false);
  assert.deepEqual(capped.importedMemories.map((m) => `${m.module}.${m.name}`), ['env.memory']);
  assert.throws(() => applyMemoryCap(bytes, inspectModule(bytes), WASM_PAGE_BYTES), { code: 'WASMLET_ERR_MEMORY_LIMIT' });
});

test('memory64 limits are capped with a 64-bit encoding', async () => {
  const bytes = await watToBytes('(module (memory i64 1))', { memory64: true });
  const capped = applyMemoryCap(bytes, inspectModule(bytes), 8 * MiB);
  assert.deepEqual(inspectModule(capped.bytes).memories, [{ min: 1, max: 128, memory64: true, shared: false }]);
});
