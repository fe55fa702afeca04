// RunningHttpServer.reload (the routing runtime's swap, used by `wasmlet watch`): the new app is
// prepared before it is swapped in, a request in flight finishes on the app it started on, and an
// app that fails to prepare leaves the current one serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import { buildServeApp } from '../fixtures/serve/serve-app.ts';

test('reload swaps the app in place; in-flight requests finish on the old one; a broken app is refused', async () => {
  const dir = await buildServeApp();
  const manifest = join(dir, 'wasmlet.toml');
  let logged = '';
  const log = createServerLog('text', (line) => { logged += line; });
  const server = await startHttpServer({ app: await loadApp(dir), port: 0, workers: 1, log });
  try {
    const greeting = async () => (await (await fetch(`${server.url}/hello/x`)).text()).match(/^GREETING=(.*)$/m)?.[1];
    assert.equal(await greeting(), 'hi');

    // A slow request on the first app, seen running (its guest wrote to stderr) before the reload.
    const slow = fetch(`${server.url}/slow?600`);
    while (!logged.includes('slow guest: waiting 600 ms')) await new Promise((r) => setTimeout(r, 10));
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('GREETING = "hi"', 'GREETING = "reloaded"'));
    await server.reload(await loadApp(dir));
    assert.equal(await greeting(), 'reloaded', 'new requests go to the new app');
    const res = await slow;
    assert.equal(res.status, 200, 'the in-flight request finished on the old app');
    assert.equal(await res.text(), 'slept 600 ms\n');

    // An app whose preparation fails (a module over its memory limit) is refused; the current one serves on.
    const broken = await loadApp(dir);
    broken.components.grow!.limits.memoryBytes = 1;
    await assert.rejects(server.reload(broken), /component 'grow'/);
    assert.equal(await greeting(), 'reloaded');
    assert.equal((await fetch(`${server.url}/slow?1`)).status, 200, 'the pools of the current app still run');
  } finally {
    assert.equal(await server.close(), true);
  }
  await assert.rejects(server.reload(await loadApp(dir)), /shutting down/);
});
