// createPlugin with manifests of several modules, linked by name: `main` imports from the other
// items, each run on wasmlet's three modes (in-process, `runInWorker`, in-process with
// `timeoutMs`, where every module is rewritten with preemption checks) and, side by side, on
// @extism/extism 2.0.0-rc13, which must give the same results and error texts. The modules are
// WAT built here; they talk through the one kernel (`extism:host/env`) they share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as extism from '@extism/extism';
import { createPlugin, isWasmletError, type CallContext, type ExtismPluginOptions, type ManifestLike } from '../../src/index.ts';
import { watToBytes } from '../support/fixtures.ts';

type AnyPlugin = Awaited<ReturnType<typeof createPlugin>>;
type Create = (m: ManifestLike, o?: ExtismPluginOptions) => Promise<AnyPlugin>;
const modes: Record<string, Create> = {
  'in-process': (m, o) => createPlugin(m, o),
  'worker': (m, o) => createPlugin(m, { runInWorker: true, ...o }),
  'preemptible': (m, o) => createPlugin(m, { timeoutMs: 60_000, ...o }),
};
const extismSdk: Create = (m, o) => extism.createPlugin(m as never, o as never) as never;

/** Runs `scenario` on wasmlet's three modes (all must agree) and on js-sdk; returns [wasmlet's, js-sdk's]. */
async function sideBySide<T>(scenario: (create: Create) => Promise<T>): Promise<[T, T]> {
  const w = await scenario(modes['in-process']!);
  for (const mode of ['worker', 'preemptible']) assert.deepEqual(await scenario(modes[mode]!), w, `the ${mode} mode gives the same results`);
  return [w, await scenario(extismSdk)];
}

const outcome = (p: Promise<{ bytes(): Uint8Array } | null>): Promise<string> =>
  p.then((o) => (o === null ? 'null' : `ok ${Buffer.from(o.bytes()).toString('latin1')}`), (e: Error) => `err ${e.message}`);
const loads = (p: Promise<AnyPlugin>): Promise<string> => p.then(async (pl) => { await pl.close(); return 'loaded'; }, (e: Error) => e.message);
/** Calls `name` on the plugin `p` gives, then closes it. */
const callOnce = async (p: Promise<AnyPlugin>, name: string, input?: string | Uint8Array): Promise<string> => {
  const plugin = await p;
  try { return await outcome(plugin.call(name, input)); } finally { await plugin.close(); }
};

const KERNEL = `
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))`;

/** Output the bytes `(i32 ...)` as the call's output (main's helper). */
const OUTPUT = `
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (func $out1 (param i32) (local $o i64)
    (local.set $o (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $o) (local.get 0))
    (call $output_set (local.get $o) (i64.const 1)))
  (func $out2 (param i32 i32) (local $o i64)
    (local.set $o (call $alloc (i64.const 2)))
    (call $store_u8 (local.get $o) (local.get 0))
    (call $store_u8 (i64.add (local.get $o) (i64.const 1)) (local.get 1))
    (call $output_set (local.get $o) (i64.const 2)))`;

/** The provider: `add`, a string helper `upper` over kernel blocks, `grow` of its own memory, `spin`. */
const lib = (extra = ''): Promise<Uint8Array> => watToBytes(`(module ${KERNEL} ${extra}
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "upper") (param $src i64) (result i64) (local $n i64) (local $dst i64) (local $i i64) (local $c i32)
    (local.set $n (call $length (local.get $src)))
    (local.set $dst (call $alloc (local.get $n)))
    (block $done (loop $l
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (local.set $c (call $load_u8 (i64.add (local.get $src) (local.get $i))))
      (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
        (then (local.set $c (i32.sub (local.get $c) (i32.const 32)))))
      (call $store_u8 (i64.add (local.get $dst) (local.get $i)) (local.get $c))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
    (local.get $dst))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "spin") (loop $l (br $l))))`);

