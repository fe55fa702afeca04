// createPlugin against @extism/extism 2.0.0-rc13, side by side: Extism's own prebuilt test
// plugins (test/fixtures/extism/, from extism/js-sdk wasm/ at v2.0.0-rc13) and a C plugin built
// here against the kernel ABI must give the same outputs and error texts on both hosts. Then what
// only wasmlet gives: timeouts that preempt, caps on output and linear memory. Every side-by-side
// scenario also runs on wasmlet's preemptible in-process mode (`timeoutMs` set: the module is
// rewritten with preemption checks, engine/preempt/), which must give wasmlet's results exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as extism from '@extism/extism';
import { createPlugin, isWasmletError, type CallContext, type ExtismPluginOptions, type ManifestLike } from '../../src/index.ts';
import { buildC, repoRoot, watToBytes } from '../support/fixtures.ts';

const fixtures = join(repoRoot, 'test/fixtures/extism');
const fx = (name: string): string => join(fixtures, name);
const greetWasm = (): string => buildC('test/fixtures/extism-src/greet.c', ['-mexec-model=reactor']);

type AnyPlugin = Awaited<ReturnType<typeof createPlugin>>;
const hosts: Record<string, (m: ManifestLike, o?: ExtismPluginOptions) => Promise<AnyPlugin>> = {
  wasmlet: (m, o) => createPlugin(m, o),
  preemptible: (m, o) => createPlugin(m, { timeoutMs: 60_000, ...o }),
  extism: (m, o) => extism.createPlugin(m as never, o as never) as never,
};

/**
 * Runs `scenario` on both hosts, and on wasmlet's preemptible in-process mode (whose result must
 * equal wasmlet's); returns [wasmlet's result, extism's result].
 */
async function both<T>(scenario: (create: (m: ManifestLike, o?: ExtismPluginOptions) => Promise<AnyPlugin>) => Promise<T>): Promise<[T, T]> {
  const w = await scenario(hosts.wasmlet!);
  assert.deepEqual(await scenario(hosts.preemptible!), w, 'the preemptible in-process mode gives the same results');
  return [w, await scenario(hosts.extism!)];
}

const outcome = (p: Promise<{ text(): string } | null>): Promise<string> =>
  p.then((o) => (o === null ? 'null' : `ok ${o.text()}`), (e: Error) => `err ${e.message}`);

