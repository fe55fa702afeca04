import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildC, watToBytes } from '../../../test/support/fixtures.ts';
import { WasiP1 } from '../../host/wasi/p1/wasi-p1.ts';
import { MemoryVfs } from '../../sandbox/memory-vfs.ts';
import { collectOutput } from '../../sandbox/stdio.ts';
import { isWasmletError } from '../../util/errors.ts';
import { inspectModule } from '../binary.ts';
import { PreemptionClock } from './preemption-clock.ts';
import { rewriteForPreemption } from './rewrite-module.ts';

type Exports = Record<string, (...args: unknown[]) => unknown>;

/** Instantiates the original and the rewritten module (which must validate) with the same extra imports. */
async function both(bytes: Uint8Array, imports: (() => WebAssembly.Imports) = () => ({})): Promise<{ original: Exports; rewritten: Exports }> {
  assert.ok(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>), 'the original validates');
  const { bytes: out } = rewriteForPreemption(bytes);
  assert.ok(WebAssembly.validate(out), 'the rewritten module validates');
  const original = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports());
  const rewritten = new WebAssembly.Instance(new WebAssembly.Module(out), { ...imports(), ...new PreemptionClock({ checksPerTick: 3 }).imports });
  return { original: original.exports as Exports, rewritten: rewritten.exports as Exports };
}

/** Calls every `[export, ...args]` on both instances and compares the results (or the thrown errors' texts). */
async function sameResults(wat: string, features: Record<string, boolean>, calls: [string, ...unknown[]][]): Promise<void> {
  const { original, rewritten } = await both(await watToBytes(wat, features));
  for (const [name, ...args] of calls) {
    const run = (e: Exports): unknown => { try { return e[name]!(...args); } catch (err) { return `threw ${(err as Error).message}`; } };
    const want = run(original);
    assert.deepEqual(run(rewritten), want, `${name}(${args.join(', ')})`);
    assert.notEqual(typeof want, 'string', `${name} computes a value`);
  }
}

