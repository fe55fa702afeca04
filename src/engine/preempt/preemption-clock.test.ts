import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { watToBytes } from '../../../test/support/fixtures.ts';
import { isWasmletError, WasmletError } from '../../util/errors.ts';
import { isPreemptible, PreemptionClock } from './preemption-clock.ts';
import { rewriteForPreemption } from './rewrite-module.ts';

type Exports = Record<string, (...args: unknown[]) => unknown>;

async function preemptible(wat: string, features: Record<string, boolean> = {}): Promise<{ module: WebAssembly.Module; clock: PreemptionClock; exports: Exports }> {
  const module = new WebAssembly.Module(rewriteForPreemption(await watToBytes(wat, features)).bytes);
  const clock = new PreemptionClock({ checksPerTick: 1000 });
  const instance = new WebAssembly.Instance(module, clock.imports);
  return { module, clock, exports: instance.exports as Exports };
}

/** Calls `fn` with `clock` armed for `ms`, the way a consumer does: the error as `settle` reports it. */
function callArmed(clock: PreemptionClock, ms: number, fn: () => unknown): unknown {
  clock.arm(ms);
  try {
    return fn();
  } catch (err) {
    return clock.settle(err);
  } finally {
    clock.disarm();
  }
}

const isTimeout = (err: unknown): boolean => isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT';

const GUEST = `(module
  (type $v (func)) (table 1 funcref) (elem (i32.const 0) $spin)
  (func $spin (loop $l (br $l)))
  (func (export "loop") (call $spin))
  (func $recurse (export "recurse") (param i32) (return_call $recurse (i32.add (local.get 0) (i32.const 1))))
  (func (export "indirect") (call_indirect (type $v) (i32.const 0)))
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (loop $l (local.set $s (i32.add (local.get $s) (local.get $n)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  (func (export "trap") unreachable))`;

