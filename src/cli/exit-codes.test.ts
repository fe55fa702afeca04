import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, WasmletError, type WasmletErrorCode } from '../util/errors.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';

const err = (code: WasmletErrorCode) => new WasmletError(code, 'x');

test('exit statuses of the README table: 1 trap, 2 usage, 124 timeout, 125 cannot run', () => {
  assert.equal(exitCodeFor(err('WASMLET_ERR_TRAP')), 1);
  for (const code of ['WASMLET_ERR_USAGE', 'WASMLET_ERR_INVALID_SIZE', 'WASMLET_ERR_INVALID_DURATION', 'WASMLET_ERR_INVALID_OPTIONS'] as const) {
    assert.equal(exitCodeFor(err(code)), 2, code);
  }
  assert.equal(exitCodeFor(err('WASMLET_ERR_TIMEOUT')), 124);
  for (const code of ['WASMLET_ERR_READ_SOURCE', 'WASMLET_ERR_NOT_WASM', 'WASMLET_ERR_TRUNCATED', 'WASMLET_ERR_INVALID_WASM',
    'WASMLET_ERR_UNKNOWN_IMPORT', 'WASMLET_ERR_MEMORY_LIMIT', 'WASMLET_ERR_NO_START', 'WASMLET_ERR_NO_EXPORT',
    'WASMLET_ERR_COMPONENT_NOT_COMMAND', 'WASMLET_ERR_PREOPEN', 'WASMLET_ERR_MANIFEST', 'WASMLET_ERR_LISTEN', 'WASMLET_ERR_INTERNAL'] as const) {
    assert.equal(exitCodeFor(err(code)), 125, code);
  }
});

test('anything that is not a registered WasmletError exits 125', () => {
  assert.equal(exitCodeFor(new Error('boom')), EXIT.CANNOT_RUN);
  assert.equal(exitCodeFor('boom'), EXIT.CANNOT_RUN);
  assert.equal(exitCodeFor({ name: 'WasmletError', code: 'ERR_FROM_ANOTHER_VERSION', message: 'x' }), EXIT.CANNOT_RUN);
});

test('every exit status in the error registry is one of EXIT\'s', () => {
  const statuses = new Set<number>(Object.values(EXIT));
  for (const [code, info] of Object.entries(ERROR_CODES)) assert.ok(statuses.has(info.exitStatus), code);
});
