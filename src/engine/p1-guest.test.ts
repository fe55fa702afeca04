// The one p1 run path (`wasmlet run` and WAGI workers): checks once, runs many times, writes an
// export's results into the caller's call object, returns recycled memories, refuses what is not
// runnable with the stable codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watToBytes } from '../../test/support/fixtures.ts';
import { prepareModule } from './prepare-module.ts';
import { prepareP1Guest, requireExport, runP1Guest } from './p1-guest.ts';
import type { P1Call } from './p1-guest.ts';

const reactor = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (local.get 0) (local.get 1) (i32.add))
  (func (export "bump") (result i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.load (i32.const 0)))
  (func (export "quit") (call $exit (i32.const 7))))`;

test('an export call writes its results into the reused call object; proc_exit is the exit code', async () => {
  const { module } = await prepareModule(await watToBytes(reactor));
  const guest = prepareP1Guest(module);
  assert.deepEqual(guest.wasiImports, ['proc_exit']);
  const call: P1Call = { name: 'add', args: [2, 3] };
  assert.equal(runP1Guest(guest, {}, call), 0);
  assert.deepEqual(call.results, [5]);
  assert.equal(runP1Guest(guest, {}, { name: 'quit', args: [] }), 7);
  assert.throws(() => runP1Guest(guest, {}), { code: 'WASMLET_ERR_NO_START' });
  assert.throws(() => runP1Guest(guest, {}, { name: 'nope', args: [] }), { code: 'WASMLET_ERR_NO_EXPORT', message: /add, bump, quit/ });
  assert.throws(() => requireExport(guest, 'nope', 'the WAGI entrypoint'), { code: 'WASMLET_ERR_NO_EXPORT', message: /WAGI entrypoint/ });
});

test('a recycled memory starts zeroed each call and goes back to the pool', async () => {
  const { module } = await prepareModule(await watToBytes(reactor), { recycleMemory: true });
  const guest = prepareP1Guest(module);
  assert.ok(guest.memories, 'the memory was rewritten into an import');
  const call: P1Call = { name: 'bump', args: [] };
  for (let i = 0; i < 3; i++) {
    runP1Guest(guest, {}, call);
    assert.deepEqual(call.results, [1], `call ${i} saw the previous call's write`);
  }
  assert.deepEqual(guest.memories.stats(), { created: 1, reused: 2, dropped: 0 });
});

test('a module importing what the p1 host lacks fails at prepare, naming the import', async () => {
  const { module } = await prepareModule(await watToBytes('(module (import "env" "f" (func)))'));
  assert.throws(() => prepareP1Guest(module), { code: 'WASMLET_ERR_UNKNOWN_IMPORT', message: /`env\.f`/ });
});
