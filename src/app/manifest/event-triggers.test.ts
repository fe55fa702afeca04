// [[trigger.redis]], [application.trigger.redis] and [[trigger.cron]] as the manifest parser reads
// them: shapes, defaults, templates kept for the loader, and every problem with its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestError } from './manifest-error.ts';
import { parseManifestDocument } from './parse-manifest.ts';
import { cronExpressionProblem } from './event-triggers.ts';

function parse(t: { after(fn: () => void): void }, toml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-event-triggers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'w.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]));
  return parseManifestDocument(`spin_manifest_version = 2\n[application]\nname = "a"\n${toml}\n[component.w]\nsource = "w.wasm"\n`, join(dir, 'spin.toml'));
}

function errors(t: { after(fn: () => void): void }, toml: string): string[] {
  try { parse(t, toml); } catch (err) {
    assert.ok(err instanceof ManifestError, String(err));
    return err.message.split('\n');
  }
  assert.fail('expected a ManifestError');
}

test('redis triggers: app-wide address, own address, group; ids; templates kept for the loader', (t) => {
  const { app, triggerTemplates } = parse(t, `[application.trigger.redis]
address = "redis://{{ host }}:6379"
[variables]
host = { default = "127.0.0.1" }
chan = { default = "jobs" }
[[trigger.redis]]
channel = "{{ chan }}"
component = "w"
[[trigger.redis]]
id = "audit"
channel = "audit"
address = "redis://other:6380"
component = "w"
group = "workers"
claim_timeout = "5s"
[[trigger.cron]]
component = "w"
cron_expression = "*/5 * * * * *"`);
  assert.deepEqual(app.triggers.redis, [
    { id: 'redis-trigger1', component: 'w', channel: '{{ chan }}', address: 'redis://{{ host }}:6379' },
    { id: 'audit', component: 'w', channel: 'audit', address: 'redis://other:6380', group: 'workers', claimTimeoutMs: 5000 },
  ]);
  assert.deepEqual(app.triggers.cron, [{ id: 'cron-trigger1', component: 'w', cronExpression: '*/5 * * * * *' }]);
  assert.deepEqual(app.triggers.http, []);
  assert.deepEqual(triggerTemplates.map((x) => x.index), [0, 1]);
  assert.deepEqual(triggerTemplates[0]!.channel, [{ expr: 'chan' }]);
});

test('redis and cron trigger problems, each with its line', (t) => {
  const lines = errors(t, `[application.trigger.http]
base = "/"
[[trigger.redis]]
component = "w"
[[trigger.redis]]
channel = "{{ nope }}"
address = "redis://x"
component = "w"
claim_timeout = "soon"
[[trigger.cron]]
component = "w"
cron_expression = "* * * * *"
[[trigger.cron]]
component = "missing"
cron_expression = "0 0 * * * *"
schedule = "x"`);
  const has = (line: number, re: RegExp) => assert.ok(lines.some((l) => l.includes(`spin.toml:${line + 3}: `) && re.test(l)), `${line}: ${re}\n${lines.join('\n')}`);
  has(1, /\[application\.trigger\.http\] is not supported/);
  has(3, /trigger\.redis\[0\] has no `channel`/);
  has(3, /trigger\.redis\[0\] has no Redis address/);
  has(6, /`nope` is not an application variable/);
  has(9, /`claim_timeout` applies only with `group`/);
  has(9, /claim_timeout = "30s"/);
  has(12, /invalid cron_expression "\* \* \* \* \*"/);
  has(14, /refers to component `missing`, which is not defined/);
  has(16, /unknown key `schedule`/);
});

test('cron expressions as the cron plugin reads them: seconds first, optional year, Sunday = 1', () => {
  assert.equal(cronExpressionProblem('*/5 * * * * *'), undefined);
  assert.equal(cronExpressionProblem('0 30 9 * * MON-FRI 2030'), undefined);
  assert.equal(cronExpressionProblem('0 0 0 * * 7'), undefined); // Saturday in the cron crate
  assert.equal(cronExpressionProblem('1/2 * * * * *'), undefined);
  assert.notEqual(cronExpressionProblem('* * * * *'), undefined); // five fields: no seconds
  assert.notEqual(cronExpressionProblem('0 0 25 * * *'), undefined);
});

test('an app with only redis or cron triggers needs no [[trigger.http]]', (t) => {
  const { app } = parse(t, '[[trigger.cron]]\ncomponent = "w"\ncron_expression = "0 * * * * *"');
  assert.equal(app.triggers.cron!.length, 1);
});
