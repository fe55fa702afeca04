// The preemption rewrite on the largest real guest wasmlet runs: the core modules of a
// componentize-js (StarlingMonkey, SpiderMonkey compiled to Wasm) command, as jco transpiles
// them. Each is rewritten and validated, and the command runs with the rewritten modules, its
// checks ticking, with exactly the original's output.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildCliCommandComponent } from '../../../test/support/components.ts';
import { callbackSink } from '../../host/wasi/p2/cli.ts';
import { runComponentCommand } from '../component/run-command.ts';
import { prepareComponent, type PreparedComponent } from '../component/transpile.ts';
import { PreemptionClock } from './preemption-clock.ts';
import { rewriteForPreemption } from './rewrite-module.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-preempt-component-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

async function run(prepared: PreparedComponent): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runComponentCommand(prepared, {
    args: ['cmd', 'ünï'], env: { GREETING: 'hi' },
    stdout: callbackSink((b) => { stdout += Buffer.from(b).toString(); }),
    stderr: callbackSink((b) => { stderr += Buffer.from(b).toString(); }),
  });
  return { code, stdout, stderr };
}

test('StarlingMonkey (componentize-js) core modules: rewritten, validated, and the command prints the same', async () => {
  const prepared = await prepareComponent(readFileSync(await buildCliCommandComponent()), { cacheDir, recycleMemory: false });
  const clock = new PreemptionClock({ checksPerTick: 1000 });
  let ticks = 0;
  const tick = clock.imports['wasmlet:preempt'].tick;
  const counting = { 'wasmlet:preempt': { tick: () => { ticks++; return tick(); } } };
  const coreModules = new Map<string, WebAssembly.Module>();
  let largest = 0;
  for (const name of prepared.coreModules.keys()) {
    const bytes = readFileSync(join(prepared.dir, name));
    largest = Math.max(largest, bytes.length);
    const { bytes: out } = rewriteForPreemption(bytes);
    assert.ok(WebAssembly.validate(out), `${name} validates after the rewrite`);
    coreModules.set(name, new WebAssembly.Module(out));
  }
  assert.ok(largest > 4 << 20, `the StarlingMonkey module is the big one (${largest} bytes)`);
  const rewritten: PreparedComponent = {
    ...prepared, coreModules, memoryPools: new Map(),
    instantiate: (get, imports, instantiateCore) =>
      prepared.instantiate(get, imports, (module, imp) => instantiateCore!(module, { ...imp, ...counting })),
  };
  const want = await run(prepared);
  assert.match(want.stdout, /^args=\["cmd","ünï"\]\nenv=\[\["GREETING","hi"\]\]/);
  clock.arm(60_000);
  assert.deepEqual(await run(rewritten), want);
  clock.disarm();
  assert.ok(ticks > 0, 'the checks ran and called the clock');
});
