import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, watToBytes } from '../../../test/support/fixtures.ts';
import { parseAllowedHosts } from '../../host/http-outbound/allowed-hosts.ts';
import { checkSpinId, parseManifest, parseManifestDocument } from './parse-manifest.ts';
import { ManifestError } from './manifest-error.ts';

const moduleBytes = await watToBytes('(module (func (export "_start")))');

/** A temp app dir holding `files` (manifest text and friends); `.wasm` names get a real module. */
function appDir(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-manifest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    if (name.endsWith('.wasm')) writeFileSync(join(dir, name), moduleBytes);
    else if (name.endsWith('/')) mkdirSync(join(dir, name), { recursive: true });
    else writeFileSync(join(dir, name), text);
  }
  return dir;
}

function parseIn(dir: string, name = 'wasmlet.toml') {
  const path = join(dir, name);
  return parseManifest(readFileSync(path, 'utf8'), path);
}

/** Parses and returns the ManifestError's lines, failing if parsing succeeds. */
function errorsOf(dir: string, name = 'wasmlet.toml'): string[] {
  try {
    parseIn(dir, name);
  } catch (err) {
    assert.ok(err instanceof ManifestError, String(err));
    assert.equal(err.code, 'WASMLET_ERR_MANIFEST');
    assert.equal(err.blame, 'user');
    assert.equal(err.message.split('\n').length, err.diagnostics.length);
    return err.message.split('\n');
  }
  assert.fail('expected a ManifestError');
}

test('the full example parses into the locked app', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-manifest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repoRoot, 'test/fixtures/app/full'), dir, { recursive: true });
  writeFileSync(join(dir, 'hello.wasm'), moduleBytes);
  writeFileSync(join(dir, 'api.wasm'), moduleBytes);
  const app = parseIn(dir);
  assert.deepEqual(JSON.parse(JSON.stringify(app)), app, 'plain JSON data');
  assert.equal(app.name, 'hello');
  assert.equal(app.version, '0.1.0');
  assert.equal(app.description, 'Says hello');
  assert.equal(app.dir, dir);
  assert.equal(app.manifestPath, join(dir, 'wasmlet.toml'));
  assert.deepEqual(app.triggers.http, [
    { route: '/hello/...', component: 'hello', executor: { type: 'auto' } },
    { route: '/users/:id', component: 'hello', executor: { type: 'wagi', argv: '${SCRIPT_NAME} --user ${ARGS}', entrypoint: 'main' } },
    { route: '/api/...', component: 'api', executor: { type: 'auto' } },
    { route: '/inline', component: 'http-trigger4-component', executor: { type: 'auto' } },
  ]);
  assert.deepEqual(app.components.hello, {
    id: 'hello',
    source: join(dir, 'hello.wasm'),
    description: 'the hello component',
    files: [
      { hostPath: join(dir, 'static'), guestPath: '/assets' },
      { hostPath: join(dir, 'README.md'), guestPath: '/README.md' },
    ],
    environment: { GREETING: 'hi', EMPTY: '' },
    allowedOutboundHosts: parseAllowedHosts(['https://api.example.com', 'redis://*.cache.internal:6379', '*://10.0.0.1:8000..8010', 'http://localhost:*']),
    keyValueStores: ['default', 'user_data'],
    sqliteDatabases: ['default', 'analytics-db'],
    variables: {}, // resolved by loadApp
    secretVariables: [],
    limits: { memoryBytes: 64 * 1024 * 1024, timeoutMs: 2000 },
    build: { command: ['make'], workdir: 'src', watch: ['src/**/*.c'] },
  });
  assert.deepEqual(app.components.api?.limits, { memoryBytes: 1048576, timeoutMs: 500 });
  assert.deepEqual(app.components.api?.build, { command: ['npm install', 'npm run build'], watch: [] });
  assert.deepEqual(app.components['http-trigger4-component']?.environment, { INLINE: 'yes' });
  assert.equal(app.components['http-trigger4-component']?.source, join(dir, 'hello.wasm'));
  assert.deepEqual(app.variables, {
    api_host: { required: false, secret: false, description: 'where the API lives' },
    api_token: { required: true, secret: true },
  });
  const doc = parseManifestDocument(readFileSync(join(dir, 'wasmlet.toml'), 'utf8'), join(dir, 'wasmlet.toml'));
  assert.deepEqual(doc.variables.defaults, { api_host: 'api.example.com' });
  assert.deepEqual(doc.templates.hello, {
    users_url: [{ lit: 'https://' }, { expr: 'api_host' }, { lit: '/users' }],
    token: [{ lit: 'Bearer ' }, { expr: 'api_token' }],
    plain: [{ lit: 'no templates' }],
  });
  assert.deepEqual(doc.templates.api, {});
});

