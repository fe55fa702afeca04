import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialQueue } from './serial-queue.ts';

test('items run one at a time, in order; a full queue refuses; stop drops the waiting ones', async () => {
  const log: string[] = [];
  let running = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const q = new SerialQueue<number>(async (n) => {
    running++;
    assert.equal(running, 1, 'two items at once');
    log.push(`start ${n}`);
    if (n === 0) await gate;
    await Promise.resolve();
    log.push(`end ${n}`);
    running--;
  }, 2);
  assert.equal(q.push(0), true);
  assert.equal(q.push(1), true);
  assert.equal(q.push(2), true);
  assert.equal(q.push(3), false); // 0 runs, 1 and 2 wait: full
  assert.equal(q.waiting, 2);
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  let hold!: () => void;
  const q2 = new SerialQueue<number>(() => new Promise<void>((r) => { hold = r; }));
  q2.push(1); q2.push(2); q2.push(3);
  const stopping = q2.stop();
  hold();
  assert.equal(await stopping, 2);
});
