// createComponentPlugin with examples/component-plugin's componentize-js plugin (built from source,
// memoized): typed values both ways, host imports, grants, limits, in both modes (in-process, and
// worker-backed when there is a timeout), and the errors of a wrong setup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWasmletError } from '../util/errors.ts';
import { spawnSync } from 'node:child_process';
import { buildExampleComponentPlugin } from '../../test/support/components.ts';
import { ensureDist } from '../../test/support/dist.ts';
import { repoRoot } from '../../test/support/fixtures.ts';
import { ComponentError } from './component-error.ts';
import { createComponentPlugin, type ComponentPlugin, type ComponentPluginOptions } from './component-plugin.ts';

const work = mkdtempSync(join(tmpdir(), 'wasmlet-component-plugin-'));
const cacheDir = join(work, 'cache');
let pluginPath = '';
let bytes: Uint8Array;

before(async () => {
  pluginPath = await buildExampleComponentPlugin();
  bytes = readFileSync(pluginPath);
});
after(() => rmSync(work, { recursive: true, force: true }));

type Greeter = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** The host side of `example:plugin/host`, recording what the plugin logged. */
function hostImports(logs: string[], settings: Record<string, string> = {}) {
  return {
    'example:plugin/host': {
      log: (msg: string) => { logs.push(msg); },
      getSetting: (key: string) => settings[key],
    },
  };
}