describe('every instruction family computes the same results after the rewrite', () => {
  test('MVP, multi-value block types (loop with params), sign-extension, saturating truncation, br_table, call_indirect', async () => {
    await sameResults(`(module
      (memory 1) (global $g (mut i32) (i32.const 5)) (table 2 funcref) (elem (i32.const 0) $sq $neg)
      (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func $neg (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
      (func (export "mvp") (param $n i32) (result i32) (local $acc i32) (local $i i32)
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (i32.store (i32.mul (local.get $i) (i32.const 4))
            (call_indirect (param i32) (result i32) (local.get $i) (i32.and (local.get $i) (i32.const 1))))
          (block $a (block $b (block $c (br_table $a $b $c (i32.rem_u (local.get $i) (i32.const 3))))
              (local.set $acc (i32.add (local.get $acc) (i32.const 100))))
            (local.set $acc (i32.add (local.get $acc) (i32.load (i32.mul (local.get $i) (i32.const 4))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (global.set $g (i32.add (global.get $g) (local.get $acc)))
        (if (result i32) (i32.gt_s (local.get $acc) (i32.const 1000)) (then (global.get $g))
          (else (select (i32.const 1) (i32.const 2) (local.get $acc)))))
      (func (export "loopparam") (param i32) (result i32)
        (i32.const 0)
        (loop $l (param i32) (result i32)
          (i32.add (local.get 0))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if $l (local.get 0))))
      (func (export "multivalue") (param i32) (result i32)
        (local.get 0)
        (block (param i32) (result i32 i32) (local.get 0) (i32.const 1) (i32.add))
        (i32.mul))
      (func (export "numeric") (param i64 f64) (result i64)
        (i64.add (i64.extend32_s (local.get 0)) (i64.trunc_sat_f64_s (local.get 1))))
      (func (export "signext") (param i32) (result i32) (i32.extend8_s (local.get 0)))
      (func (export "floats") (param f32) (result f64) (f64.add (f64.promote_f32 (local.get 0)) (f64.const 0.25))))`,
    {}, [['mvp', 10], ['mvp', 100], ['loopparam', 10], ['multivalue', 6], ['numeric', 0x1_8000_0000n, 1e30], ['signext', 0xff], ['floats', 1.5]]);
  });

  test('branch labels that cross the loop wrappers: br, br_if, br_table out of nested loops, loops with results', async () => {
    await sameResults(`(module
      (func (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $acc i32)
        (block $out
          (loop $outer
            (local.set $j (i32.const 0))
            (block $next
              (loop $inner
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_table $inner $next $out $inner (i32.rem_u (i32.add (local.get $i) (local.get $j)) (i32.const 4)))))
            (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))))
        (local.get $acc))
      (func (export "deep") (param $n i32) (result i32) (local $k i32)
        (block $done (result i32)
          (loop $a (result i32)
            (loop $b (result i32)
              (loop $c (result i32)
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br_if $done (local.get $k) (i32.ge_u (local.get $k) (local.get $n)))
                (br_if $c (i32.eqz (i32.rem_u (local.get $k) (i32.const 3))))
                (br_if $b (i32.eqz (i32.rem_u (local.get $k) (i32.const 5))))
                (br $a))))))
      (func (export "counter") (param $n i32) (result i32) (local $i i32)
        (loop $l (result i32)
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (i32.mul (local.get $i) (i32.const 2))
          (br_if $l (i32.eqz (i32.ge_u (local.get $i) (local.get $n)))))))`,
    {}, [['nested', 7], ['nested', 40], ['deep', 1000], ['counter', 500]]);
  });

  test('bulk memory and reference types (tables, passive segments, ref.func, typed select)', async () => {
    await sameResults(`(module
      (memory 1) (data $d "\\01\\02\\03\\04")
      (table $t 2 funcref) (table $u 4 externref)
      (elem $p func $one $two)
      (func $one (result i32) (i32.const 1)) (func $two (result i32) (i32.const 2))
      (func (export "bulk") (result i32)
        (memory.init $d (i32.const 8) (i32.const 0) (i32.const 4))
        (data.drop $d)
        (memory.copy (i32.const 16) (i32.const 8) (i32.const 4))
        (memory.fill (i32.const 9) (i32.const 7) (i32.const 2))
        (i32.add (i32.load (i32.const 16)) (i32.load (i32.const 8))))
      (func (export "tables") (param externref) (result i32)
        (table.init $t $p (i32.const 0) (i32.const 0) (i32.const 2))
        (elem.drop $p)
        (drop (table.grow $u (local.get 0) (i32.const 2)))
        (table.fill $u (i32.const 0) (ref.null extern) (i32.const 1))
        (table.copy $t $t (i32.const 1) (i32.const 0) (i32.const 1))
        (table.set $t (i32.const 0) (ref.func $two))
        (i32.add (i32.add (table.size $u) (call_indirect $t (result i32) (i32.const 1)))
          (i32.add (ref.is_null (table.get $u (i32.const 0)))
            (select (result i32) (i32.const 10) (i32.const 20) (ref.is_null (table.get $u (i32.const 5)))))))
      (func (export "sat") (param f32) (result i32) (i32.trunc_sat_f32_u (local.get 0))))`,
    {}, [['bulk'], ['tables', {}], ['sat', -5], ['sat', 1e12]]);
  });

  test('SIMD and relaxed SIMD: memargs, lanes, v128.const and i8x16.shuffle immediates', async () => {
    await sameResults(`(module (memory 1)
      (func (export "simd") (param i32) (result i32)
        (v128.store offset=16 align=4 (i32.const 0)
          (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31 (v128.const i32x4 1 2 3 4) (i32x4.splat (local.get 0))))
        (v128.store8_lane 3 (i32.const 64) (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
        (i32.add
          (i32.add (i32x4.extract_lane 1 (v128.load (i32.const 16)))
                   (i32x4.extract_lane 0 (v128.load32_zero (i32.const 28))))
          (i32.add (i32x4.extract_lane 2 (v128.load32_lane 2 (i32.const 24) (v128.const i64x2 0 0)))
                   (i32.add (i8x16.extract_lane_u 0 (v128.load8_splat (i32.const 64)))
                            (i32x4.extract_lane 0 (i32x4.relaxed_laneselect (i32x4.splat (i32.const 9)) (i32x4.splat (i32.const 4)) (v128.const i32x4 -1 0 0 0))))))))`,
    { simd: true, relaxed_simd: true }, [['simd', 7], ['simd', 1000]]);
  });

  test('threads: atomics on a shared memory (memarg, fence, wait and notify)', async () => {
    await sameResults(`(module (memory 1 1 shared)
      (func (export "atomics") (param i32) (result i64)
        (i32.atomic.store (i32.const 0) (local.get 0))
        (drop (i32.atomic.rmw.add offset=0 (i32.const 0) (i32.const 5)))
        (atomic.fence)
        (drop (i64.atomic.rmw.cmpxchg (i32.const 8) (i64.const 0) (i64.const 77)))
        (i64.add (i64.atomic.load (i32.const 8))
          (i64.extend_i32_u (i32.add (i32.atomic.load (i32.const 0))
            (i32.add (memory.atomic.notify (i32.const 0) (i32.const 1))
                     (memory.atomic.wait32 (i32.const 0) (i32.const 12345) (i64.const 0))))))))`,
    { threads: true }, [['atomics', 3]]);
  });

  test('exception handling: legacy try/catch/catch_all/delegate/rethrow and try_table/throw_ref', async () => {
    await sameResults(`(module (tag $e (param i32))
      (func $thrower (param i32) (throw $e (local.get 0)))
      (func (export "legacy") (param i32) (result i32)
        (try (result i32)
          (do (try (result i32) (do (call $thrower (local.get 0)) (i32.const 0)) (delegate 0)))
          (catch $e (i32.add (i32.const 1)))))
      (func (export "rethrow") (param i32) (result i32)
        (try (result i32)
          (do (try (do (loop (call $thrower (local.get 0)))) (catch_all (rethrow 0))) (i32.const 0))
          (catch $e)))
      (func (export "trytable") (param i32) (result i32)
        (block $h (result i32) (try_table (result i32) (catch $e $h) (call $thrower (local.get 0)) (i32.const 0))))
      (func (export "delegateAcross") (param $n i32) (result i32) (local $i i32)
        ;; legacy only: V8 does not let try_table catch what a legacy delegate passes on
        (try (result i32)
          (do
            (loop $l
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (try (do (loop (try (do (if (i32.ge_u (local.get $i) (local.get $n)) (then (call $thrower (local.get $i))))) (delegate 2))))
                (catch_all (throw $e (i32.const 1000))))
              (br $l))
            (i32.const -1))
          (catch $e)))
      (func (export "rethrowAcross") (param $n i32) (result i32)
        (try (result i32)
          (do (try (do (loop (call $thrower (local.get $n)))) (catch_all (loop (rethrow 1)))) (i32.const -1))
          (catch $e)))
      (func (export "tryTableInLoop") (param $n i32) (result i32)
        (block $h (result i32)
          (loop $l (try_table (catch $e $h) (loop (call $thrower (local.get $n)))) (br $l))
          (i32.const -1)))
      (func (export "throwref") (param i32) (result i32)
        (block $outer (result i32)
          (try_table (catch $e $outer)
            (block $h (result exnref)
              (try_table (catch_all_ref $h) (call $thrower (local.get 0)))
              (unreachable))
            (throw_ref))
          (i32.const -1))))`,
    { exceptions: true }, [['legacy', 41], ['rethrow', 9], ['trytable', 5], ['delegateAcross', 25], ['rethrowAcross', 8], ['throwref', 6]]);
  });

  test('tail calls and multi-memory (memarg memory index) and memory64', async () => {
    await sameResults(`(module (type $t (func (param i64 i64) (result i64))) (table 1 funcref) (elem (i32.const 0) $fact)
      (memory $a 1) (memory $b 2)
      (func $fact (param i64 i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
          (else (return_call $fact (i64.sub (local.get 0) (i64.const 1)) (i64.mul (local.get 0) (local.get 1))))))
      (func (export "fact") (param i64) (result i64) (return_call_indirect (type $t) (local.get 0) (i64.const 1) (i32.const 0)))
      (func (export "memories") (param i32) (result i32)
        (i32.store $b offset=4 (i32.const 0) (local.get 0))
        (memory.copy $a $b (i32.const 100) (i32.const 4) (i32.const 4))
        (i32.add (i32.load $a (i32.const 100)) (i32.add (memory.size $b) (memory.grow $a (i32.const 1))))))`,
    { tail_call: true, multi_memory: true }, [['fact', 20n], ['memories', 1234]]);
    await sameResults(`(module (memory i64 1)
      (func (export "m64") (param i64) (result i64) (i64.store offset=8 (i64.const 0) (local.get 0)) (i64.load (i64.const 8))))`,
    { memory64: true }, [['m64', 99n]]);
  });

  test('typed function references: call_ref, return_call_ref, br_on_null, br_on_non_null, ref.as_non_null', async () => {
    // wabt 1.0.39 cannot write these; the module is assembled by hand (types: 0 [] -> [i32],
    // 1 [(ref null 0)] -> [i32], 2 [] -> [i32] exports).
    const fn = (type: number, locals: number[], code: number[]): number[] => [...locals, ...code, 0x0b];
    const bodies = [
      fn(0, [0], [0x41, 0x07]), // $seven: i32.const 7
      fn(1, [0], [0x02, 0x40, 0x20, 0x00, 0xd5, 0x00, 0x14, 0x00, 0x0f, 0x0b, 0x41, 0x7f]), // block; local.get 0; br_on_null 0; call_ref 0; return; end; -1
      fn(1, [0], [0x20, 0x00, 0xd4, 0x15, 0x00]), // local.get 0; ref.as_non_null; return_call_ref 0
      fn(0, [0], [0xd2, 0x00, 0x10, 0x01]), // ref.func $seven; call 1
      fn(0, [0], [0xd0, 0x00, 0x10, 0x01]), // ref.null 0; call 1
      fn(0, [0], [0xd2, 0x00, 0x10, 0x02]), // ref.func $seven; call 2 (tail)
      fn(0, [0], [0x02, 0x64, 0x00, 0xd2, 0x00, 0xd6, 0x00, 0x00, 0x0b, 0x14, 0x00]), // block (result (ref 0)); ref.func; br_on_non_null 0; unreachable; end; call_ref 0
    ];
    const section = (id: number, items: number[][]): number[] => {
      const payload = [items.length, ...items.flat()];
      return [id, payload.length, ...payload];
    };
    const exportName = (name: string, index: number): number[] => [name.length, ...Buffer.from(name), 0x00, index];
    const bytes = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, [[0x60, 0x00, 0x01, 0x7f], [0x60, 0x01, 0x63, 0x00, 0x01, 0x7f]]),
      ...section(3, [[0], [1], [1], [0], [0], [0], [0]]),
      ...section(7, [exportName('some', 3), exportName('none', 4), exportName('tail', 5), exportName('nonnull', 6)]),
      ...section(9, [[0x03, 0x00, 0x01, 0x00]]), // declarative segment: func $seven
      ...section(10, bodies.map((b) => [b.length, ...b])),
    ]);
    const { original, rewritten } = await both(bytes);
    for (const name of ['some', 'none', 'tail', 'nonnull']) assert.equal(rewritten[name]!(), original[name]!(), name);
    assert.deepEqual(['some', 'none', 'tail', 'nonnull'].map((n) => rewritten[n]!()), [7, -1, 7, 7]);
  });
});

