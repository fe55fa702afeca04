import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateKey } from './locate-key.ts';

const src = [
  'top = 1', // 1
  '[application]', // 2
  'name = "x"', // 3
  '[[trigger.http]]', // 4
  'route = "/a"', // 5
  '[[trigger.http]]', // 6
  'route = "/b"', // 7
  'executor = { type = "wagi",', // 8 (a multi-line value is not TOML 1.0, but arrays are)
  '[trigger.http.extra]', // 9
  'k = 1', // 10
  '[component."my-comp"]', // 11
  'source = "a.wasm"', // 12
  'limits.memory = "1MiB"', // 13
  'files = [', // 14
  '  "a",', // 15
  '  { source = "s", destination = "/d" },', // 16
  ']', // 17
  'environment = { A = "1", B = 2 }', // 18
  "[component.'other'.build]", // 19
  'command = "make"', // 20
].join('\n');

test('locates keys in tables, arrays of tables, dotted and quoted keys, inline tables', () => {
  const cases: [(string | number)[], number | undefined][] = [
    [['top'], 1],
    [['application'], 2],
    [['application', 'name'], 3],
    [['trigger', 'http', 0, 'route'], 5],
    [['trigger', 'http', 1, 'route'], 7],
    [['trigger', 'http', 1, 'executor', 'type'], 8],
    [['trigger', 'http', 1, 'extra', 'k'], 10],
    [['trigger', 'http', 1], 6],
    [['component', 'my-comp'], 11],
    [['component', 'my-comp', 'source'], 12],
    [['component', 'my-comp', 'limits', 'memory'], 13],
    [['component', 'my-comp', 'files'], 14],
    [['component', 'my-comp', 'files', 1, 'destination'], 16],
    [['component', 'my-comp', 'environment', 'B'], 18],
    [['component', 'other'], 19],
    [['component', 'other', 'build', 'command'], 20],
    [['nothing', 'here'], undefined],
  ];
  for (const [path, line] of cases) assert.equal(locateKey(src, path), line, JSON.stringify(path));
});
