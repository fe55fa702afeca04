// `wasmlet serve` under misbehaving guests: a guest past its timeout is killed (504) while other
// requests keep being answered, a memory bomb sees failed grows and ends as a 500, and a saturated
// pool refuses work with 503 + Retry-After instead of queueing without bound.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { loadApp } from '../../src/app/loader.ts';
import { createServerLog } from '../../src/triggers/http/access-log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import type { RunningHttpServer } from '../../src/triggers/http/server.ts';
import { buildServeApp } from '../fixtures/serve/serve-app.ts';

const quietLog = createServerLog('text', () => {});

describe('limits', () => {
  let server: RunningHttpServer;
  before(async () => {
    const app = await loadApp(await buildServeApp({ loopTimeout: '700ms', growMemory: '8MiB' }));
    server = await startHttpServer({ app, host: '127.0.0.1', port: 0, workers: 2, log: quietLog });
  });
  after(async () => { await server.close(2000); });

  test('a looping guest is stopped at its timeout (504) while hello keeps answering', async () => {
    const started = performance.now();
    const looping = fetch(`${server.url}/loop`);
    // While one worker spins, the other serves hellos, and the front end stays responsive.
    let answered = 0;
    let settled = false;
    void looping.finally(() => { settled = true; });
    while (!settled) {
      const res = await fetch(`${server.url}/hello/alive`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^Hello from WAGI!/);
      answered++;
    }
    const res = await looping;
    assert.equal(res.status, 504);
    await res.text();
    assert.ok(performance.now() - started >= 650, 'the guest ran until its deadline');
    assert.ok(answered > 0, 'requests were answered while the guest looped');
    // The killed worker was replaced: both workers serve again, including another looping request.
    const [a, b] = await Promise.all([fetch(`${server.url}/loop`), fetch(`${server.url}/hello/x`)]);
    assert.equal(a.status, 504);
    assert.equal(b.status, 200);
    await Promise.all([a.text(), b.text()]);
  });

  test('a memory bomb sees failed grows under its cap and ends as a 500', async () => {
    const report = await fetch(`${server.url}/grow?report`);
    assert.equal(report.status, 200);
    const mib = Number(/allocated (\d+) MiB/.exec(await report.text())?.[1]);
    assert.ok(mib >= 4 && mib < 8, `allocated ${mib} MiB under an 8 MiB cap`);

    const bomb = await fetch(`${server.url}/grow`);
    assert.equal(bomb.status, 500);
    await bomb.text();
    assert.equal((await fetch(`${server.url}/hello/after-bomb`)).status, 200);
  });
});

describe('queue', () => {
  let server: RunningHttpServer;
  before(async () => {
    const app = await loadApp(await buildServeApp());
    server = await startHttpServer({ app, host: '127.0.0.1', port: 0, workers: 1, maxQueue: 1, log: quietLog });
  });
  after(async () => { await server.close(2000); });

  test("a component whose queue is full gets 503 with Retry-After; another component's request still queues; queued work completes", async () => {
    const running = fetch(`${server.url}/slow?600`);
    await new Promise((r) => setTimeout(r, 100)); // let it reach the worker
    const queued = fetch(`${server.url}/slow?1`);
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(`${server.url}/slow?2`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    await refused.text();
    const other = fetch(`${server.url}/hello/x`); // its own queue: waits for the worker, not refused
    assert.equal(await (await running).text(), 'slept 600 ms\n');
    assert.equal(await (await queued).text(), 'slept 1 ms\n');
    assert.equal((await other).status, 200);
    assert.equal((await fetch(`${server.url}/hello/x`)).status, 200);
  });

  test('no route is a 404', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmlet-404-'));
    copyFileSync(new URL('../../examples/hello/hello.wasm', import.meta.url), join(dir, 'hello.wasm'));
    writeFileSync(join(dir, 'wasmlet.toml'), 'spin_manifest_version = 2\n[application]\nname = "one"\n'
      + '[[trigger.http]]\nroute = "/only"\ncomponent = "hello"\n[component.hello]\nsource = "hello.wasm"\n');
    const app = await loadApp(dir);
    const limits = await startHttpServer({ app, host: '127.0.0.1', port: 0, workers: 1, log: quietLog });
    try {
      const res = await fetch(`${limits.url}/nothing-here`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /no route matches \/nothing-here/);
      assert.equal((await fetch(`${limits.url}/only`)).status, 200);
    } finally {
      await limits.close(1000);
    }
  });
});

describe('backpressure', () => {
  let server: RunningHttpServer;
  before(async () => {
    const app = await loadApp(await buildServeApp());
    server = await startHttpServer({ app, host: '127.0.0.1', port: 0, workers: 1, log: quietLog });
  });
  after(async () => { await server.close(2000); });

  /** Opens a raw connection asking for a `bytes`-long body, paused (nothing read). */
  function stalledBig(bytes: number) {
    const socket = connect(server.port, '127.0.0.1');
    socket.pause();
    socket.write(`GET /big?${bytes} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    return socket;
  }

  test('a guest writing to a client that does not read is held back, not buffered without bound', async () => {
    const n = 64 * 1024 * 1024;
    const socket = stalledBig(n);
    await new Promise((r) => setTimeout(r, 200));
    // The only worker is blocked in the big guest's writes, so this request waits for it.
    let helloDone = false;
    const hello = fetch(`${server.url}/hello/after-big`).then(async (r) => { helloDone = true; return r.text(); });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(helloDone, false, 'the worker is held by the stalled response');
    // Reading the whole response releases it; every byte arrives.
    let received = 0;
    let headerDone = false;
    let pending = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      if (!headerDone) {
        pending = Buffer.concat([pending, d]);
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        headerDone = true;
        received += pending.length - end - 4;
      } else {
        received += d.length;
      }
    });
    socket.resume();
    await new Promise((r) => socket.on('close', r));
    assert.ok(received > n, `received ${received} bytes (body plus chunk framing)`);
    assert.match(await hello, /^Hello from WAGI!/);
  });

  test('a client that goes away mid-response frees the worker', async () => {
    const socket = stalledBig(64 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    const res = await fetch(`${server.url}/hello/after-close`);
    assert.equal(res.status, 200);
    await res.text();
  });
});