for (const mode of ['in-process', 'worker'] as const) {
  describe(`${mode} mode`, () => {
    let plugin: ComponentPlugin;
    let greeter: Greeter;
    const logs: string[] = [];
    const limits = mode === 'worker' ? { timeoutMs: 5000 } : {};

    before(async () => {
      plugin = await createComponentPlugin(bytes, {
        cacheDir, limits, imports: hostImports(logs, { greeting: 'Welcome' }),
        grants: { env: { PLUGIN: 'yes' }, preopens: [{ guestPath: '/data', hostPath: work, readOnly: true }] },
      });
      greeter = plugin.exports.greeter as Greeter;
    });
    after(() => plugin.close());

    test('the mode follows limits.timeoutMs; exports are laid out as jco lays them out', () => {
      assert.equal(plugin.mode, mode);
      assert.deepEqual(Object.keys(plugin.exports).sort(), ['example:plugin/greeter', 'greeter']);
      assert.deepEqual(Object.keys(greeter).sort(),
        ['adults', 'allocate', 'area', 'count', 'environment', 'greet', 'parseAge', 'preopens', 'spinForever', 'wordLengths']);
      assert.equal(typeof (plugin.exports['example:plugin/greeter'] as Greeter).greet, 'function');
    });

    test('records, variants, lists and options cross both ways; host imports are called', async () => {
      assert.equal(await greeter.greet!({ name: 'Ada', age: 36 }), 'Welcome, Ada (36)!');
      assert.deepEqual(logs, ['greeting Ada'], 'the plugin called the host log function');
      assert.equal(await greeter.area!({ tag: 'rect', val: [2, 3] }), 6);
      assert.equal(await greeter.area!({ tag: 'circle', val: 1 }), Math.PI);
      assert.equal(await greeter.area!({ tag: 'empty' }), 0);
      assert.deepEqual([...await greeter.wordLengths!(['a', 'bbb', '']) as Uint32Array], [1, 3, 0]);
      assert.deepEqual(await greeter.adults!([{ name: 'kid', age: 9 }, { name: 'b', age: 30 }, { name: 'c', age: 71 }], 18),
        [{ name: 'c', age: 71 }, { name: 'b', age: 30 }]);
    });

    test('a result is its ok value, or a ComponentError carrying the err value', async () => {
      assert.equal(await greeter.parseAge!('42'), 42);
      await assert.rejects(greeter.parseAge!('forty'), (err) => err instanceof ComponentError && err.payload === 'not a number: forty');
    });

    test('grants: only the env and the directories given', async () => {
      assert.deepEqual(await greeter.environment!(), [['PLUGIN', 'yes']]);
      assert.deepEqual(await greeter.preopens!(), ['/data']);
    });

    test('each call gets a fresh instance: a trap does not poison the next call', async () => {
      const capped = await createComponentPlugin(bytes, { cacheDir, limits: { ...limits, memoryBytes: 64 << 20 }, imports: hostImports([]) });
      try {
        await assert.rejects((capped.exports.greeter as Greeter).allocate!(256),
          (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_TRAP' && err.blame === 'guest');
        assert.equal(await (capped.exports.greeter as Greeter).allocate!(2), 2);
      } finally {
        await capped.close();
      }
    });

    test('per-call instances keep no state; a long-lived one does, until a call fails', async () => {
      assert.deepEqual([await greeter.count!(), await greeter.count!()], [1, 1]);
      const longLived = await createComponentPlugin(bytes, {
        cacheDir, limits, instance: 'long-lived',
        imports: { 'example:plugin/host': { log: (msg: string) => { if (msg.includes('boom')) throw new Error('boom'); }, getSetting: () => undefined } },
      });
      try {
        const g = longLived.exports.greeter as Greeter;
        assert.deepEqual([await g.count!(), await g.count!(), await g.count!()], [1, 2, 3]);
        await assert.rejects(g.parseAge!('x'), ComponentError);
        assert.equal(await g.count!(), 4, 'an err result is a normal return: the instance stays');
        await assert.rejects(g.greet!({ name: 'boom', age: 1 }), /boom/);
        assert.equal(await g.count!(), 1, 'a call that unwound the guest leaves a fresh instance');
      } finally {
        await longLived.close();
      }
    });

    test('a host function that throws rejects the call with what it threw', async () => {
      const failing = await createComponentPlugin(bytes, {
        cacheDir, limits,
        imports: { 'example:plugin/host': { log: () => { throw new TypeError('the log is full'); }, getSetting: () => undefined } },
      });
      try {
        await assert.rejects((failing.exports.greeter as Greeter).greet!({ name: 'x', age: 1 }),
          (err) => err instanceof TypeError && err.message === 'the log is full');
      } finally {
        await failing.close();
      }
    });

    test('a closed plugin refuses calls', async () => {
      const closing = await createComponentPlugin(bytes, { cacheDir, limits, imports: hostImports([]) });
      await closing.close();
      await assert.rejects((closing.exports.greeter as Greeter).area!({ tag: 'empty' }),
        (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_POOL_CLOSED');
    });
  });
}

test('worker mode: a looping plugin is stopped at its deadline and the next call runs, on a fresh instance', async () => {
  const plugin = await createComponentPlugin(bytes, { cacheDir, limits: { timeoutMs: 300 }, instance: 'long-lived', imports: hostImports([]) });
  try {
    const greeter = plugin.exports.greeter as Greeter;
    assert.deepEqual([await greeter.count!(), await greeter.count!()], [1, 2]);
    await assert.rejects(greeter.spinForever!(), (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_TIMEOUT');
    assert.equal(await greeter.area!({ tag: 'rect', val: [4, 5] }), 20);
    assert.equal(await greeter.count!(), 1, 'the long-lived instance died with its worker');
  } finally {
    await plugin.close();
  }
});

test('worker mode: host functions may be async (the guest waits for them)', async () => {
  const plugin = await createComponentPlugin(bytes, {
    cacheDir, limits: { timeoutMs: 5000 },
    imports: {
      'example:plugin/host': {
        log: async () => { await new Promise((r) => setTimeout(r, 5)); },
        getSetting: async (key: string) => { await new Promise((r) => setTimeout(r, 5)); return key === 'greeting' ? 'Later' : undefined; },
      },
    },
  });
  try {
    assert.equal(await (plugin.exports.greeter as Greeter).greet!({ name: 'Bo', age: 2 }), 'Later, Bo (2)!');
  } finally {
    await plugin.close();
  }
});

test('in-process mode: an async host function is refused with what to do', async () => {
  const plugin = await createComponentPlugin(bytes, {
    cacheDir, imports: { 'example:plugin/host': { log: async () => {}, getSetting: () => undefined } },
  });
  try {
    await assert.rejects((plugin.exports.greeter as Greeter).greet!({ name: 'x', age: 1 }),
      (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_INVALID_OPTIONS' && /returned a Promise.*limits\.timeoutMs/.test(err.message));
  } finally {
    await plugin.close();
  }
});

test('setup errors name what to fix', async () => {
  const expectError = async (options: ComponentPluginOptions, code: string, pattern: RegExp) => {
    await assert.rejects(createComponentPlugin(bytes, { cacheDir, ...options }),
      (err) => isWasmletError(err) && err.code === code && pattern.test(err.message));
  };
  await expectError({}, 'WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED', /imports example:plugin\/host; pass its functions as options\.imports\['example:plugin\/host'\]/);
  await expectError({ imports: { ...hostImports([]), 'example:plugin/other': {} } }, 'WASMLET_ERR_INVALID_OPTIONS', /example:plugin\/other, which the plugin does not import/);
  await expectError({ imports: { 'example:plugin/host': { log: 'no' } as never } }, 'WASMLET_ERR_INVALID_OPTIONS', /must be an object of functions/);
  await expectError({ imports: hostImports([]), limits: { timeoutMs: 0 } }, 'WASMLET_ERR_INVALID_OPTIONS', /timeoutMs/);
  await expectError({ imports: hostImports([]), instance: 'shared' as never }, 'WASMLET_ERR_INVALID_OPTIONS', /'per-call' or 'long-lived'/);
  await expectError({ imports: hostImports([]), limits: { memoryBytes: 1 << 16 } }, 'WASMLET_ERR_MEMORY_LIMIT', /limits\.memoryBytes/);
  await expectError({ imports: hostImports([]), grants: { allowedOutboundHosts: ['example.com'] } }, 'WASMLET_ERR_ALLOWED_HOST_INVALID', /example\.com/);
  await assert.rejects(createComponentPlugin(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), { cacheDir }),
    (err) => isWasmletError(err) && err.code === 'WASMLET_ERR_COMPONENT_INVALID');
});

test('examples/component-plugin/host.ts runs as a user runs it (importing the built package)', () => {
  ensureDist();
  const run = spawnSync(join(repoRoot, 'node_modules/.bin/node'), [join(repoRoot, 'examples/component-plugin/host.ts'), pluginPath],
    { cwd: work, encoding: 'utf8', env: { ...process.env, WASMLET_CACHE_DIR: cacheDir } });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, [
    '[plugin] greeting Ada', 'Welcome, Ada (36)!', '6', 'parse-age failed: not a number: forty',
    'runaway plugin stopped: WASMLET_ERR_TIMEOUT', '',
  ].join('\n'));
});