function recordingLogger(lines: string[]) {
  const at = (level: string) => (m: string) => { lines.push(`${level}: ${m}`); };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

test('count_vowels (Rust PDK): same JSON on both hosts, and its var-backed total persists across calls', async () => {
  const [w, e] = await both(async (create) => {
    const p = await create(fx('code.wasm'));
    const out = [await outcome(p.call('count_vowels', 'hello world')), await outcome(p.call('count_vowels', new TextEncoder().encode('aeiou')))];
    out.push(String(await p.functionExists('count_vowels')), String(await p.functionExists('count_sheep')));
    await p.close();
    return out;
  });
  assert.deepEqual(w, e);
  assert.equal(w[0], 'ok {"count":3,"total":3,"vowels":"aeiouAEIOU"}');
  assert.equal(w[1], 'ok {"count":5,"total":8,"vowels":"aeiouAEIOU"}');
  assert.deepEqual(w.slice(2), ['true', 'false']);
});

test('fail, alloc, input_offset, an unknown export and WASI not enabled: same results and error texts', async () => {
  const [w, e] = await both(async (create) => [
    await outcome((await create(fx('fail.wasm'))).call('run_test', '')),
    await outcome((await create(fx('alloc.wasm'))).call('run_test', '')),
    String((await (await create(fx('input_offset.wasm'))).call('input_offset_length', 'hello world'))?.getBigUint64(0, true)),
    await outcome((await create(fx('code.wasm'))).call('reticulate_splines', 'x')),
    await create(fx('var.wasm')).then(() => 'loaded', (err: Error) => err.message),
  ]);
  assert.deepEqual(w, e);
  assert.deepEqual(w, [
    'err Plugin-originated error: Some error message', 'null', '11',
    'err Plugin error: function "reticulate_splines" does not exist', 'WASI is not enabled; see the "useWasi" plugin option',
  ]);
});

test('TinyGo-style config and var plugins (WASI): config from options or manifest, vars across calls', async () => {
  const [w, e] = await both(async (create) => {
    const c1 = await create(fx('config.wasm'), { useWasi: true, config: { thing: 'from options' } });
    const c2 = await create({ wasm: [{ path: fx('config.wasm') }], config: { thing: 'from manifest' } }, { useWasi: true });
    const v = await create(fx('var.wasm'), { useWasi: true });
    return [
      await outcome(c1.call('run_test')), await outcome(c2.call('run_test')),
      await outcome(v.call('run_test')), await outcome(v.call('run_test')),
    ];
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, ['ok {"config": "from options"}', 'ok {"config": "from manifest"}', 'ok a: 0', 'ok a: 0']);
});

test('log levels: the same lines reach the logger, filtered the same way', async () => {
  const [w, e] = await both(async (create) => {
    const lines: string[] = [];
    await (await create(fx('log.wasm'), { useWasi: true, logger: recordingLogger(lines) as never, logLevel: 'info' })).call('run_test', '');
    return lines;
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, ['info: this is an info log', 'warn: this is a warning log', 'error: this is an error log']);
});

test('memory limits: maxVarBytes fails the call with js-sdk text; maxPages refuses a large alloc, allows it when raised', async () => {
  const [w, e] = await both(async (create) => {
    const big = JSON.stringify({ bytes: 65536 * 5 });
    const vars = await create({ wasm: [{ path: fx('memory.wasm') }], memory: { maxVarBytes: 100 } }, { logger: recordingLogger([]) as never });
    const small = await create({ wasm: [{ path: fx('memory.wasm') }], memory: { maxPages: 2 } }, { logger: recordingLogger([]) as never });
    const roomy = await create({ wasm: [{ path: fx('memory.wasm') }], memory: { maxPages: 6 } });
    return [
      await outcome(vars.call('alloc_var', JSON.stringify({ bytes: 1024 }))),
      (await outcome(small.call('alloc_memory', big))).slice(0, 3),
      await outcome(roomy.call('alloc_memory', big)),
    ];
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, ['err Plugin-originated error: var memory limit exceeded: 1024 bytes requested, 100 allowed', 'err', 'ok ']);
});

test('http: allowedHosts globs gate http_request; the response body is the output', async (t) => {
  const server = createServer((req, res) => res.end(`${req.method} ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const [w, e] = await both(async (create) => {
    const allowed = await create(fx('http.wasm'), { allowedHosts: ['127.0.0.*'] });
    const denied = await create(fx('http.wasm'), { allowedHosts: ['*.example.com'] });
    return [
      await outcome(allowed.call('http_get', JSON.stringify({ url: `http://127.0.0.1:${port}/hi` }))),
      await outcome(allowed.call('http_get', JSON.stringify({ url: `http://localhost:${port}/hi` }))),
      await outcome(denied.call('http_get', JSON.stringify({ url: `http://127.0.0.1:${port}/hi` }))),
    ];
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, [
    'ok GET /hi',
    `err Call error: HTTP request to "http://localhost:${port}/hi" is not allowed (no allowedHosts match "localhost")`,
    `err Call error: HTTP request to "http://127.0.0.1:${port}/hi" is not allowed (no allowedHosts match "127.0.0.1")`,
  ]);
  // wasmlet's worker mode: the request is made on this thread for the blocked worker.
  const onWorker = await createPlugin(fx('http.wasm'), { allowedHosts: ['127.0.0.1'], timeoutMs: 5000, runInWorker: true });
  assert.equal(await outcome(onWorker.call('http_get', JSON.stringify({ url: `http://127.0.0.1:${port}/w` }))), 'ok GET /w');
  await onWorker.close();
});

test('wasmlet: http_request checks every redirect hop against allowedHosts (js-sdk checks only the first URL)', async (t) => {
  const server = createServer((req, res) => {
    const port = (server.address() as { port: number }).port;
    if (req.url === '/to-self') { res.writeHead(302, { location: '/hi' }); res.end(); return; }
    if (req.url === '/to-localhost') { res.writeHead(307, { location: `http://localhost:${port}/hi` }); res.end(); return; }
    res.end(`${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const plugin = await createPlugin(fx('http.wasm'), { allowedHosts: ['127.0.0.1'] });
  assert.equal(await outcome(plugin.call('http_get', JSON.stringify({ url: `http://127.0.0.1:${port}/to-self` }))), 'ok GET /hi');
  assert.equal(await outcome(plugin.call('http_get', JSON.stringify({ url: `http://127.0.0.1:${port}/to-localhost` }))),
    `err Call error: HTTP request to "http://localhost:${port}/hi" is not allowed (no allowedHosts match "localhost")`);
});

test('host functions (the C plugin with WASI): read the argument, store the result, sync or async, and a throw rejects the call', async () => {
  const [w, e] = await both(async (create) => {
    const seen: string[] = [];
    const sync = await create(fx('code-functions.wasm'), {
      useWasi: true,
      functions: { 'extism:host/user': { hello_world(ctx: CallContext, off: bigint) { seen.push(ctx.read(off)!.text()); return ctx.store('wow okay then'); } } },
    });
    const asyncFn = await create(fx('code-functions.wasm'), {
      useWasi: true,
      functions: { 'extism:host/user': { async hello_world(ctx: CallContext) { await new Promise((r) => setTimeout(r, 5)); return ctx.store('later'); } } },
    });
    const throws = await create(fx('code-functions.wasm'), {
      useWasi: true, functions: { 'extism:host/user': { hello_world() { throw new Error('host says no'); } } },
    });
    return [
      await outcome(sync.call('count_vowels', 'hello world')), ...seen,
      await outcome(asyncFn.call('count_vowels', 'hello world')),
      await outcome(throws.call('count_vowels', 'hello world')),
    ];
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, ['ok wow okay then', '{"count": 3}', 'ok later', 'err host says no']);
});

test('a C plugin built here against the raw ABI: config, vars, logs, error_set, a host function, WASI files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-extism-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data/hello.txt'), 'hi from the host\n');
  const wasm = readFileSync(greetWasm());
  const [w, e] = await both(async (create) => {
    const lines: string[] = [];
    const p = await create({ wasm: [{ data: wasm }], config: { greeting: 'Howdy' }, allowedPaths: { '/data': join(dir, 'data') } }, {
      useWasi: true, logger: recordingLogger(lines) as never, logLevel: 'info',
      functions: { 'extism:host/user': { decorate: (ctx: CallContext, off: bigint) => ctx.store(`** ${ctx.read(off)!.text()} **`) } },
    });
    const out = [
      await outcome(p.call('greet', 'Ada')), await outcome(p.call('greet', 'Grace')),
      await outcome(p.call('greet_decorated', 'Linus')), await outcome(p.call('greet', '')),
      await outcome(p.call('read_file')),
    ];
    return [...out, ...lines];
  });
  assert.deepEqual(w, e);
  assert.deepEqual(w, [
    'ok Howdy, Ada! (#1)', 'ok Howdy, Grace! (#2)', 'ok ** Howdy, Linus! (#3) **', 'err Plugin-originated error: empty name',
    'ok hi from the host\n', 'info: Howdy, Ada! (#1)', 'info: Howdy, Grace! (#2)', 'info: Howdy, Linus! (#3)',
  ]);
});

test('wasmlet: allowedPaths with ro: is a read-only preopen (js-sdk refuses ro:); no allowedPaths, no file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-extism-ro-'));
  writeFileSync(join(dir, 'hello.txt'), 'read-only works\n');
  const wasm = readFileSync(greetWasm());
  const functions = { 'extism:host/user': { decorate: (_ctx: CallContext, off: bigint) => off } };
  const ro = await createPlugin({ wasm: [{ data: wasm }], allowedPaths: { '/data': `ro:${dir}` } }, { useWasi: true, functions });
  assert.equal((await ro.call('read_file'))?.text(), 'read-only works\n');
  // Extism's runtime manifest JSON maps host -> guest (`allowed_paths`, extism-manifest), `ro:` on the host side.
  const json = JSON.stringify({ wasm: [{ path: greetWasm() }], allowed_paths: { [`ro:${dir}`]: '/data' } });
  const fromJson = await createPlugin(json, { useWasi: true, functions });
  assert.equal((await fromJson.call('read_file'))?.text(), 'read-only works\n');
  const none = await createPlugin({ wasm: [{ data: wasm }] }, { useWasi: true, functions });
  await assert.rejects(none.call('read_file'), { message: 'Plugin-originated error: cannot open /data/hello.txt' });
});

test('manifest: { data } with a matching hash loads; a wrong hash fails with js-sdk text; JSON with snake_case keys', async () => {
  const bytes = readFileSync(fx('fail.wasm'));
  const hash = createHash('sha256').update(bytes).digest('hex');
  const ok = await createPlugin({ wasm: [{ data: bytes, hash }] });
  assert.equal(await ok.functionExists('run_test'), true);
  await assert.rejects(createPlugin({ wasm: [{ data: bytes, hash: '00'.repeat(32) }] }),
    (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_EXTISM_MANIFEST' && err.message === `Plugin error: hash mismatch. Expected: ${'00'.repeat(32)}. Actual: ${hash}`);
  const json = JSON.stringify({ wasm: [{ path: fx('memory.wasm') }], memory: { max_var_bytes: 10 } });
  const fromJson = await createPlugin(json, { logger: recordingLogger([]) as never });
  await assert.rejects(fromJson.call('alloc_var', JSON.stringify({ bytes: 64 })), /var memory limit exceeded: 64 bytes requested, 10 allowed/);
  await assert.rejects(createPlugin({ wasm: [] }), { code: 'WASMLET_ERR_EXTISM_MANIFEST' });
  await assert.rejects(createPlugin(new TextEncoder().encode('not wasm')), { code: 'WASMLET_ERR_INVALID_WASM' });
});

test('wasmlet worker mode: timeoutMs preempts a looping plugin with js-sdk text; the host and other plugins carry on', async () => {
  const looping = await createPlugin(fx('loop-forever.wasm'), { timeoutMs: 300, runInWorker: true });
  const counter = await createPlugin(fx('code.wasm'));
  await assert.rejects(looping.call('loop', 'x'), (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT' && err.message === 'EXTISM: call canceled due to timeout');
  assert.equal((await counter.call('count_vowels', 'aaa'))?.json().count, 3);
  await assert.rejects(looping.call('loop', 'x'), { message: 'EXTISM: call canceled due to timeout' }); // a fresh worker, stopped again
  await looping.close();
});

test('wasmlet in-process timeoutMs: a looping call is stopped on this thread with js-sdk text; the next call gets a fresh instance', async () => {
  const wasm = buildC('examples/plugin-extism/plugin.c', ['-mexec-model=reactor']);
  const counts: bigint[] = [];
  const plugin = await createPlugin({ wasm: [{ path: wasm }], timeoutMs: 200 }, {
    functions: { 'extism:host/user': { record: (_ctx: CallContext, n: bigint) => { counts.push(n); } } },
  });
  assert.deepEqual(await plugin.getImports().then((i) => i.map((d) => d.module)).then((m) => [...new Set(m)].sort()), ['extism:host/env', 'extism:host/user']);
  assert.equal((await plugin.call('count_vowels', 'aeiou'))?.json().count, 5);
  await assert.rejects(plugin.call('spin'), (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT' && err.message === 'EXTISM: call canceled due to timeout');
  await new Promise((r) => setTimeout(r, 1)); // the event loop of this thread still turns
  assert.equal((await plugin.call('count_vowels', 'abc'))?.json().count, 1);
  assert.deepEqual(counts, [5n, 1n]);
  await plugin.close();
});

test('wasmlet in-process timeoutMs: a call suspended on an async host function past the deadline is stopped; a guest that swallows the preemption still times out; start-up that loops is stopped', async () => {
  const plugin = await createPlugin({ wasm: [{ data: readFileSync(greetWasm()) }], timeoutMs: 100 }, {
    useWasi: true,
    functions: { 'extism:host/user': { decorate: async () => new Promise<bigint>(() => {}) } }, // never settles
  });
  assert.equal((await plugin.call('greet', 'Ada'))?.text(), 'Hello, Ada! (#1)');
  await assert.rejects(plugin.call('greet_decorated', 'Bob'), { code: 'WASMLET_ERR_TIMEOUT', message: 'EXTISM: call canceled due to timeout' });
  assert.equal((await plugin.call('greet', 'Cy'))?.text(), 'Hello, Cy! (#1)', 'a fresh instance: its counter starts again');
  await plugin.close();
  const swallows = await watToBytes(`(module (memory (export "memory") 1)
    (func (export "swallow") (result i32) (try (do (loop $l (br $l))) (catch_all)) (i32.const 0)))`, { exceptions: true });
  const swallowing = await createPlugin(swallows, { timeoutMs: 50 });
  await assert.rejects(swallowing.call('swallow'), { code: 'WASMLET_ERR_TIMEOUT', message: 'EXTISM: call canceled due to timeout' },
    'a guest that catches the preemption and returns is still past its deadline');
  await swallowing.close();
  const catchesInLoop = await watToBytes(`(module (memory (export "memory") 1)
    (func (export "run") (loop $outer (try (do (loop $inner (br $inner))) (catch_all)) (br $outer))))`, { exceptions: true });
  const catching = await createPlugin(catchesInLoop, { timeoutMs: 50 });
  await assert.rejects(catching.call('run'), { code: 'WASMLET_ERR_TIMEOUT', message: 'EXTISM: call canceled due to timeout' },
    'a guest that catches the preemption in an outer loop of the same function is stopped again');
  await catching.close();
  const spinsAtStart = await watToBytes('(module (memory (export "memory") 1) (func (export "_initialize") (loop $l (br $l))))');
  await assert.rejects(createPlugin(spinsAtStart, { timeoutMs: 50 }),
    (err: Error) => isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT' && err.message === 'EXTISM: timed out while waiting for plugin to instantiate');
});

test('wasmlet in-process timeoutMs: an invalid module is refused as without a timeout, even one the rewrite would make valid; only bytes createPlugin rewrote run in-process', async () => {
  for (const body of ['(local.set 0 (i32.const 5))', '(global.set 0 (i32.const 100000))']) { // the countdown local, the budget global
    const invalid = await watToBytes(`(module (memory (export "memory") 1) (func (export "run") (loop $l ${body} (br $l))))`);
    const without = await createPlugin(invalid).then(() => null, (err: unknown) => err);
    assert.ok(isWasmletError(without) && without.code === 'WASMLET_ERR_INVALID_WASM', String(without));
    await assert.rejects(createPlugin(invalid, { timeoutMs: 50 }), { code: 'WASMLET_ERR_INVALID_WASM', message: (without as Error).message });
  }
  // A { module } source that imports wasmlet:preempt tick but has no checks: the worker mode stops it.
  const unchecked = await watToBytes(`(module (import "wasmlet:preempt" "tick" (func (result i32))) (memory (export "memory") 1)
    (func (export "run") (result i32) (loop $l (br $l)) (i32.const 0)))`);
  const plugin = await createPlugin({ wasm: [{ module: new WebAssembly.Module(unchecked) }] }, {
    timeoutMs: 100, functions: { 'wasmlet:preempt': { tick: () => 1 } },
  });
  assert.deepEqual((await plugin.getImports()).map((i) => i.module), ['wasmlet:preempt'], 'the guest\'s own import is listed');
  await assert.rejects(plugin.call('run'), { code: 'WASMLET_ERR_TIMEOUT', message: 'EXTISM: call canceled due to timeout' });
  await plugin.close();
});

test('wasmlet in-process timeoutMs: a module past a V8 limit once rewritten (50000 locals, one more for the countdown) runs on a worker instead', async () => {
  const atLimit = await watToBytes(`(module (memory (export "memory") 1)
    (func (export "run") (result i32) (local ${'i32 '.repeat(50_000)}) (loop $l (br $l)) (i32.const 0)))`);
  const plugin = await createPlugin(atLimit, { timeoutMs: 100 });
  assert.deepEqual(await plugin.getImports(), [], 'the original module, not the rewritten one');
  await assert.rejects(plugin.call('run'), { code: 'WASMLET_ERR_TIMEOUT', message: 'EXTISM: call canceled due to timeout' });
  await plugin.close();
});

test('wasmlet in-process timeoutMs: a restart that fails after a timeout leaves the plugin stale, and the next call restarts and is stopped again', async () => {
  const wat = `(module (import "user" "hook" (func $hook)) (memory (export "memory") 1)
    (func (export "_initialize") (call $hook))
    (func (export "run") (result i32) (loop $l (br $l)) (i32.const 0)))`;
  let starts = 0;
  const plugin = await createPlugin(await watToBytes(wat), {
    timeoutMs: 100,
    functions: { user: { hook: () => { if (++starts === 2) throw new Error('init failed once'); } } },
  });
  await assert.rejects(plugin.call('run'), { code: 'WASMLET_ERR_TIMEOUT' });
  await assert.rejects(plugin.call('run'), { message: 'init failed once' }, 'the restart fails');
  await assert.rejects(plugin.call('run'), { code: 'WASMLET_ERR_TIMEOUT' }, 'a restart that succeeds, with a deadline again');
  assert.equal(starts, 3);
  await plugin.close();
});

test('wasmlet in-process timeoutMs: an instance stopped while suspended on an async host function cannot call host functions when it resumes', async () => {
  const wat = `(module (import "user" "wait" (func $wait)) (import "user" "record" (func $record)) (memory (export "memory") 1)
    (func (export "run") (result i32) (call $wait) (call $record) (i32.const 0)))`;
  let release!: () => void;
  const settled = new Promise<void>((r) => { release = r; });
  let recorded = 0;
  const plugin = await createPlugin(await watToBytes(wat), {
    timeoutMs: 50,
    functions: { user: { wait: async () => settled, record: () => { recorded++; } } },
  });
  await assert.rejects(plugin.call('run'), { code: 'WASMLET_ERR_TIMEOUT' });
  release(); // the abandoned instance resumes now and calls record
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(recorded, 0);
  await plugin.close();
});

test('wasmlet worker mode: host functions run on this thread (async too), vars and hostContext reach them, errors come back', async () => {
  const wasm = readFileSync(greetWasm());
  const plugin = await createPlugin({ wasm: [{ data: wasm }], timeoutMs: 5000 }, {
    useWasi: true,
    runInWorker: true,
    functions: {
      'extism:host/user': {
        async decorate(ctx: CallContext, off: bigint) {
          await new Promise((r) => setTimeout(r, 5));
          const count = ctx.getVariable('count')!.getBigUint64(0, true);
          return ctx.store(`${ctx.read(off)!.text()} [${count} via ${ctx.hostContext<string>()}]`);
        },
      },
    },
  });
  assert.equal((await plugin.call('greet', 'Ada'))?.text(), 'Hello, Ada! (#1)');
  assert.equal((await plugin.call('greet_decorated', 'Bob', 'main thread'))?.text(), 'Hello, Bob! (#2) [2 via main thread]');
  await assert.rejects(plugin.call('greet', ''), { message: 'Plugin-originated error: empty name' });
  await plugin.close();
});

test('wasmlet: memory.maxOutputBytes fails a larger output; maxLinearMemoryBytes refuses a module whose memory starts larger', async () => {
  const p = await createPlugin(fx('code.wasm'), { memory: { maxOutputBytes: 16 } });
  await assert.rejects(p.call('count_vowels', 'hello'), /output limit exceeded: \d+ bytes, 16 allowed/);
  await assert.rejects(createPlugin(fx('code.wasm'), { memory: { maxLinearMemoryBytes: 65536 } }), { code: 'WASMLET_ERR_MEMORY_LIMIT' });
  const capped = await createPlugin(fx('code.wasm'), { memory: { maxLinearMemoryBytes: 32 * 65536 } });
  assert.equal((await capped.call('count_vowels', 'aa'))?.json().count, 2);
});

test('wasmlet worker mode: an idle plugin never closed lets the process exit; a pending call keeps it alive until it settles', () => {
  const script = `import { createPlugin } from ${JSON.stringify(join(repoRoot, 'src/index.ts'))};
    const p = await createPlugin(${JSON.stringify(fx('code.wasm'))}, { runInWorker: true });
    console.log((await p.call('count_vowels', 'aaa'))?.json().count);`;
  const file = join(mkdtempSync(join(tmpdir(), 'wasmlet-idle-')), 'idle.mjs'); // not -e: the worker would inherit --input-type
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(out, '3\n', 'the call settled (the process waited for it), then the process exited without close()');
});
