import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkVariableName, parseTemplate, resolveTemplate, templateNames } from './template.ts';

test('parseTemplate splits like Spin Template::new', () => {
  assert.deepEqual(parseTemplate(''), []);
  assert.deepEqual(parseTemplate('a'), [{ lit: 'a' }]);
  assert.deepEqual(parseTemplate('a-{{ expr }}-b'), [{ lit: 'a-' }, { expr: 'expr' }, { lit: '-b' }]);
  assert.deepEqual(parseTemplate('{{ expr1 }}{{expr2}}'), [{ expr: 'expr1' }, { expr: 'expr2' }]);
  assert.deepEqual(parseTemplate('a } b }}'), [{ lit: 'a } b }}' }]);
  assert.deepEqual(parseTemplate('{{ matched }} {{ unmatched'), { error: "unmatched '{{' in template" });
  assert.deepEqual(templateNames(parseTemplate('{{a}}{{ b }}{{a}}') as never), ['a', 'b', 'a']);
});

test('resolveTemplate substitutes every expression and is pure', () => {
  const values: Record<string, string> = { host: 'api.example.com', port: '8080', braces: '{{ host }}' };
  const lookup = (n: string) => {
    if (!Object.hasOwn(values, n)) throw new Error(`no ${n}`);
    return values[n]!;
  };
  assert.equal(resolveTemplate('https://{{ host }}:{{port}}/x', lookup), 'https://api.example.com:8080/x');
  assert.equal(resolveTemplate('plain', lookup), 'plain');
  assert.equal(resolveTemplate('{{ braces }}', lookup), '{{ host }}', 'values are not re-expanded');
  assert.equal(resolveTemplate([{ lit: 'a' }, { expr: 'port' }], lookup), 'a8080');
  assert.throws(() => resolveTemplate('{{ nope }}', lookup), /no nope/);
  assert.throws(() => resolveTemplate('{{ host', lookup), /unmatched/);
});

test('checkVariableName follows Spin Key::validate', () => {
  for (const ok of ['a', 'api_host', 'a1', 'x_1_y']) assert.equal(checkVariableName(ok), undefined, ok);
  assert.match(checkVariableName('')!, /empty/);
  assert.match(checkVariableName('Api')!, /invalid character "A"/);
  assert.match(checkVariableName('a-b')!, /invalid character "-"/);
  assert.match(checkVariableName('1a')!, /start with a lowercase/);
  assert.match(checkVariableName('_a')!, /start with a lowercase/);
  assert.match(checkVariableName('a_')!, /end with/);
  assert.match(checkVariableName('a__b')!, /consecutive underscores/);
});
