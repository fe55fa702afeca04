import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanRecorder, formatTraceparent, parseTraceparent, traced } from './trace-context.ts';

const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 };

test('traceparent round-trips (W3C trace context, version 00)', () => {
  const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  assert.deepEqual(parseTraceparent(header), parent);
  assert.equal(formatTraceparent(parent), header);
  assert.deepEqual(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra'), { ...parent, flags: 0 });
});

test('malformed traceparents are ignored', () => {
  for (const bad of [undefined, '', 'garbage', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01']) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
});

test('a recorder nests host calls under the span opened as their parent', async () => {
  const recorder = new SpanRecorder(parent);
  recorder.start('instantiate').end();
  const run = recorder.start('guest run', {}, true);
  const result = await traced(recorder.hostCalls, 'spin_key_value.get', 'internal', { 'kv.store': 'default' }, async (span) => {
    assert.match(span!.traceparent, new RegExp(`^00-${parent.traceId}-[0-9a-f]{16}-01$`));
    return 42;
  });
  assert.equal(result, 42);
  await assert.rejects(traced(recorder.hostCalls, 'spin_sqlite.execute', 'internal', {}, async () => { throw new Error('no such table'); }));
  run.end();
  run.end(); // idempotent
  const [instantiate, get, sql, guest] = recorder.records;
  assert.deepEqual(recorder.records.map((r) => r.name), ['instantiate', 'spin_key_value.get', 'spin_sqlite.execute', 'guest run']);
  assert.equal(instantiate!.parentSpanId, parent.spanId);
  assert.equal(guest!.parentSpanId, parent.spanId);
  assert.equal(get!.parentSpanId, guest!.spanId);
  assert.equal(sql!.error, 'no such table');
  assert.equal(get!.attributes['kv.store'], 'default');
  assert.ok(guest!.startMs <= get!.startMs && get!.endMs <= guest!.endMs);
});

test('untraced, traced() only runs the function', async () => {
  assert.equal(await traced(undefined, 'x', 'internal', {}, async (span) => { assert.equal(span, undefined); return 'ok'; }), 'ok');
});
