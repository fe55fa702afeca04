// The component host with Spin services, driven by the real Spin guest (http-spin fixture): a
// guest's synchronous key-value call suspends through JSPI, so other requests on the same thread
// run meanwhile; and a component that imports fermyon:spin links with no services granted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHttpSpinComponent } from '../../../test/support/components.ts';
import type { KeyValueBackendSpec } from '../../host/kv/open-backend.ts';
import type { KeyValueBackend, KeyValueStore } from '../../host/kv/store.ts';
import { SpinThreadBackends, type SpinHostOptions } from './component-host.ts';
import { handleHttpRequest, type HttpResponseOutput } from './http-handler.ts';
import { prepareComponent, type PreparedComponent } from './transpile.ts';

const dir = mkdtempSync(join(tmpdir(), 'wasmlet-component-host-test-'));
let prepared: PreparedComponent;
before(async () => {
  prepared = await prepareComponent(readFileSync(await buildHttpSpinComponent()), { cacheDir: join(dir, 'cache') });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function text(res: HttpResponseOutput): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of res.body) chunks.push(c);
  await res.done;
  return Buffer.concat(chunks).toString();
}

/** The thread's backends, with every store's `get` held until `release` is called. */
class HeldBackends extends SpinThreadBackends {
  release: () => void = () => {};
  readonly held = new Promise<void>((resolve) => { this.release = resolve; });
  override async keyValue(spec: KeyValueBackendSpec): Promise<KeyValueBackend> {
    const backend = await super.keyValue(spec);
    const held = this.held;
    return {
      summary: backend.summary,
      close: () => backend.close(),
      async open(label) {
        const store = await backend.open(label);
        const wrapped: KeyValueStore = {
          label: store.label,
          get: async (k) => { await held; return store.get(k); },
          set: (k, v) => store.set(k, v), delete: (k) => store.delete(k), exists: (k) => store.exists(k),
          getKeys: () => store.getKeys(), listKeys: (c, l) => store.listKeys(c, l),
          increment: (k, d) => store.increment(k, d), compareAndSwap: (k, e, v) => store.compareAndSwap(k, e, v),
          getMany: (k) => store.getMany(k), setMany: (e) => store.setMany(e), deleteMany: (k) => store.deleteMany(k),
          close: () => store.close(),
        };
        return wrapped;
      },
    };
  }
}

test('a guest blocked in store.get suspends (JSPI): another request on the thread completes meanwhile', async () => {
  const backends = new HeldBackends();
  const options: SpinHostOptions = {
    componentId: 'web', variables: { greeting: 'hi' }, keyValueStores: ['default'], knownKeyValueStores: ['default'],
    keyValueBackends: { default: { type: 'spin', path: join(dir, 'kv.db') } },
  };
  try {
    const counter = handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/counter' }, { spin: { options, backends } });
    let counterDone = false;
    void counter.then(() => { counterDone = true; });
    const other = await handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/var?name=greeting' }, { spin: { options, backends } });
    assert.equal(await text(other), 'hi');
    assert.equal(counterDone, false, 'the counter request should still be waiting on its store');
    backends.release();
    assert.equal(await text(await counter), 'count 1');
  } finally {
    backends.release();
    await backends.close();
  }
});

test('a component importing fermyon:spin links without Spin services: everything is denied', async () => {
  const res = await handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/open?label=default' });
  assert.equal(res.status, 403);
  assert.equal(await text(res), 'error no-such-store');
  const v = await handleHttpRequest(prepared, { method: 'GET', pathWithQuery: '/var?name=greeting' });
  assert.equal(await text(v), 'error undefined no variable for ""."greeting"');
});
