import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LockedRedisTrigger } from '../../app/locked-app.ts';
import type { EventRuntime } from '../event-runtime.ts';
import type { TriggerLog } from '../event-log.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import { consumeRedisStream } from './stream-consumer.ts';

/** A log that keeps its lines and resolves `first(level, re)` once a matching line arrives. */
function recordingLog() {
  const lines: { level: string; message: string }[] = [];
  const waiters: { level: string; re: RegExp; resolve: (message: string) => void }[] = [];
  const log: TriggerLog = {
    event(level, message) {
      lines.push({ level, message });
      for (const w of waiters) if (w.level === level && w.re.test(message)) w.resolve(message);
    },
  };
  const first = (level: string, re: RegExp) => new Promise<string>((resolve) => {
    const seen = lines.find((l) => l.level === level && re.test(l.message));
    if (seen) resolve(seen.message); else waiters.push({ level, re, resolve });
  });
  return { log, lines, first };
}

const runtime: EventRuntime = { invoke: async () => {}, close: async () => {} };
const trigger = (address: string): LockedRedisTrigger => ({ id: 't', component: 'c', channel: 'jobs', group: 'workers', address });

// A hang here fails through the test's timeout (stop() used to wait on a connect() that only
// destroy() ends, and destroy() came after it).
test('Redis unreachable from the start: the failure is logged once and stop() resolves', { timeout: 20_000 }, async () => {
  const redis = await startRedisServer();
  const address = redis.url();
  await redis.dispose(); // its port now has nothing listening
  const { log, lines, first } = recordingLog();
  const sub = consumeRedisStream(trigger(address), runtime, log);
  let message;
  try {
    message = await first('error', /connection to /);
  } finally {
    await sub.stop();
  }
  assert.match(message, new RegExp(`^redis trigger: connection to redis://127\\.0\\.0\\.1:${redis.port}/0 failed: .*ECONNREFUSED.*; reconnecting$`));
  assert.equal(lines.filter((l) => l.level === 'error').length, 1, JSON.stringify(lines));
  assert.ok(!lines.some((l) => /reading stream/.test(l.message)), 'never connected');
});

test('Redis gone after connecting: the loss is logged and stop() resolves', { timeout: 20_000 }, async () => {
  const redis = await startRedisServer();
  try {
    const { log, first } = recordingLog();
    const sub = consumeRedisStream(trigger(redis.url()), runtime, log);
    let message;
    try {
      await sub.ready;
      await redis.stop();
      message = await first('error', /connection to /);
    } finally {
      await sub.stop();
    }
    assert.match(message, /^redis trigger: connection to redis:\/\/127\.0\.0\.1:\d+\/0 lost: .*; reconnecting$/);
  } finally {
    await redis.dispose();
  }
});