/** The plugin: imports from the module named `from`; `sum` adds the input's two bytes, `shout` upper-cases the input. */
const main = (from = 'lib'): Promise<Uint8Array> => watToBytes(`(module
  (import "${from}" "add" (func $add (param i32 i32) (result i32)))
  (import "${from}" "upper" (func $upper (param i64) (result i64)))
  (import "${from}" "grow" (func $grow (param i32) (result i32)))
  (import "${from}" "spin" (func $spin))
  (import "extism:host/user" "mark" (func $mark))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  ${KERNEL} ${OUTPUT}
  (memory (export "memory") 1)
  (func (export "sum") (result i32)
    (call $out1 (call $add (call $input_load_u8 (i64.const 0)) (call $input_load_u8 (i64.const 1)))) (i32.const 0))
  (func (export "shout") (result i32) (local $o i64)
    (local.set $o (call $upper (call $input_offset)))
    (call $output_set (local.get $o) (call $length (local.get $o))) (i32.const 0))
  (func (export "grow") (result i32) (call $out1 (call $grow (call $input_load_u8 (i64.const 0)))) (i32.const 0))
  (func (export "spin") (result i32) (call $mark) (call $spin) (i32.const 0)))`);

const user = (onMark: () => void = () => {}): ExtismPluginOptions => ({ functions: { 'extism:host/user': { mark: onMark } } });

test('main imports add and a string helper from the module named lib: same outputs in every mode and on js-sdk, whichever order the items are in', async () => {
  const [libWasm, mainWasm] = [await lib(), await main()];
  const [w, e] = await sideBySide(async (create) => {
    const out: string[] = [];
    for (const wasm of [[{ data: mainWasm, name: 'main' }, { data: libWasm, name: 'lib' }], [{ data: libWasm, name: 'lib' }, { data: mainWasm }]]) {
      const p = await create({ wasm }, user());
      out.push(await outcome(p.call('sum', new Uint8Array([2, 40]))), await outcome(p.call('shout', 'hello, lib')));
      out.push(JSON.stringify((await p.getImports()).map((i) => `${i.module}.${i.name}`).filter((n) => n.startsWith('lib.'))));
      await p.close();
    }
    return out;
  });
  assert.deepEqual(w, e);
  const imports = '["lib.add","lib.upper","lib.grow","lib.spin"]';
  assert.deepEqual(w, ['ok *', 'ok HELLO, LIB', imports, 'ok *', 'ok HELLO, LIB', imports]);
});

test('names: an unnamed item is named by its sha256 when it has a hash, else by its index; the last item is main; no main and unresolvable imports fail with js-sdk texts', async () => {
  const libWasm = await lib();
  const hash = createHash('sha256').update(libWasm).digest('hex');
  const [byHash, byIndex, mainWasm] = [await main(hash), await main('0'), await main()];
  const nothing = await watToBytes('(module (memory (export "memory") 1))');
  const importsNope = await watToBytes('(module (import "nope" "f" (func)) (memory (export "memory") 1))');
  const importsMissing = await watToBytes('(module (import "lib" "missing" (func)) (memory (export "memory") 1))');
  const libImportsNope = await lib('(import "nope" "g" (func))');
  const [w, e] = await sideBySide(async (create) => [
    await callOnce(create({ wasm: [{ data: libWasm, hash }, { data: byHash }] }, user()), 'sum', new Uint8Array([1, 2])),
    await callOnce(create({ wasm: [{ data: libWasm }, { data: byIndex }] }, user()), 'shout', 'abc'),
    await loads(create({ wasm: [{ data: libWasm, hash }, { data: mainWasm }] }, user())),
    await loads(create({ wasm: [{ data: nothing, name: 'a' }, { data: nothing, name: 'b' }] })),
    await loads(create({ wasm: [{ data: nothing, name: 'lib' }] })),
    await loads(create({ wasm: [{ data: importsNope }] })),
    await loads(create({ wasm: [{ data: libWasm, name: 'lib' }, { data: importsMissing }] })),
    await loads(create({ wasm: [{ data: libImportsNope, name: 'lib' }, { data: mainWasm }] }, user())),
  ]);
  assert.deepEqual(w, e);
  assert.deepEqual(w, [
    'ok \x03', 'ok ABC',
    'from module "main": cannot resolve import "lib" "add": not provided by host imports nor linked manifest items',
    'manifest with multiple modules must designate one "main" module',
    'manifest with multiple modules must designate one "main" module',
    'from module "main": cannot resolve import "nope" "f": not provided by host imports nor linked manifest items',
    'from module "main": cannot import "lib" "missing"; no export matched request',
    'from module "main"/"lib": cannot resolve import "nope" "g": not provided by host imports nor linked manifest items',
  ]);
});

