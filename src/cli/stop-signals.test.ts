import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onStopRequest, startedByNpm } from './stop-signals.ts';

test('npm is recognised by the npm_command it sets', () => {
  assert.equal(startedByNpm({ npm_command: 'exec' }), true);
  assert.equal(startedByNpm({ npm_command: 'run-script' }), true);
  assert.equal(startedByNpm({}), false);
});

test('SIGTERM calls onStop once and removes the handlers', async () => {
  const before = process.listenerCount('SIGTERM');
  const reasons: string[] = [];
  const stopped = new Promise<void>((resolve) => onStopRequest((reason) => { reasons.push(reason); resolve(); }));
  assert.equal(process.listenerCount('SIGTERM'), before + 1);
  process.kill(process.pid, 'SIGTERM');
  await stopped;
  assert.deepEqual(reasons, ['SIGTERM']);
  assert.equal(process.listenerCount('SIGTERM'), before);
});
