import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllowedHost, type AllowedHost } from '../host/http-outbound/allowed-hosts.ts';
import { readAllowedHostEntry, resolveAllowedHostTemplates, type AllowedHostTemplate } from './allowed-host-templates.ts';
import type { ManifestVariables } from './manifest/parse-manifest.ts';

const vars: ManifestVariables = {
  declared: { host: { required: false, secret: false }, port: { required: true, secret: false } },
  defaults: { host: 'api.example.com' },
};

test('readAllowedHostEntry: literal, template, unmatched {{, undeclared names (each once)', () => {
  assert.deepEqual(readAllowedHostEntry('https://api.example.com', vars), { type: 'literal' });
  assert.deepEqual(readAllowedHostEntry('http://{{ host }}:{{port}}', vars),
    { type: 'template', parts: [{ lit: 'http://' }, { expr: 'host' }, { lit: ':' }, { expr: 'port' }] });
  assert.deepEqual(readAllowedHostEntry('https://{{ host', vars),
    { type: 'invalid', problems: ["invalid template: unmatched '{{' in template — close it with '}}'"] });
  const r = readAllowedHostEntry('https://{{ nope }}.{{ nope }}:{{ other }}', vars);
  assert.equal(r.type, 'invalid');
  assert.deepEqual((r as { problems: string[] }).problems.map((p) => /`(\w+)`/.exec(p)![1]), ['nope', 'other']);
});

test('resolveAllowedHostTemplates: entries keep their manifest order; nothing resolves while a used variable is missing', () => {
  const tpl = (source: string, index: number): AllowedHostTemplate => {
    const r = readAllowedHostEntry(source, vars);
    assert.equal(r.type, 'template');
    return { source, index, parts: (r as { parts: AllowedHostTemplate['parts'] }).parts };
  };
  const components = { c: { allowedOutboundHosts: [parseAllowedHost('http://b.example')] as AllowedHost[] } };
  const templates = { c: [tpl('http://{{ host }}:{{ port }}', 2), tpl('https://{{ host }}', 0)] };
  const problems = resolveAllowedHostTemplates(components, templates, vars, new Map([['host', 'a.example'], ['port', '81']]), []);
  assert.deepEqual(problems, []);
  assert.deepEqual(components.c.allowedOutboundHosts.map((h) => [h.source, h.host, h.port]), [
    ['https://{{ host }}', { type: 'name', name: 'a.example' }, { min: 443, max: 443 }],
    ['http://b.example', { type: 'name', name: 'b.example' }, { min: 80, max: 80 }],
    ['http://{{ host }}:{{ port }}', { type: 'name', name: 'a.example' }, { min: 81, max: 81 }],
  ]);

  const untouched = { c: { allowedOutboundHosts: [] as AllowedHost[] } };
  const missing = [{ variable: 'port', message: 'required variable `port` has no value' }];
  assert.deepEqual(resolveAllowedHostTemplates(untouched, templates, vars, new Map([['host', 'a.example']]), missing), [
    { component: 'c', message: 'allowed_outbound_hosts entry `http://{{ host }}:{{ port }}` of component `c`: required variable `port` has no value' },
  ]);
  assert.deepEqual(untouched.c.allowedOutboundHosts, []);
});
