import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectWasmKind, inspectModule } from './binary.ts';
import { watToBytes } from '../../test/support/fixtures.ts';

const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

test('detectWasmKind tells a module from a component', async () => {
  assert.equal(detectWasmKind(await watToBytes('(module)')), 'module');
  assert.equal(detectWasmKind(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0])), 'component');
});

test('not-wasm, truncated and unknown versions are told apart', () => {
  assert.throws(() => detectWasmKind(new TextEncoder().encode('(module)')), code('WASMLET_ERR_NOT_WASM'));
  assert.throws(() => detectWasmKind(new Uint8Array()), code('WASMLET_ERR_NOT_WASM'));
  assert.throws(() => detectWasmKind(new Uint8Array([0, 0x61, 0x73])), code('WASMLET_ERR_TRUNCATED'));
  assert.throws(() => detectWasmKind(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0])), code('WASMLET_ERR_TRUNCATED'));
  assert.throws(() => detectWasmKind(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), code('WASMLET_ERR_INVALID_WASM'));
});

test('a component handed to inspectModule is refused with its own code', () => {
  assert.throws(() => inspectModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0])),
    (err: Error & { code?: string }) => err.code === 'WASMLET_ERR_COMPONENT_UNSUPPORTED' && /component/.test(err.message));
});

test('a section running past the end is reported as truncated with its offset', async () => {
  const bytes = await watToBytes('(module (memory 1) (func (export "f") (result i32) i32.const 42))');
  assert.throws(() => inspectModule(bytes.subarray(0, bytes.length - 3)),
    (err: Error & { code?: string }) => err.code === 'WASMLET_ERR_TRUNCATED' && /offset 0x[0-9a-f]+/.test(err.message));
});

test('imports, memories, exports, signatures and function names are read', async () => {
  const bytes = await watToBytes(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "env" "mem" (memory 2 10))
    (memory $own 1)
    (func $add (export "add") (param i32 i64) (result i64) local.get 1)
    (func $crash (export "crash") unreachable))`, { multi_memory: true });
  const info = inspectModule(bytes);
  assert.deepEqual(info.imports.map((i) => [i.module, i.name, i.kind]),
    [['wasi_snapshot_preview1', 'fd_write', 'function'], ['env', 'mem', 'memory']]);
  assert.deepEqual(info.imports[1]!.memory, { min: 2, max: 10, memory64: false, shared: false });
  assert.deepEqual(info.memories, [{ min: 1, memory64: false, shared: false }]);
  assert.deepEqual(info.exports.map((e) => [e.name, e.kind, e.index]), [['add', 'function', 1], ['crash', 'function', 2]]);
  assert.deepEqual(info.types[info.funcTypes[1]!], { params: ['i32', 'i64'], results: ['i64'] });
  assert.equal(info.functionNames.get(0), 'fd_write');
  assert.equal(info.functionNames.get(2), 'crash');
});

test('memory64 limits are read as 64-bit', async () => {
  const bytes = await watToBytes('(module (memory i64 3 5000000))', { memory64: true });
  assert.deepEqual(inspectModule(bytes).memories, [{ min: 3, max: 5000000, memory64: true, shared: false }]);
});
