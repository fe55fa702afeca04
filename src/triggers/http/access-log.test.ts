import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServerLog } from './access-log.ts';
import type { AccessRecord } from './access-log.ts';

const record: AccessRecord = {
  requestId: 'abc123-1', method: 'POST', path: '/api/x?y=1', route: '/api/...', component: 'api',
  status: 502, durationMs: 1.23456, error: 'WASMLET_ERR_CGI_RESPONSE: invalid CGI response (no-blank-line)',
};

test('json: one parseable object per line with every field', () => {
  const lines: string[] = [];
  const log = createServerLog('json', (l) => lines.push(l));
  log.access(record);
  log.guestOutput('stderr', 'abc123-1', 'api', 'oops "quoted"');
  log.event('info', 'listening on http://127.0.0.1:3000', { routes: 2 });
  assert.equal(lines.length, 3);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
  const [a, e, ev] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual({ ...a, time: undefined }, { ...record, durationMs: 1.235, time: undefined, level: 'info', msg: 'request' });
  assert.match(String(a!.time), /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual([e!.msg, e!.requestId, e!.component, e!.line], ['stderr', 'abc123-1', 'api', 'oops "quoted"']);
  assert.deepEqual([ev!.msg, ev!.routes], ['listening on http://127.0.0.1:3000', 2]);
});

test('text: method, path, status, duration, then key=value fields (quoted when needed)', () => {
  const lines: string[] = [];
  const log = createServerLog('text', (l) => lines.push(l));
  log.access(record);
  log.access({ requestId: 'r2', method: 'GET', path: '/nope', status: 404, durationMs: 0.5 });
  log.guestOutput('stderr', 'r2', 'api', 'a line');
  assert.match(lines[0]!, /^\S+Z POST \/api\/x\?y=1 502 1\.235ms route=\/api\/\.\.\. component=api req=abc123-1 error="WASMLET_ERR_CGI_RESPONSE: invalid CGI response \(no-blank-line\)"\n$/);
  assert.match(lines[1]!, /^\S+Z GET \/nope 404 0\.5ms req=r2\n$/);
  assert.match(lines[2]!, /^\S+Z \[api stderr\] req=r2 a line\n$/);
});

test('buffered: access and stderr lines are written together later; an event flushes them first, in order', async () => {
  const writes: string[] = [];
  const log = createServerLog('text', (t) => writes.push(t), { flushMs: 5 });
  log.access(record);
  log.guestOutput('stderr', 'r2', 'api', 'a line');
  assert.equal(writes.length, 0);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(writes.length, 1);
  assert.match(writes[0]!, /^\S+Z POST \/api\/x\?y=1 502 .*\n\S+Z \[api stderr\] req=r2 a line\n$/);
  log.access({ requestId: 'r3', method: 'GET', path: '/a', status: 200, durationMs: 1 });
  log.event('info', 'stopped');
  assert.equal(writes.length, 3);
  assert.match(writes[1]!, /GET \/a 200 1ms req=r3\n$/);
  assert.match(writes[2]!, /stopped\n$/);
  log.access({ requestId: 'r4', method: 'GET', path: '/b', status: 200, durationMs: 1 });
  log.flush!();
  assert.equal(writes.length, 4);
  log.flush!();
  assert.equal(writes.length, 4, 'nothing buffered: no write');
});

test('buffered: a full buffer is written at once, without waiting for the timer', () => {
  const writes: string[] = [];
  const log = createServerLog('json', (t) => writes.push(t), { flushMs: 60_000, bufferBytes: 300 });
  for (let i = 0; i < 3; i++) log.access({ ...record, requestId: `r${i}` });
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.split('\n').filter(Boolean).length, 2);
  log.flush!();
  assert.equal(JSON.parse(writes[1]!).requestId, 'r2');
});
