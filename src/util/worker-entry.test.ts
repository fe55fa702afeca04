import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerEntry } from './worker-entry.ts';

test('workerEntry resolves beside the caller with the caller\'s extension', () => {
  assert.equal(workerEntry('file:///w/src/engine/pool.ts', './pool-worker').href, 'file:///w/src/engine/pool-worker.ts');
  assert.equal(workerEntry('file:///w/dist/engine/pool.js', './pool-worker').href, 'file:///w/dist/engine/pool-worker.js');
  assert.equal(workerEntry('file:///w/dist/triggers/http/routes-runtime.js', '../../engine/run-worker').href, 'file:///w/dist/engine/run-worker.js');
});
