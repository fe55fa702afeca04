import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelMemory, createKernelBuffer } from './kernel-memory.ts';

test('alloc hands out 8-aligned non-zero blocks whose length reads back; free makes them unknown', () => {
  const mem = new KernelMemory(createKernelBuffer(1 << 20, false));
  const a = mem.alloc(3);
  const b = mem.alloc(10);
  assert.ok(a > 0 && b > a && a % 8 === 0 && b % 8 === 0);
  assert.equal(mem.length(a), 3);
  assert.equal(mem.length(b), 10);
  assert.equal(mem.length(0), -1);
  assert.equal(mem.length(a + 1), -1, 'an offset inside a block is not a block');
  mem.free(a);
  assert.equal(mem.length(a), -1);
  assert.equal(mem.liveBytes, 10);
});

test('the heap grows past its first page and keeps earlier blocks; reset empties it', () => {
  const mem = new KernelMemory(createKernelBuffer(1 << 20, false));
  const a = mem.store(new Uint8Array([1, 2, 3]));
  const big = mem.alloc(200_000);
  assert.ok(big > 0 && mem.buffer.byteLength >= big + 200_000);
  assert.deepEqual([...mem.copyOut(a, 3)], [1, 2, 3]);
  mem.reset();
  assert.equal(mem.length(a), -1);
  assert.equal(mem.liveBytes, 0);
});

test('maxPages caps live bytes (alloc returns 0), and the reservation caps growth', () => {
  const capped = new KernelMemory(createKernelBuffer(1 << 20, false), 1);
  assert.ok(capped.alloc(60_000) > 0);
  assert.equal(capped.alloc(10_000), 0);
  assert.equal(capped.pagesWith(10_000), 2);
  const small = new KernelMemory(createKernelBuffer(65536, false), undefined, 65536);
  assert.equal(small.alloc(70_000), 0);
});

test('a shared heap is the same heap from a second view (the worker and main thread)', () => {
  const buf = createKernelBuffer(1 << 20, true);
  const one = new KernelMemory(buf);
  const two = new KernelMemory(buf);
  const a = one.store(new TextEncoder().encode('hi'));
  assert.equal(two.length(a), 2);
  const b = two.alloc(4);
  assert.ok(b > a);
  assert.equal(one.length(b), 4);
});

test('freeing the last block reuses its space', () => {
  const mem = new KernelMemory(createKernelBuffer(1 << 20, false));
  const a = mem.alloc(16);
  mem.free(a);
  assert.equal(mem.alloc(16), a);
});

test('shrink shortens the last block and gives its tail back', () => {
  const mem = new KernelMemory(createKernelBuffer(1 << 20, false));
  const a = mem.alloc(30);
  mem.shrink(a, 5);
  assert.equal(mem.length(a), 5);
  assert.equal(mem.liveBytes, 5);
  assert.equal(mem.alloc(1), a + 16, 'the next block starts right after the shortened one');
});