test('wasmlet refuses what js-sdk mislinks: two items with one name (js-sdk links the first), a cycle through a module exporting _start (js-sdk recurses until the stack overflows)', async () => {
  const cyclicLib = await watToBytes(`(module (import "main" "g" (func $g (result i32))) (func (export "f") (result i32) (call $g)))`);
  const commandMain = await watToBytes(`(module (import "lib" "f" (func $f (result i32))) (memory (export "memory") 1)
    (func (export "_start")) (func (export "g") (result i32) (i32.const 1)))`);
  await assert.rejects(createPlugin({ wasm: [{ data: cyclicLib, name: 'lib' }, { data: commandMain }] }),
    { message: 'from module "main"/"lib": cannot import "main" "g"; circular imports through a module exporting _start are not supported' });
  const [libWasm, mainWasm] = [await lib(), await main()];
  for (const wasm of [[{ data: libWasm, name: 'lib' }, { data: libWasm, name: 'lib' }, { data: mainWasm }], [{ data: libWasm, name: '1' }, { data: libWasm }, { data: mainWasm }]]) {
    await assert.rejects(createPlugin({ wasm }, user()), (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_EXTISM_MANIFEST'
      && /^manifest\.wasm items 0 and 1 are both named "(lib|1)": give each module a distinct "name"/.test(err.message));
  }
});

test('a provider exporting _start is instantiated (and started, without WASI) afresh for each import from it, any other once; a cycle of function imports links through a trampoline', async () => {
  const counter = (start: boolean) => watToBytes(`(module (global $n (mut i32) (i32.const 0)) (memory (export "memory") 1)
    ${start ? '(func (export "_start") (global.set $n (i32.const 100)))' : ''}
    (func (export "bump") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))`);
  const middle = await watToBytes(`(module (import "counter" "bump" (func $bump (result i32))) (memory (export "memory") 1)
    (func (export "bump") (result i32) (call $bump)))`);
  const mainWasm = await watToBytes(`(module (import "counter" "bump" (func $bump (result i32)))
    (import "middle" "bump" (func $via (result i32))) ${KERNEL} ${OUTPUT} (memory (export "memory") 1)
    (func (export "count") (result i32) (call $out2 (call $bump) (call $via)) (i32.const 0)))`);
  // main.run -> lib.f -> main.g: main is still being instantiated when lib is.
  const cyclicLib = await watToBytes(`(module (import "main" "g" (func $g (result i32))) (memory (export "memory") 1)
    (func (export "f") (result i32) (i32.add (call $g) (i32.const 1))))`);
  const cyclicMain = await watToBytes(`(module (import "lib" "f" (func $f (result i32))) ${KERNEL} ${OUTPUT} (memory (export "memory") 1)
    (func (export "g") (result i32) (i32.const 41))
    (func (export "run") (result i32) (call $out1 (call $f)) (i32.const 0)))`);
  const memoryCycleLib = await watToBytes('(module (import "main" "memory" (memory 1)) (func (export "f") (result i32) (i32.const 1)))');
  const [w, e] = await sideBySide(async (create) => {
    const out: string[] = [];
    for (const start of [true, false]) {
      const p = await create({ wasm: [{ data: await counter(start), name: 'counter' }, { data: middle, name: 'middle' }, { data: mainWasm }] });
      out.push(await outcome(p.call('count')).then((s) => [...s].map((c) => c.charCodeAt(0)).join(',')));
      await p.close();
    }
    out.push(await callOnce(create({ wasm: [{ data: cyclicLib, name: 'lib' }, { data: cyclicMain }] }), 'run'));
    out.push(await loads(create({ wasm: [{ data: memoryCycleLib, name: 'lib' }, { data: cyclicMain }] })));
    return out;
  });
  assert.deepEqual(w, e);
  const ok = 'ok '.split('').map((c) => c.charCodeAt(0)).join(',');
  assert.deepEqual(w, [
    `${ok},101,101`, // each import its own counter, started at 100
    `${ok},1,2`, // one counter for both
    'ok *',
    'from module "main"/"lib": cannot import "main" "memory"; circular imports of type="memory" are not supported',
  ]);
});

test('WASI: every module of the plugin sees the one WASI context (its preopens), each through its own memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-extlink-'));
  // fd_prestat_get(3) writes { tag, name_len } at the given address of the caller's own memory.
  const prestat = '(import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))';
  const libWasm = await watToBytes(`(module ${prestat} (memory (export "memory") 1)
    (func (export "name_len") (result i32) (drop (call $prestat (i32.const 3) (i32.const 200))) (i32.load (i32.const 204))))`);
  const mainWasm = await watToBytes(`(module ${prestat} (import "lib" "name_len" (func $lib_len (result i32))) ${KERNEL} ${OUTPUT}
    (memory (export "memory") 1)
    (func (export "run") (result i32)
      (drop (call $prestat (i32.const 3) (i32.const 8)))
      (call $out2 (i32.load (i32.const 12)) (call $lib_len)) (i32.const 0)))`);
  const manifest = { wasm: [{ data: libWasm, name: 'lib' }, { data: mainWasm }] };
  const [w, e] = await sideBySide(async (create) => [
    await callOnce(create(manifest, { useWasi: true, allowedPaths: { '/data': dir } }), 'run'),
    await loads(create(manifest)),
  ]);
  assert.deepEqual(w, e);
  assert.deepEqual(w, ['ok \x05\x05', 'WASI is not enabled; see the "useWasi" plugin option']);
});

