// The WAGI pool handler in process (no threads, no HTTP): recycled linear memory must make every
// request start from exactly what a fresh memory holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildWat } from '../../../test/support/fixtures.ts';
import type { MemoryPool } from '../../engine/component/recycled-memory.ts';
import { prepareModule } from '../../engine/prepare-module.ts';
import { poolHandler } from './wagi-worker.ts';
import type { WagiInput, WagiResult } from './wagi-worker.ts';

async function probe(entrypoint: string): Promise<{ run: () => string; memories: MemoryPool | undefined }> {
  const bytes = readFileSync(await buildWat('test/fixtures/serve/memory-probe.wat'));
  const { module } = await prepareModule(bytes, { recycleMemory: true });
  const prepared = poolHandler.load(module, { env: {}, preopens: [], entrypoint }) as { guest: { memories: MemoryPool | undefined } };
  const input: WagiInput = { args: ['/'], env: {} };
  const run = () => {
    const result = poolHandler.run(prepared, input, () => { throw new Error('no events expected'); }) as WagiResult;
    assert.equal(result.head?.status, 200);
    return result.body;
  };
  return { run, memories: prepared.guest.memories };
}

test('each request gets a zeroed memory of the initial size, reused from a pool', async () => {
  const { run, memories } = await probe('_start');
  assert.ok(memories, 'the module was rewritten to import its memory');
  for (let i = 0; i < 3; i++) assert.equal(run(), 'seen=0 pages=1\n', `request ${i} saw the previous one's write`);
  assert.deepEqual(memories.stats(), { created: 1, reused: 2, dropped: 0 });
});

test('a memory that grew is never handed out again', async () => {
  const { run, memories } = await probe('grow');
  for (let i = 0; i < 3; i++) assert.equal(run(), 'seen=0 pages=1\n');
  assert.deepEqual(memories!.stats(), { created: 3, reused: 0, dropped: 3 });
});
