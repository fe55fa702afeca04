import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockedComponent } from './locked-app.ts';
import { ManifestError } from './manifest/manifest-error.ts';
import type { ManifestVariables } from './manifest/parse-manifest.ts';
import { parseTemplate, type TemplatePart } from './template.ts';
import {
  buildProviders, DotenvError, parseDotenv, REDACTED, redactSecrets, resolveAppVariables, resolveComponentVariables,
} from './variables.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-vars-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const decl = (names: string[], defaults: Record<string, string> = {}, secret: string[] = []): ManifestVariables => ({
  declared: Object.fromEntries(names.map((n) => [n, { required: !(n in defaults), secret: secret.includes(n) }])),
  defaults,
});

test('parseDotenv reads the dotenv forms apps use; errors carry the line, never the value', () => {
  assert.deepEqual(parseDotenv([
    '# comment', '', 'A=1', 'export B = two words  # trailing comment', "C='single # kept $X'",
    'D="line\\nbreak \\"q\\" \\\\"', 'E=', 'F="multi', 'line"', 'A=override', 'URL=http://x/#frag',
  ].join('\n')), {
    A: 'override', B: 'two words', C: 'single # kept $X', D: 'line\nbreak "q" \\', E: '', F: 'multi\nline', URL: 'http://x/#frag',
  });
  assert.throws(() => parseDotenv('A=1\nsecret-value-without-equals\n'), (err: DotenvError) => {
    assert.equal(err.line, 2);
    assert.doesNotMatch(err.message, /secret-value/);
    return true;
  });
  assert.throws(() => parseDotenv('A="never closed\nB=2'), (err: DotenvError) => err.line === 1 && /unclosed double quote/.test(err.message));
});

test('provider order: runtime config, then SPIN_VARIABLE_, then WASMLET_VARIABLE_, then .env, then default', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '.env'), 'SPIN_VARIABLE_FROM_DOTENV=dotenv\nWASMLET_VARIABLE_W_DOTENV=wdotenv\nSPIN_VARIABLE_EVERYWHERE=dotenv\n');
  writeFileSync(join(dir, 'custom.env'), 'MYAPP_CUSTOM_DOTENV=custom-dotenv\n');
  const vars = decl(['from_static', 'everywhere', 'from_spin_env', 'from_wasmlet_env', 'from_dotenv', 'w_dotenv', 'custom_dotenv', 'from_default', 'prefixed'],
    { from_default: 'default', everywhere: 'default', from_static: 'default', from_spin_env: 'd', from_wasmlet_env: 'd', from_dotenv: 'd', w_dotenv: 'd', custom_dotenv: 'd', prefixed: 'd' });
  const env = {
    SPIN_VARIABLE_EVERYWHERE: 'spin-env', WASMLET_VARIABLE_EVERYWHERE: 'wasmlet-env', MYAPP_EVERYWHERE: 'myapp-env',
    SPIN_VARIABLE_FROM_SPIN_ENV: 'spin-env', WASMLET_VARIABLE_FROM_WASMLET_ENV: 'wasmlet-env', SPIN_VARIABLE_FROM_STATIC: 'spin-env',
    MYAPP_PREFIXED: 'myapp',
  };
  const providers = buildProviders({
    configured: [
      { type: 'static', values: { from_static: 'static' } },
      { type: 'env', prefix: 'MYAPP', dotenvPath: join(dir, 'custom.env') },
    ],
    env, appDir: dir,
  });
  const { values, problems } = resolveAppVariables(vars, providers);
  assert.deepEqual(problems, []);
  assert.deepEqual(Object.fromEntries(values), {
    from_static: 'static', everywhere: 'myapp-env', from_spin_env: 'spin-env', from_wasmlet_env: 'wasmlet-env',
    from_dotenv: 'dotenv', w_dotenv: 'wdotenv', custom_dotenv: 'custom-dotenv', from_default: 'default', prefixed: 'myapp',
  });
  // Without the runtime-config providers, the environment's SPIN_VARIABLE_ beats WASMLET_VARIABLE_ and .env.
  const plain = resolveAppVariables(vars, buildProviders({ configured: [], env, appDir: dir })).values;
  assert.equal(plain.get('everywhere'), 'spin-env');
  assert.equal(plain.get('prefixed'), 'd');
});