test('a spin.toml as `spin new` writes it is read as is', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-manifest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repoRoot, 'test/fixtures/app/spin-v2'), dir, { recursive: true });
  mkdirSync(join(dir, 'target/wasm32-wasip1/release'), { recursive: true });
  writeFileSync(join(dir, 'target/wasm32-wasip1/release/spin_hello.wasm'), moduleBytes);
  writeFileSync(join(dir, 'wagi.wasm'), moduleBytes);
  const app = parseIn(dir, 'spin.toml');
  assert.equal(app.name, 'spin-hello');
  assert.deepEqual(Object.keys(app.components), ['spin-hello', 'wagi-hello']);
  assert.deepEqual(app.triggers.http.map((r) => [r.route, r.component, r.executor.type]), [
    ['/...', 'spin-hello', 'auto'], ['/wagi', 'wagi-hello', 'wagi'],
  ]);
  assert.deepEqual(app.triggers.http[1]?.executor, { type: 'wagi', argv: '${SCRIPT_NAME} ${ARGS}', entrypoint: '_start' });
});

test('service chaining: private routes and `<component>.spin.internal` grants', (t) => {
  const dir = appDir(t, {
    'a.wasm': '', 'b.wasm': '',
    'spin.toml': [
      'spin_manifest_version = 2',
      '[application]',
      'name = "chain"',
      '[[trigger.http]]',
      'route = "/..."',
      'component = "api"',
      '[[trigger.http]]',
      'route = { private = true }',
      'component = "backend"',
      '[component.api]',
      'source = "a.wasm"',
      'allowed_outbound_hosts = ["http://backend.spin.internal", "http://*.spin.internal"]',
      '[component.backend]',
      'source = "b.wasm"',
    ].join('\n'),
  });
  const app = parseIn(dir, 'spin.toml');
  // A private route does not clash with the public `/...`: it is reachable only by chaining.
  assert.deepEqual(app.triggers.http, [
    { route: '/...', component: 'api', executor: { type: 'auto' } },
    { route: '/...', private: true, component: 'backend', executor: { type: 'auto' } },
  ]);
  assert.deepEqual(app.components['api']!.allowedOutboundHosts.map((h) => h.host),
    [{ type: 'name', name: 'backend.spin.internal' }, { type: 'subdomain', suffix: '.spin.internal' }]);
});