describe('a rewritten guest is stopped at its deadline and the thread goes on', () => {
  test('an infinite loop, infinite tail-call recursion and a loop reached through call_indirect each end with WASMLET_ERR_TIMEOUT; the next call works', async () => {
    const { clock, exports } = await preemptible(GUEST, { tail_call: true });
    for (const [name, args] of [['loop', []], ['recurse', [0]], ['indirect', []]] as const) {
      const err = callArmed(clock, 20, () => exports[name]!(...args));
      assert.ok(isTimeout(err), `${name}: ${String(err)}`);
      assert.equal((err as WasmletError).blame, 'guest');
      assert.match((err as Error).message, /ran past its deadline of 20 ms/);
      assert.equal(callArmed(clock, 1000, () => exports['sum']!(100_000)), 5_000_050_000 | 0, 'the same instance answers the next call');
    }
  });

  test('a trap stays a trap while the deadline has not passed; with no deadline armed a long loop runs to the end', async () => {
    const { clock, exports } = await preemptible(GUEST, { tail_call: true });
    const err = callArmed(clock, 10_000, () => exports['trap']!());
    assert.ok(err instanceof WebAssembly.RuntimeError, String(err));
    assert.equal(clock.expired, false);
    assert.equal(exports['sum']!(3_000_000), Number((3_000_000n * 3_000_001n / 2n) & 0xffffffffn) | 0);
  });

  const CATCHER = `(module
    (func $spin (loop $l (br $l)))
    (func (export "legacy") (loop $again (try (do (call $spin)) (catch_all)) (br $again)))
    (func (export "tryTable") (loop $again (block $h (try_table (catch_all $h) (call $spin))) (br $again)))
    (func (export "nested") (loop $outer (try (do (loop $inner (br $inner))) (catch_all)) (br $outer)))
    (func $recursive (export "recursive") (param $depth i32)
      (if (i32.eqz (local.get $depth)) (then (call $spin)))
      (try (do (call $recursive (i32.sub (local.get $depth) (i32.const 1))))
        (catch_all (call $recursive (i32.sub (local.get $depth) (i32.const 1))))))
    (func (export "thenTrap") (try (do (call $spin)) (catch_all (unreachable))))
    (func (export "swallow") (result i32) (try (do (call $spin)) (catch_all)) (i32.const 7)))`;

  test('a guest that catches the preemption with EH catch_all (legacy try and try_table; a loop in the same function) and loops on is stopped anyway', async () => {
    const { clock, exports } = await preemptible(CATCHER, { exceptions: true });
    // nested: the inner loop's check throws inside the function whose outer loop catches it; the
    // countdown it shares with the outer loop must still say "check" at the outer loop's header.
    for (const name of ['legacy', 'tryTable', 'nested']) {
      const err = callArmed(clock, 20, () => exports[name]!());
      assert.ok(isTimeout(err), `${name}: ${String(err)}`);
    }
  });

  test('recursion whose every frame catches the preemption and calls again is stopped; a trap after a caught preemption is reported as the timeout', async () => {
    const { clock, exports } = await preemptible(CATCHER, { exceptions: true });
    // 1000 frames deep, then a loop. Each frame's handler calls again; past the deadline every
    // entry check throws, so each handler throws out to its caller: one frame per two throws.
    const recursion = callArmed(clock, 50, () => exports['recursive']!(1000));
    assert.ok(isTimeout(recursion), String(recursion));
    const err = callArmed(clock, 20, () => exports['thenTrap']!());
    assert.ok(isTimeout(err), `not the RuntimeError the guest turned it into: ${String(err)}`);
    assert.equal(callArmed(clock, 20, () => exports['swallow']!()), 7, 'a guest may swallow the preemption and return...');
    assert.equal(clock.expired, true, '...and expired says it was past its deadline');
  });

  test('a loop of 16 MiB memory.fill/copy/init (memory32 and memory64) and of 1M-element table.fill/copy/init is stopped: bulk instructions are charged by length', async () => {
    const M = 16 << 20;
    const { clock, exports } = await preemptible(`(module
      (memory $m 257) (memory $w i64 257) (table $t 1000000 funcref) (table $u i64 1000000 funcref)
      (data $d "x") (elem $e func) (elem declare func $f) (func $f)
      (func (export "fill") (loop $l (memory.fill $m (i32.const 0) (i32.const 1) (i32.const ${M})) (br $l)))
      (func (export "copy") (loop $l (memory.copy $m $m (i32.const 0) (i32.const 1) (i32.const ${M})) (br $l)))
      (func (export "fill64") (loop $l (memory.fill $w (i64.const 0) (i32.const 1) (i64.const ${M})) (br $l)))
      (func (export "copy64") (loop $l (memory.copy $w $w (i64.const 0) (i64.const 1) (i64.const ${M})) (br $l)))
      (func (export "init") (loop $l (memory.init $m $d (i32.const 0) (i32.const 0) (i32.const 0)) (br $l)))
      (func (export "tableFill") (loop $l (table.fill $t (i32.const 0) (ref.func $f) (i32.const 1000000)) (br $l)))
      (func (export "tableFill64") (loop $l (table.fill $u (i64.const 0) (ref.func $f) (i64.const 1000000)) (br $l)))
      (func (export "tableCopy") (loop $l (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 999999)) (br $l)))
      (func (export "tableInit") (loop $l (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 0)) (br $l)))
      (func (export "filled") (result i32 i32 i32) (memory.fill $m (i32.const ${M + 8}) (i32.const 7) (i32.const 3))
        (i32.load8_u $m (i32.const ${M + 7})) (i32.load8_u $m (i32.const ${M + 10})) (i32.load8_u $m (i32.const ${M + 11}))))`,
    { multi_memory: true, memory64: true, reference_types: true });
    for (const name of ['fill', 'copy', 'fill64', 'copy64', 'tableFill', 'tableFill64', 'tableCopy']) {
      const err = callArmed(clock, 30, () => exports[name]!());
      assert.ok(isTimeout(err), `${name}: ${String(err)}`);
    }
    // Zero-length ones (init) are charged nothing and stopped by the loop check as before.
    for (const name of ['init', 'tableInit']) assert.ok(isTimeout(callArmed(clock, 30, () => exports[name]!())), name);
    // Past the 16 MiB the loops wrote: bytes M+8..M+10 only.
    assert.deepEqual(callArmed(clock, 1000, () => exports['filled']!()), [0, 7, 0], 'the length still reaches the instruction');
  });

  test('a start function that loops is stopped during instantiation', async () => {
    const module = new WebAssembly.Module(rewriteForPreemption(await watToBytes('(module (func $s (loop $l (br $l))) (start $s))')).bytes);
    assert.ok(isPreemptible(module));
    const clock = new PreemptionClock();
    const err = callArmed(clock, 20, () => new WebAssembly.Instance(module, clock.imports));
    assert.ok(isTimeout(err), String(err));
  });

  test('expire() ends the running call at its next check; timeoutError replaces the error', async () => {
    const module = new WebAssembly.Module(rewriteForPreemption(await watToBytes(GUEST, { tail_call: true })).bytes);
    const clock = new PreemptionClock({ checksPerTick: 1, timeoutError: (ms) => new WasmletError('WASMLET_ERR_TIMEOUT', `custom ${ms}`) });
    let calls = 0;
    const exports = new WebAssembly.Instance(module, { ...clock.imports }).exports as Exports;
    clock.arm(60_000);
    const err = (() => { try { calls++; clock.expire(); exports['loop']!(); } catch (e) { return clock.settle(e); } })();
    assert.equal(calls, 1);
    assert.equal((err as Error).message, 'custom 60000');
  });

  test('checksPerTick is validated', () => {
    for (const bad of [0, -1, 1.5, 2 ** 31]) {
      assert.throws(() => new PreemptionClock({ checksPerTick: bad }), (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_INVALID_OPTIONS');
    }
  });
});
