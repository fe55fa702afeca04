import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WasmletError, type WasmletErrorCode } from '../../util/errors.ts';
import { CgiResponseError } from './cgi-response.ts';
import { bodyTooLarge } from './limits.ts';
import { statusForError } from './server.ts';

const err = (code: WasmletErrorCode) => new WasmletError(code, 'x');

test('statusForError gives the statuses of the README table', () => {
  assert.equal(statusForError(err('WASMLET_ERR_ABORTED')), 400);
  assert.equal(statusForError(bodyTooLarge(10)), 413);
  assert.equal(statusForError(err('WASMLET_ERR_TRAP')), 500);
  assert.equal(statusForError(err('WASMLET_ERR_HTTP_NO_RESPONSE')), 500);
  assert.equal(statusForError(err('WASMLET_ERR_INTERNAL')), 500);
  assert.equal(statusForError(new CgiResponseError('no-blank-line', 'x')), 502);
  assert.equal(statusForError(err('WASMLET_ERR_QUEUE_FULL')), 503);
  assert.equal(statusForError(err('WASMLET_ERR_POOL_CLOSED')), 503);
  assert.equal(statusForError(err('WASMLET_ERR_TIMEOUT')), 504);
});

test('anything that is not a registered WasmletError is a 500', () => {
  assert.equal(statusForError(new Error('boom')), 500);
  assert.equal(statusForError({ name: 'WasmletError', code: 'ERR_FROM_ANOTHER_VERSION', message: 'x' }), 500);
});