test('service chaining: a grant must name an HTTP component; a route table must say private = true', (t) => {
  const dir = appDir(t, {
    'a.wasm': '',
    'wasmlet.toml': [
      'manifest_version = 1', // 1
      '[application]', // 2
      'name = "chain"', // 3
      '[[trigger.http]]', // 4
      'route = { private = false }', // 5
      'component = "api"', // 6
      '[[trigger.http]]', // 7
      'route = { private = true, public = 1 }', // 8
      'component = "api"', // 9
      '[component.api]', // 10
      'source = "a.wasm"', // 11
      'allowed_outbound_hosts = ["http://nope.spin.internal", "http://a.b.spin.internal"]', // 12
    ].join('\n'),
  });
  const path = join(dir, 'wasmlet.toml');
  const lines = errorsOf(dir);
  const at = (n: number, re: RegExp) => assert.ok(lines.some((l) => l.startsWith(`${path}:${n}: `) && re.test(l)), `${n} ${re}\n${lines.join('\n')}`);
  at(5, /route must be a string pattern or `\{ private = true \}`: component `api` has \{ private = false \}/);
  at(8, /public/);
  at(12, /`http:\/\/nope\.spin\.internal` chains to component `nope`, which the app does not define — name one of the app's HTTP components \(api\)/);
  at(12, /`http:\/\/a\.b\.spin\.internal`: `a\.b\.spin\.internal`: a service chaining host names one component/);
  assert.equal(lines.length, 4, lines.join('\n'));
});

test('wasmlet manifest_version = 1 is accepted', (t) => {
  const dir = appDir(t, {
    'wasmlet.toml': 'manifest_version = 1\n[application]\nname = "a"\n[[trigger.http]]\nroute = "/"\ncomponent = "c"\n[component.c]\nsource = "c.wasm"\n',
    'c.wasm': '',
  });
  assert.equal(parseIn(dir).triggers.http[0]?.component, 'c');
});

test('unknown keys name the key, the table and the line', (t) => {
  const toml = [
    'spin_manifest_version = 2', // 1
    'colour = "red"', // 2
    '[application]', // 3
    'name = "a"', // 4
    'nmae = "typo"', // 5
    '[[trigger.http]]', // 6
    'route = "/"', // 7
    'component = "c"', // 8
    'method = "GET"', // 9
    '[component.c]', // 10
    'source = "c.wasm"', // 11
    'limits = { memory = "1MiB", cpu = 2 }', // 12
    '[component.c.build]', // 13
    'command = "make"', // 14
    'dir = "x"', // 15
  ].join('\n');
  const dir = appDir(t, { 'wasmlet.toml': toml, 'c.wasm': '' });
  const path = join(dir, 'wasmlet.toml');
  const lines = errorsOf(dir);
  assert.equal(lines.length, 5, lines.join('\n'));
  const expectLine = (n: number, ...parts: string[]) => {
    const line = lines.find((l) => l.startsWith(`${path}:${n}: `));
    assert.ok(line, `no error at line ${n} in:\n${lines.join('\n')}`);
    for (const p of parts) assert.ok(line.includes(p), `${line} should include ${p}`);
    assert.match(line, / — /);
  };
  expectLine(2, 'unknown key `colour`', 'the top level');
  expectLine(5, 'unknown key `nmae`', 'table `application`', 'allowed: name');
  expectLine(9, 'unknown key `method`', 'table `trigger.http[0]`');
  expectLine(12, 'unknown key `cpu`', 'table `component.c.limits`', 'allowed: memory, timeout');
  expectLine(15, 'unknown key `dir`', 'table `component.c.build`');
});

test('each validation error kind, all reported together with lines', (t) => {
  const toml = [
    'spin_manifest_version = 2', // 1
    '[application]', // 2
    'name = "a"', // 3
    '[[trigger.http]]', // 4
    'route = "no-slash"', // 5
    'component = "good"', // 6
    '[[trigger.http]]', // 7
    'route = "/a/.../b"', // 8
    'component = "good"', // 9
    '[[trigger.http]]', // 10
    'route = "/dup"', // 11
    'component = "good"', // 12
    '[[trigger.http]]', // 13
    'route = "/dup/"', // 14
    'component = "other"', // 15
    '[[trigger.http]]', // 16
    'route = "/missing"', // 17
    'component = "ghost"', // 18
    '[[trigger.http]]', // 19
    'route = "/x"', // 20
    'component = "good"', // 21
    'executor = { type = "cgi" }', // 22
    '[component.good]', // 23
    'source = "good.wasm"', // 24
    'files = ["nope.txt", "static/*.css", { source = "static", destination = "rel" }]', // 25
    'allowed_outbound_hosts = ["example.com", "https://a.com/path", "tcp://h", "insecure:allow-all", "https://{{ host }}", "http://*:1..1000"]', // 26
    'key_value_stores = ["Bad Label"]', // 27
    'environment = { N = 1 }', // 28
    '[component.good.limits]', // 29
    'memory = "lots"', // 30
    'timeout = "5"', // 31
    '[component.other]', // 32
    'source = "missing.wasm"', // 33
    '[component.Bad_Id]', // 34
    'source = "good.wasm"', // 35
  ].join('\n');
  const dir = appDir(t, { 'wasmlet.toml': toml, 'good.wasm': '', 'static/': '' });
  const path = join(dir, 'wasmlet.toml');
  const lines = errorsOf(dir);
  const at = (n: number, re: RegExp) => {
    assert.ok(lines.some((l) => l.startsWith(`${path}:${n}: `) && re.test(l)), `no error at line ${n} matching ${re} in:\n${lines.join('\n')}`);
  };
  at(5, /invalid route 'no-slash': a route must start with `\/`/);
  at(8, /only be the last segment/);
  at(14, /duplicate route: trigger\.http\[3\] \(`\/dup\/`, component `other`\) matches the same paths as trigger\.http\[2\] \(`\/dup`, component `good`\)/);
  at(18, /refers to component `ghost`, which is not defined — add \[component\.ghost\]/);
  at(22, /unknown executor type `cgi`/);
  at(25, /files source `nope\.txt` of component `good` does not exist/);
  at(25, /is a glob; globs are not supported/);
  at(25, /destination `rel` must be an absolute guest path/);
  at(26, /allowed_outbound_hosts entry `example\.com`: `example\.com` does not contain a scheme/);
  at(26, /entry `https:\/\/a\.com\/path`: it has a path/);
  at(26, /entry `tcp:\/\/h`: no port was given and the scheme `tcp` has no well-known port/);
  at(26, /entry `insecure:allow-all`: 'insecure:allow-all' is not allowed — use '\*:\/\/\*:\*'/);
  at(26, /entry `https:\/\/\{\{ host \}\}` of component `good`: unknown variable `host` in template — declare it in \[variables\]/);
  at(27, /key-value store label `Bad Label`/);
  at(28, /environment variable `N` must be a string/);
  at(30, /limits\.memory "lots" is not a size/);
  at(31, /limits\.timeout "5" is not a duration/);
  at(33, /source `missing\.wasm` of component `other` does not exist/);
  at(34, /invalid component id `Bad_Id`: words must be separated with '-', not '_'/);
  assert.equal(lines.length, 19, lines.join('\n'));
});

test('missing pieces: version, application, triggers, source', (t) => {
  const dir = appDir(t, { 'wasmlet.toml': '[component.c]\ndescription = "x"\n' });
  const lines = errorsOf(dir);
  assert.ok(lines.some((l) => /missing manifest version/.test(l)));
  assert.ok(lines.some((l) => /missing \[application\]/.test(l)));
  assert.ok(lines.some((l) => /the app has no triggers/.test(l)));
  assert.ok(lines.some((l) => /:1: component `c` has no `source`/.test(l)), lines.join('\n'));
});

test('Spin trigger types wasmlet does not serve and unsupported Spin keys are "not supported", never typos', (t) => {
  const dir = appDir(t, {
    'wasmlet.toml': [
      'spin_manifest_version = 2', // 1
      '[application]', // 2
      'name = "a"', // 3
      '[application.trigger.mqtt]', // 4
      'address = "mqtt://localhost:1883"', // 5
      '[[trigger.sqs]]', // 6
      'queue_url = "x"', // 7
      'component = "c"', // 8
      '[[trigger.command]]', // 9
      'cron_expression = "1/2 * * * * *"', // 10
      'component = "c"', // 11
      '[[trigger.http]]', // 12
      'route = { private = true }', // 13
      'component = "c"', // 14
      '[component.c]', // 15
      'source = { url = "https://example.com/c.wasm", digest = "sha256:00" }', // 16
      'ai_models = ["llama2-chat"]', // 17
      'allowed_http_hosts = ["example.com"]', // 18
      'dependencies_inherit_configuration = false', // 19 (empty: fine)
      '[component.c.dependencies]', // 20
      '"foo:bar/baz" = { path = "baz.wasm" }', // 21
    ].join('\n'),
  });
  const path = join(dir, 'wasmlet.toml');
  const lines = errorsOf(dir);
  const at = (n: number, re: RegExp) => assert.ok(lines.some((l) => l.startsWith(`${path}:${n}: `) && re.test(l)), `${n} ${re}\n${lines.join('\n')}`);
  at(4, /\[application\.trigger\.mqtt\] is not supported/);
  at(6, /trigger type `sqs` is not supported by wasmlet/);
  at(9, /trigger type `command` is not supported by wasmlet/);
  at(16, /remote sources/);
  at(17, /`ai_models` is not supported by wasmlet yet/);
  at(18, /`allowed_http_hosts` is deprecated/);
  at(20, /`dependencies` is not supported by wasmlet yet/);
  assert.equal(lines.length, 7, lines.join('\n'));
  assert.ok(!lines.some((l) => /unknown|did you mean/.test(l)), lines.join('\n'));
});

test('unknown keys get a did-you-mean among the keys wasmlet supports there', (t) => {
  const toml = [
    'spin_manifest_version = 2', // 1
    '[application]', // 2
    'nmae = "a"', // 3
    '[[trigger.htpp]]', // 4
    'route = "/"', // 5
    '[[trigger.http]]', // 6
    'route = "/"', // 7
    'componnet = "c"', // 8
    'component = "c"', // 9
    '[component.c]', // 10
    'source = "c.wasm"', // 11
    'enviroment = { A = "1" }', // 12
    'limits = { memroy = "1MiB" }', // 13
    'ai_model = ["x"]', // 14: near the unsupported `ai_models`, but only supported keys are suggested
  ].join('\n');
  const dir = appDir(t, { 'wasmlet.toml': toml, 'c.wasm': '' });
  const path = join(dir, 'wasmlet.toml');
  const lines = errorsOf(dir);
  const at = (n: number, re: RegExp) => assert.ok(lines.some((l) => l.startsWith(`${path}:${n}: `) && re.test(l)), `${n} ${re}\n${lines.join('\n')}`);
  at(3, /unknown key `nmae` in table `application` — did you mean `name`\? \(allowed: name, /);
  at(4, /unknown trigger type `htpp` — did you mean `http`\?/);
  at(8, /unknown key `componnet` in table `trigger\.http\[0\]` — did you mean `component`\?/);
  at(12, /unknown key `enviroment` .* did you mean `environment`\?/);
  at(13, /unknown key `memroy` .* did you mean `memory`\? \(allowed: memory, timeout\)/);
  at(14, /unknown key `ai_model` in table `component\.c` — remove it or fix its spelling/);
  const allowed = lines.find((l) => l.startsWith(`${path}:12: `))!;
  for (const spinOnly of ['ai_models', 'dependencies', 'exclude_files', 'allowed_http_hosts']) {
    assert.ok(!allowed.includes(spinOnly), `the allowed list names only supported keys: ${allowed}`);
  }
  assert.equal(lines.length, 7, `the six above and the missing name:\n${lines.join('\n')}`);
});

test('a Spin v1 manifest gets one error saying how to convert it', (t) => {
  const v1 = [
    'spin_manifest_version = "1"', // 1
    'name = "hello"', // 2
    'version = "0.1.0"', // 3
    'trigger = { type = "http", base = "/" }', // 4
    '[[component]]', // 5
    'id = "hello"', // 6
    'source = "hello.wasm"', // 7
    '[component.trigger]', // 8
    'route = "/hello"', // 9
    'executor = { type = "wagi" }', // 10
  ];
  for (const [toml, line, marker] of [
    [v1, 1, 'spin_manifest_version = "1"'],
    [['spin_version = "1"', ...v1.slice(1)], 1, 'spin_version = "1"'],
    [v1.slice(1), 3, 'top-level trigger = { type = "http", ... }'],
    [v1.slice(4), 1, '[[component]] array'],
  ] as const) {
    const dir = appDir(t, { 'wasmlet.toml': toml.join('\n') });
    const lines = errorsOf(dir);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.ok(lines[0]!.startsWith(`${join(dir, 'wasmlet.toml')}:${line}: this is a Spin v1 manifest (${marker}); `), lines[0]);
    assert.match(lines[0]!, /convert it with `spin doctor`.*spin_manifest_version = 2.*\[component\.x\].*\[\[trigger\.http\]\]/);
  }
});

test('TOML syntax errors carry the line', (t) => {
  const dir = appDir(t, { 'wasmlet.toml': 'spin_manifest_version = 2\n[application]\nname = "a\n' });
  const [line, ...rest] = errorsOf(dir);
  assert.equal(rest.length, 0);
  assert.match(line!, new RegExp(`^${join(dir, 'wasmlet.toml').replace(/[.\\]/g, '\\$&')}:3: invalid TOML: .* — fix the syntax$`));
});

test('inline component ids follow Spin (trigger id, else inline-componentN)', (t) => {
  const dir = appDir(t, {
    'wasmlet.toml': [
      'spin_manifest_version = 2', '[application]', 'name = "a"',
      '[[trigger.http]]', 'id = "front"', 'route = "/a"', 'component = { source = "c.wasm" }',
      '[[trigger.http]]', 'route = "/b"', 'component = { source = "c.wasm" }',
      '[[trigger.http]]', 'id = "Bad_Trigger"', 'route = "/c"', 'component = { source = "c.wasm" }',
    ].join('\n'),
    'c.wasm': '',
  });
  const app = parseIn(dir);
  assert.deepEqual(app.triggers.http.map((r) => r.component), ['front-component', 'http-trigger1-component', 'inline-component1']);
});

test('checkSpinId follows spin-serde rules', () => {
  for (const ok of ['hello', 'hello-world', 'a1-b2', 'HELLO-world']) assert.equal(checkSpinId(ok, '-'), undefined, ok);
  for (const bad of ['', 'hello_world', '1abc', 'a--b', '-a', 'a-', 'helloWorld', 'a.b']) assert.ok(checkSpinId(bad, '-'), bad);
  assert.equal(checkSpinId('user_data', '_'), undefined);
});

test('host services: labels, [variables] and component variables are validated with lines', (t) => {
  const toml = [
    'spin_manifest_version = 2', // 1
    '[application]', // 2
    'name = "a"', // 3
    '[variables]', // 4
    'good = { default = "x" }', // 5
    'token = { required = true, secret = true, description = "API token" }', // 6
    'both = { required = true, default = "x" }', // 7
    'neither = { secret = true }', // 8
    'Bad_Name = { default = "x" }', // 9
    'trailing_ = { default = "x" }', // 10
    'typo = { defualt = "x" }', // 11
    'wrong_types = { default = 1, required = "yes" }', // 12
    'not_table = "x"', // 13
    '[[trigger.http]]', // 14
    'route = "/"', // 15
    'component = "c"', // 16
    '[component.c]', // 17
    'source = "c.wasm"', // 18
    'key_value_stores = ["ok-label", "snake_ok", "b@d"]', // 19
    'sqlite_databases = ["default", "camelCase"]', // 20
    '[component.c.variables]', // 21
    'url = "https://{{ good }}/{{ ghost }}"', // 22
    'auth = "{{ token"', // 23
    'BadVar = "x"', // 24
    'num = 3', // 25
    'ok = "{{token}}-{{ good }}"', // 26
  ].join('\n');
  const dir = appDir(t, { 'wasmlet.toml': toml, 'c.wasm': '' });
  const path = join(dir, 'wasmlet.toml');
  const lines = errorsOf(dir);
  const at = (n: number, re: RegExp) => {
    assert.ok(lines.some((l) => l.startsWith(`${path}:${n}: `) && re.test(l)), `no error at line ${n} matching ${re} in:\n${lines.join('\n')}`);
  };
  at(7, /variable `both` must be `required` OR have a `default`, not both/);
  at(8, /variable `neither` must be `required` OR have a `default` — add required = true or default = "\.\.\."/);
  at(9, /invalid variable name `Bad_Name`: invalid character "B"/);
  at(10, /invalid variable name `trailing_`: it must end with a lowercase ASCII letter or digit/);
  at(11, /unknown key `defualt` in table `variables\.typo`/);
  at(11, /variable `typo` must be `required` OR have a `default`/);
  at(12, /`variables\.wrong_types\.default` must be a string/);
  at(12, /`variables\.wrong_types\.required` must be true or false/);
  at(13, /variable `not_table` must be a table/);
  at(19, /key-value store label `b@d` must be kebab-case or snake_case/);
  at(20, /SQLite database label `camelCase` must be kebab-case or snake_case/);
  at(22, /component `c` variable `url`: unknown variable `ghost` in template — declare it in \[variables\]/);
  at(23, /component `c` variable `auth`: invalid template: unmatched '\{\{' in template/);
  at(24, /invalid variable name `BadVar` in component `c`/);
  at(25, /component variable `num` must be a string/);
  assert.equal(lines.length, 15, lines.join('\n'));
});

test('host services: a valid manifest keeps labels and templates; inline components too', (t) => {
  const dir = appDir(t, {
    'wasmlet.toml': [
      'spin_manifest_version = 2', '[application]', 'name = "a"',
      '[variables]', 'host = { default = "h" }',
      '[[trigger.http]]', 'route = "/"', 'component = { source = "c.wasm", key_value_stores = ["default", "default"], variables = { v = "{{ host }}!" } }',
    ].join('\n'),
    'c.wasm': '',
  });
  const doc = parseManifestDocument(readFileSync(join(dir, 'wasmlet.toml'), 'utf8'), join(dir, 'wasmlet.toml'));
  const c = doc.app.components['http-trigger1-component']!;
  assert.deepEqual(c.keyValueStores, ['default']);
  assert.deepEqual(c.sqliteDatabases, []);
  assert.deepEqual(doc.templates['http-trigger1-component'], { v: [{ expr: 'host' }, { lit: '!' }] });
});
