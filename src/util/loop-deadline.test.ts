import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loopDeadline } from './loop-deadline.ts';

/** Blocks this thread for `ms`, as a CPU-bound guest on the same worker does. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

test('a stall longer than the budget is not counted: the reply that arrived meanwhile wins', async () => {
  let expired = false;
  const deadline = loopDeadline(100, () => { expired = true; });
  block(300);
  // What arrived during the stall is delivered after the timers phase; the deadline's step ran
  // first and counted at most one step, so it is still armed.
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(expired, false);
  deadline.clear();
  // A plain timer of the same budget does expire in the same situation (why this exists).
  let plainFired = false;
  const plain = setTimeout(() => { plainFired = true; }, 100);
  block(300);
  await new Promise<void>((resolve) => setImmediate(resolve));
  clearTimeout(plain);
  assert.equal(plainFired, true);
});

test('without stalls it expires, once', async () => {
  let calls = 0;
  await new Promise<void>((resolve) => { loopDeadline(120, () => { calls++; resolve(); }, 20); });
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(calls, 1);
});

test('cleared, it never fires', async () => {
  let fired = false;
  const d = loopDeadline(30, () => { fired = true; }, 10);
  d.clear();
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(fired, false);
});

test('a zero budget fires on the first step', async () => {
  await new Promise<void>((resolve) => { loopDeadline(0, resolve); });
});
