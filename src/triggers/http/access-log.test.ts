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
  log.guestStderr('abc123-1', 'api', 'oops "quoted"');
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
  log.guestStderr('r2', 'api', 'a line');
  assert.match(lines[0]!, /^\S+Z POST \/api\/x\?y=1 502 1\.235ms route=\/api\/\.\.\. component=api req=abc123-1 error="WASMLET_ERR_CGI_RESPONSE: invalid CGI response \(no-blank-line\)"\n$/);
  assert.match(lines[1]!, /^\S+Z GET \/nope 404 0\.5ms req=r2\n$/);
  assert.match(lines[2]!, /^\S+Z \[api stderr\] req=r2 a line\n$/);
});