test('wasmlet: memory.maxLinearMemoryBytes caps the provider\'s memory too, in every mode', async () => {
  const [libWasm, mainWasm] = [await lib(), await main()];
  const bigLib = await watToBytes('(module (memory (export "memory") 3) (func (export "add") (param i32 i32) (result i32) (i32.const 0)))');
  for (const [mode, create] of Object.entries(modes)) {
    const capped = await create({ wasm: [{ data: libWasm, name: 'lib' }, { data: mainWasm }] }, { ...user(), memory: { maxLinearMemoryBytes: 2 * 65536 } });
    assert.deepEqual([...(await capped.call('grow', new Uint8Array([1])))!.bytes()], [1], `${mode}: growing to the cap`);
    assert.deepEqual([...(await capped.call('grow', new Uint8Array([1])))!.bytes()], [255], `${mode}: -1 past the cap`);
    await capped.close();
    const free = await create({ wasm: [{ data: libWasm, name: 'lib' }, { data: mainWasm }] }, user());
    assert.deepEqual([...(await free.call('grow', new Uint8Array([5])))!.bytes()], [1], `${mode}: no cap, the grow succeeds`);
    await free.close();
    await assert.rejects(create({ wasm: [{ data: bigLib, name: 'lib' }, { data: mainWasm }] }, { ...user(), memory: { maxLinearMemoryBytes: 2 * 65536 } }),
      (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_MEMORY_LIMIT' && err.message.startsWith('module "lib": the module needs 3 pages'));
  }
});

test('wasmlet timeoutMs: a loop inside the provider is stopped in-process (every module rewritten); a { module } provider sends the plugin to a worker, stopped there', async () => {
  const [libWasm, mainWasm] = [await lib(), await main()];
  for (const [wasm, inProcess] of [
    [[{ data: libWasm, name: 'lib' }, { data: mainWasm }], true],
    [[{ module: new WebAssembly.Module(libWasm as Uint8Array<ArrayBuffer>), name: 'lib' }, { data: mainWasm }], false],
  ] as const) {
    let marked = false;
    const p = await createPlugin({ wasm: [...wasm], timeoutMs: 100 }, user(() => { marked = true; }));
    assert.equal((await p.call('shout', 'still works'))?.text(), 'STILL WORKS');
    const call = p.call('spin');
    // In-process the guest runs now, on this thread (it reached the host function before call()
    // returned); on a worker it has not started yet.
    assert.equal(marked, inProcess);
    await assert.rejects(call, (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT' && err.message === 'EXTISM: call canceled due to timeout');
    assert.equal((await p.call('sum', new Uint8Array([20, 22])))?.text(), '*', 'the next call gets a fresh plugin');
    await p.close();
  }
});

test('a host function the provider imports, async too, is called with the plugin\'s CallContext (in-process the guest suspends through main into lib)', async () => {
  const libWasm = await watToBytes(`(module (import "extism:host/user" "twice" (func $twice (param i64) (result i64))) (memory (export "memory") 1)
    (func (export "twice") (param i64) (result i64) (call $twice (local.get 0))))`);
  const mainWasm = await watToBytes(`(module (import "lib" "twice" (func $twice (param i64) (result i64)))
    (import "extism:host/env" "input_offset" (func $input_offset (result i64))) ${KERNEL} ${OUTPUT} (memory (export "memory") 1)
    (func (export "run") (result i32) (local $o i64)
      (local.set $o (call $twice (call $input_offset)))
      (call $output_set (local.get $o) (call $length (local.get $o))) (i32.const 0)))`);
  const [w, e] = await sideBySide(async (create) => {
    const out: string[] = [];
    for (const twice of [
      (ctx: CallContext, off: bigint) => ctx.store(ctx.read(off)!.text().repeat(2)),
      async (ctx: CallContext, off: bigint) => { await new Promise((r) => setTimeout(r, 5)); return ctx.store(`${ctx.read(off)!.text()}!`); },
    ]) {
      out.push(await callOnce(create({ wasm: [{ data: libWasm, name: 'lib' }, { data: mainWasm }] }, { functions: { 'extism:host/user': { twice } } }), 'run', 'ab'));
    }
    return out;
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, ['ok abab', 'ok ab!']);
});

test('wasmlet: the WASI context is one (descriptors, not only preopens): a descriptor the provider closes is gone for main', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-extlink-'));
  const libWasm = await watToBytes(`(module (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
    (memory (export "memory") 1) (func (export "close3") (result i32) (call $close (i32.const 3))))`);
  const mainWasm = await watToBytes(`(module (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
    (import "lib" "close3" (func $close3 (result i32))) ${KERNEL} ${OUTPUT} (memory (export "memory") 1)
    (func (export "run") (result i32) (call $out2 (call $close3) (call $prestat (i32.const 3) (i32.const 8))) (i32.const 0)))`);
  for (const [mode, create] of Object.entries(modes)) {
    // errno 0 for the close, then EBADF (8) for main's look at the same descriptor; with a WASI
    // context per module (js-sdk's), main would still see its preopen (0).
    assert.equal(await callOnce(create({ wasm: [{ data: libWasm, name: 'lib' }, { data: mainWasm }] }, { useWasi: true, allowedPaths: { '/data': dir } }), 'run'),
      'ok \x00\x08', mode);
  }
});

test('wasmlet: a manifest whose _start modules would multiply into more than MAX_LINKED_INSTANCES instances is refused, in every mode', async () => {
  // Each level exports _start and f0..f7, each imported from the next level: 8^depth instances.
  const level = (next: string | undefined) => watToBytes(`(module
    ${next === undefined ? '' : Array.from({ length: 8 }, (_, i) => `(import "${next}" "f${i}" (func (result i32)))`).join(' ')}
    (func (export "_start")) ${Array.from({ length: 8 }, (_, i) => `(func (export "f${i}") (result i32) (i32.const ${i}))`).join(' ')})`);
  const wasm = [
    { data: await level('l1'), name: 'l0' }, { data: await level('l2'), name: 'l1' }, { data: await level('l3'), name: 'l2' },
    { data: await level(undefined), name: 'l3' },
    { data: await watToBytes('(module (import "l0" "f0" (func (result i32))) (func (export "run") (result i32) (i32.const 0)))') },
  ];
  for (const [mode, create] of Object.entries(modes)) {
    await assert.rejects(create({ wasm }), (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_EXTISM_MANIFEST'
      && /linking the manifest's modules needs more than 256 instances/.test(err.message), mode);
  }
  // Below the bound the same shape links: l0 -> l1 -> l2 (1 + 8 + 64 instances, with main).
  const small = [wasm[0]!, wasm[1]!, { data: await level(undefined), name: 'l2' }, wasm[4]!];
  for (const [mode, create] of Object.entries(modes)) assert.equal(await loads(create({ wasm: small })), 'loaded', mode);
});

test('wasmlet: an invalid module among several is named in the error', async () => {
  const truncated = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01]);
  await assert.rejects(createPlugin({ wasm: [{ data: truncated, name: 'lib' }, { data: await watToBytes('(module)') }] }),
    (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_INVALID_WASM' && err.message.startsWith('module "lib": invalid WebAssembly module'));
});

test('wasmlet timeoutMs: a manifest item named wasmlet:preempt cannot stand in for the preemption clock', async () => {
  // Its `tick` would hand out budget forever; the rewritten main's checks must still reach the clock.
  const forged = await watToBytes('(module (func (export "tick") (result i32) (i32.const 1000000)))');
  const spinning = await watToBytes('(module (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0)))');
  const p = await createPlugin({ wasm: [{ data: forged, name: 'wasmlet:preempt' }, { data: spinning }], timeoutMs: 200 });
  try {
    await assert.rejects(p.call('spin'), (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT');
  } finally {
    await p.close();
  }
});

test('start-up as js-sdk: hs_init (Haskell) wins, else _initialize, else _start; with WASI, _initialize then hs_init', async () => {
  const plugin = (exportsWat: string, wasi = false) => watToBytes(`(module
    ${wasi ? '(import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))' : ''} ${KERNEL} ${OUTPUT}
    (memory (export "memory") 1) (global $n (mut i32) (i32.const 0))
    ${exportsWat}
    (func (export "get") (result i32) (call $out1 (global.get $n)) (i32.const 0)))`);
  const hs = '(func (export "hs_init") (global.set $n (i32.add (global.get $n) (i32.const 1))))';
  const init = '(func (export "_initialize") (global.set $n (i32.add (global.get $n) (i32.const 10))))';
  const start = '(func (export "_start") (global.set $n (i32.add (global.get $n) (i32.const 100))))';
  const cases = [await plugin(hs + init + start), await plugin(init + start), await plugin(start), await plugin(hs + start, true), await plugin(hs + init, true)];
  const [w, e] = await sideBySide(async (create) => {
    const out: string[] = [];
    for (const data of cases) out.push(await callOnce(create({ wasm: [{ data }] }, { useWasi: true }), 'get'));
    return out;
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, ['ok \x01', 'ok \x0a', 'ok \x64', 'ok \x01', 'ok \x0b']);
});
