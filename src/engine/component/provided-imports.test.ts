import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createComponentHost } from './component-host.ts';
import { providedComponentImports, unprovidedImports } from './provided-imports.ts';

test('the provided interfaces are exactly those the component host builds', () => {
  const listed = providedComponentImports().map((p) => p.name);
  const host = createComponentHost();
  try {
    const built = Object.keys(host.imports);
    assert.deepEqual(listed.filter((n) => !n.endsWith('/')).sort(), built.filter((n) => !n.startsWith('fermyon:spin/')).sort());
    assert.ok(built.includes('wasi:keyvalue/atomics') && built.includes('wasi:config/store'));
    assert.ok(listed.includes('fermyon:spin/'));
  } finally { host.close(); }
});

test('unprovidedImports keeps only what no host of wasmlet serves', () => {
  assert.deepEqual(unprovidedImports([
    'wasi:io/streams', 'wasi:http/types@0.2.3', 'wasi:cli/run', 'wasi:http/types@0.3.0',
    'fermyon:spin/key-value@2.0.0', 'fermyon:spin/variables', 'fermyon:spin/key-value@1.0.0',
    'wasi:keyvalue/store@0.2.0-draft', 'wasi:clocks/timezone@0.2.0', 'acme:widgets/frob',
    'wasi:keyvalue/atomics@0.2.0-draft2', 'wasi:keyvalue/batch', 'wasi:config/store@0.2.0-draft-2024-09-27', 'wasi:config/store@0.2.0-rc.1',
  ]), ['wasi:cli/run', 'wasi:http/types@0.3.0', 'fermyon:spin/key-value@1.0.0', 'wasi:keyvalue/store@0.2.0-draft',
    'wasi:clocks/timezone@0.2.0', 'acme:widgets/frob', 'wasi:config/store@0.2.0-rc.1']);
  assert.deepEqual(unprovidedImports(['acme:widgets/frob'], [{ name: 'acme:widgets/', versions: /^1\./ }]), []);
});