describe('function indices move past the inserted import everywhere', () => {
  test('element segments of every form, ref.func in globals, the start function, exports and re-exported imports', async () => {
    const bytes = await watToBytes(`(module
      (import "env" "imp" (func $imp (result i32)))
      (global $started (mut i32) (i32.const 0))
      (global $fr funcref (ref.func $b))
      (table $t 4 funcref) (table $t2 2 funcref)
      (elem (i32.const 0) $a $b)
      (elem $passive func $c $a)
      (elem (table $t2) (i32.const 0) func $c)
      (elem declare func $d)
      (elem (i32.const 2) funcref (ref.func $c) (ref.func $d))
      (elem $pe funcref (ref.func $d) (ref.null func))
      (elem (table $t2) (i32.const 1) funcref (ref.func $a))
      (start $s)
      (func $s (global.set $started (i32.const 42)))
      (func $a (result i32) (i32.const 1)) (func $b (result i32) (i32.const 2))
      (func $c (result i32) (i32.const 3)) (func $d (result i32) (i32.const 4))
      (func (export "viaTable") (param i32) (result i32) (call_indirect $t (result i32) (local.get 0)))
      (func (export "viaTable2") (param i32) (result i32) (call_indirect $t2 (result i32) (local.get 0)))
      (func (export "viaPassive") (result i32)
        (table.init $t $passive (i32.const 0) (i32.const 0) (i32.const 2))
        (table.init $t $pe (i32.const 2) (i32.const 0) (i32.const 1))
        (i32.add (i32.mul (call_indirect $t (result i32) (i32.const 0)) (i32.const 10)) (call_indirect $t (result i32) (i32.const 2))))
      (func (export "viaGlobal") (result i32) (table.set $t (i32.const 3) (global.get $fr)) (call_indirect $t (result i32) (i32.const 3)))
      (func (export "refFunc") (result funcref) (ref.func $d))
      (func (export "started") (result i32) (global.get $started))
      (func (export "callImp") (result i32) (call $imp))
      (export "imp" (func $imp)) (export "c" (func $c)))`);
    const { original, rewritten } = await both(bytes, () => ({ env: { imp: () => 99 } }));
    const probe = (e: Exports): unknown[] => [
      [0, 1, 2, 3].map((i) => e['viaTable']!(i)), [0, 1].map((i) => e['viaTable2']!(i)), e['viaGlobal']!(),
      e['viaPassive']!(), (e['refFunc']!() as () => number)(), e['started']!(), e['callImp']!(), e['imp']!(), e['c']!(),
    ];
    const want = probe(original); // the probe itself rewrites table $t: one probe per instance
    assert.deepEqual(want, [[1, 2, 3, 4], [3, 1], 2, 34, 4, 42, 99, 99, 3]);
    assert.deepEqual(probe(rewritten), want);
  });

  test('label names (name subsection 3, keyed by block order the wrappers shift) are dropped; function and local names stay', async () => {
    const bytes = await watToBytes('(module (func $f (param $p i32) (loop $l (br_if $l (local.get $p)))))');
    // A name section of subsections 1, 2 and 3 (function 0: label 0 named "l"), as LLVM writes it.
    const sub = (id: number, body: number[]): number[] => [id, body.length, ...body];
    const names = [...sub(1, [1, 0, 1, 0x66]), ...sub(2, [1, 0, 1, 0, 1, 0x70]), ...sub(3, [1, 0, 1, 0, 1, 0x6c])];
    const section = [0, names.length + 5, 4, ...Buffer.from('name'), ...names];
    const withLabels = Uint8Array.from([...bytes.subarray(0, bytes.length - nameSectionBytes(bytes)), ...section]);
    const out = rewriteForPreemption(withLabels).bytes;
    const kept = out.subarray(out.length - nameSectionBytes(out));
    assert.deepEqual([...kept.subarray(7)], [...sub(1, [1, 1, 1, 0x66]), ...sub(2, [1, 1, 1, 0, 1, 0x70])]);
  });

  test('the name section is kept with its function names remapped (trap stack traces name the right function)', async () => {
    const bytes = await watToBytes(`(module (import "env" "f" (func $imported))
      (func $first (export "first") (call $boom)) (func $boom unreachable))`);
    const { bytes: out } = rewriteForPreemption(bytes);
    const names = inspectModule(out).functionNames;
    assert.deepEqual([...names.entries()].sort(), [[0, 'imported'], [2, 'first'], [3, 'boom']]);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(out), { env: { f: () => {} }, ...new PreemptionClock().imports });
    assert.throws(() => (instance.exports['first'] as () => void)(), (err: Error) => {
      assert.ok(err instanceof WebAssembly.RuntimeError);
      assert.match(err.stack!, /at boom \(wasm:/);
      assert.match(err.stack!, /at first \(wasm:/);
      return true;
    });
  });

  test('a module without type, import or global sections gets them, in order; only a function that calls gets an entry check', async () => {
    const bytes = await watToBytes('(module (func $leaf (export "f") (loop) (loop (loop))) (func $caller (call $leaf)))');
    const r = rewriteForPreemption(bytes);
    assert.ok(WebAssembly.validate(r.bytes));
    assert.deepEqual({ functions: r.functions, loops: r.loops, tick: r.tickFunction, budget: r.budgetGlobal }, { functions: 1, loops: 3, tick: 0, budget: 0 });
    assert.deepEqual(WebAssembly.Module.imports(new WebAssembly.Module(r.bytes)), [{ module: 'wasmlet:preempt', name: 'tick', kind: 'function' }]);
  });
});

describe('what the rewriter refuses', () => {
  const refused = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(() => rewriteForPreemption(bytes), (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_PREEMPT_UNSUPPORTED' && pattern.test(err.message));
  };

  test('a GC instruction (0xFB), naming the opcode and its byte offset', async () => {
    const bytes = await watToBytes('(module (func (export "f") nop))');
    const at = bytes.lastIndexOf(0x01, bytes.indexOf(0x0b, bytes.indexOf(0x0a)));
    const patched = bytes.slice();
    patched[at] = 0xfb; // nop -> the GC prefix
    refused(patched, new RegExp(`opcode 0xfb at byte offset 0x${at.toString(16)} is a GC-proposal instruction`));
  });

  test('a GC type (struct) in the type section', () => {
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x5f, 1, 0x7f, 0]);
    bytes[9] = 5; bytes.set([1, 0x5f, 1, 0x7f, 0], 10);
    refused(bytes, /type 0 at byte offset 0xb has form 0x5f \(a GC-proposal type\)/);
  });

  test('an invalid module, even one that uses exactly the local or global index the rewrite appends (it would be valid afterwards): WASMLET_ERR_INVALID_WASM', async () => {
    for (const wat of [
      '(module (func (loop $l (local.set 0 (i32.const 5)) (br $l))))', // the countdown local
      '(module (func (loop $l (global.set 0 (i32.const 100000)) (br $l))))', // the budget global
    ]) {
      const bytes = await watToBytes(wat);
      assert.throws(() => rewriteForPreemption(bytes),
        (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_INVALID_WASM' && err.blame === 'guest', wat);
    }
  });

  test('a module already rewritten', async () => {
    const once = rewriteForPreemption(await watToBytes('(module (func (loop)))')).bytes;
    refused(once, /already rewritten/);
  });
});

describe('real programs run with identical output', () => {
  const runC = (bytes: Uint8Array, args: string[], preemptible: boolean): { code: number; stdout: string } => {
    const stdout = collectOutput();
    const wasi = new WasiP1({ args, stdout, preopens: [{ guestPath: '/t', vfs: new MemoryVfs() }] });
    const imports = preemptible ? { ...wasi.imports, ...new PreemptionClock({ checksPerTick: 100 }).imports } : wasi.imports;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports);
    return { code: wasi.start(instance), stdout: stdout.text() };
  };

  for (const [source, runs] of [
    ['test/fixtures/p1/p1-ops.c', [['p', 'args', 'x y'], ['p', 'fileio'], ['p', 'readdir'], ['p', 'paths'], ['p', 'buffer']]],
    ['test/fixtures/p1/testsuite-ports.c', [['p']]],
  ] as const) {
    test(`C (clang -O2, wasi-libc): ${source}`, () => {
      const bytes = readFileSync(buildC(source));
      const { bytes: out, loops, functions } = rewriteForPreemption(bytes);
      assert.ok(WebAssembly.validate(out));
      assert.ok(loops > 20 && functions > 20, `${functions} functions, ${loops} loops checked`);
      for (const args of runs) {
        const want = runC(bytes, [...args], false);
        assert.ok(want.stdout.length > 0);
        assert.deepEqual(runC(out, [...args], true), want, args.join(' '));
      }
    });
  }
});

/** Size in bytes of the custom `name` section that ends `bytes` (wabt writes it last), 0 when none. */
function nameSectionBytes(bytes: Uint8Array): number {
  let pos = 8;
  for (;;) {
    const start = pos;
    pos++;
    let size = 0;
    for (let shift = 0; ; shift += 7) { const b = bytes[pos++]!; size |= (b & 0x7f) << shift; if (b < 0x80) break; }
    pos += size;
    if (pos >= bytes.length) return bytes[start] === 0 && Buffer.from(bytes.subarray(start + 3, start + 7)).toString() === 'name' ? pos - start : 0;
  }
}