test('a required variable without a value is a problem naming it; nothing is resolved', () => {
  const vars = decl(['api_key', 'other'], { other: 'x' });
  const components: Record<string, LockedComponent> = { c: component() };
  const problems = resolveComponentVariables(components, { c: { k: tpl('{{ api_key }}') } }, vars,
    buildProviders({ configured: [], env: {}, appDir: '/nonexistent-app-dir' }));
  assert.deepEqual(problems.map((p) => p.variable), ['api_key']);
  assert.match(problems[0]!.message, /^required variable `api_key` has no value — set SPIN_VARIABLE_API_KEY \(or WASMLET_VARIABLE_API_KEY\)/);
  assert.deepEqual(components.c!.variables, {});
});

test('component templates resolve to strings; secrets are marked and redacted', () => {
  const vars = decl(['host', 'token'], { host: 'api.example.com' }, ['token']);
  const components: Record<string, LockedComponent> = { c: component(), d: component('d') };
  const problems = resolveComponentVariables(components, {
    c: { url: tpl('https://{{ host }}/v1'), auth: tpl('Bearer {{ token }}'), plain: tpl('x') },
    d: {},
  }, vars, buildProviders({ configured: [], env: { SPIN_VARIABLE_TOKEN: 's3cr3t-value' }, appDir: '/nonexistent-app-dir' }));
  assert.deepEqual(problems, []);
  assert.deepEqual(components.c!.variables, { url: 'https://api.example.com/v1', auth: 'Bearer s3cr3t-value', plain: 'x' });
  assert.deepEqual(components.c!.secretVariables, ['auth']);
  const app = { name: 'a', components };
  const shown = JSON.stringify(redactSecrets(app));
  assert.doesNotMatch(shown, /s3cr3t/);
  assert.match(shown, new RegExp(`"auth":"${REDACTED}"`));
  assert.match(shown, /"url":"https:\/\/api\.example\.com\/v1"/);
  assert.equal(components.c!.variables.auth, 'Bearer s3cr3t-value', 'redactSecrets copies; the app keeps its values');
  assert.deepEqual(structuredClone(components.c), components.c, 'plain structured-clone data');
  const backends = { keyValueStores: { default: { type: 'redis', url: 'redis://user:pa55word@cache:6379/1' }, plain: { type: 'redis', url: 'redis://cache' } } };
  assert.deepEqual(redactSecrets(backends).keyValueStores, {
    default: { type: 'redis', url: `redis://user:${encodeURIComponent(REDACTED)}@cache:6379/1` }, plain: { type: 'redis', url: 'redis://cache' },
  });
  const triggers = { redis: [{ id: 't', component: 'c', channel: 'jobs', address: 'redis://:pa55word@queue:6379' }] };
  assert.equal(redactSecrets(triggers).redis[0]!.address, `redis://:${encodeURIComponent(REDACTED)}@queue:6379`);
});

test('a malformed dotenv file is a ManifestError naming the file and line', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '.env'), 'OK=1\nnot a pair\n');
  const providers = buildProviders({ configured: [], env: {}, appDir: dir });
  assert.throws(() => resolveAppVariables(decl(['x']), providers), (err: ManifestError) => {
    assert.ok(err instanceof ManifestError);
    assert.equal(err.message, `${join(dir, '.env')}:2: expected KEY=value — fix the dotenv syntax (KEY=value)`);
    return true;
  });
});

function tpl(text: string): TemplatePart[] {
  return parseTemplate(text) as TemplatePart[];
}

function component(id = 'c'): LockedComponent {
  return {
    id, source: '/x.wasm', files: [], environment: {}, allowedOutboundHosts: [], keyValueStores: [], sqliteDatabases: [],
    variables: {}, secretVariables: [], limits: {},
  };
}
