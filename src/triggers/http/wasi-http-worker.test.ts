import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../engine/pool.ts';
import { prepareComponentForRun } from '../../engine/run-component.ts';
import { componentToWire } from '../../engine/component-wire.ts';
import { buildExampleHttpComponent } from '../../../test/support/components.ts';
import type { WasiHttpInput, WasiHttpResult, WasiHttpUnitConfig } from './wasi-http-worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'wasmlet-wasi-http-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;

test('a wasi:http worker fed requests without pause releases each instance: its live heap stays flat', async () => {
  // Regression: jobs started inside the worker's port callback kept the thread out of its event
  // loop while requests kept coming, so the timer jco's glue releases each instance from never
  // ran, and every finished instance stayed live (~1.3 MB of JS heap each: hundreds of MB).
  const bytes = readFileSync(await buildExampleHttpComponent());
  const prepared = await prepareComponentForRun(bytes, { cacheDir: join(dir, 'cache') });
  const config: WasiHttpUnitConfig = {
    component: componentToWire(bytes, prepared), env: {}, preopens: [], allowedOutboundHosts: [], spin: { componentId: 'hello' },
  };
  const pool = new WorkerPool({ handler: new URL('../../../test/fixtures/serve/wasi-http-probe-handler.ts', import.meta.url), size: 1, concurrency: 2 });
  pool.register('hello', new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), config);
  await pool.start();
  try {
    const request: WasiHttpInput = { method: 'GET', pathWithQuery: '/', scheme: 'http', authority: 'localhost', headers: [], selfOrigin: 'http://127.0.0.1:1', hasBody: false };
    const serve = () => pool.run({ unit: 'hello', input: request }) as Promise<WasiHttpResult>;
    await Promise.all(Array.from({ length: 4 }, serve)); // warm: code, memory pools
    const before = await pool.run({ unit: 'hello', input: { probe: 'live-heap' } }) as number;
    // 230 requests queued at once, the probe behind the first 200: it runs while the rest wait.
    const first = Array.from({ length: 200 }, serve);
    const during = pool.run({ unit: 'hello', input: { probe: 'live-heap' } }) as Promise<number>;
    const rest = Array.from({ length: 30 }, serve);
    const results = await Promise.all([...first, ...rest]);
    assert.ok(results.every((r) => r.head?.status === 200), 'every request answered 200');
    const grown = (await during - before) / MB;
    assert.ok(grown < 20, `the worker's live heap grew ${grown.toFixed(1)} MiB over 200 requests (each retained instance holds ~1.3 MiB)`);
  } finally {
    await pool.close();
  }
});
