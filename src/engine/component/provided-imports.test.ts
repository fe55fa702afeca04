import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasiP2Host } from '../../host/wasi/p2/host.ts';
import { providedComponentImports, unprovidedImports } from './provided-imports.ts';

test('the provided WASI interfaces are exactly those the WASI 0.2 host builds', () => {
  const listed = providedComponentImports().filter((p) => p.name.startsWith('wasi:')).map((p) => p.name).sort();
  const host = createWasiP2Host();
  try {
    assert.deepEqual(listed, Object.keys(host.imports).sort());
  } finally { host.close(); }
});

test('unprovidedImports keeps only what no host of wasmlet serves', () => {
  assert.deepEqual(unprovidedImports([
    'wasi:io/streams', 'wasi:http/types@0.2.3', 'wasi:cli/run', 'wasi:http/types@0.3.0',
    'fermyon:spin/key-value@2.0.0', 'fermyon:spin/variables', 'fermyon:spin/key-value@1.0.0',
    'wasi:keyvalue/store@0.2.0-draft', 'wasi:clocks/timezone@0.2.0', 'acme:widgets/frob',
  ]), ['wasi:cli/run', 'wasi:http/types@0.3.0', 'fermyon:spin/key-value@1.0.0', 'wasi:keyvalue/store@0.2.0-draft',
    'wasi:clocks/timezone@0.2.0', 'acme:widgets/frob']);
  assert.deepEqual(unprovidedImports(['acme:widgets/frob'], [{ name: 'acme:widgets/', versions: /^1\./ }]), []);
});
