// `wasmlet registry push/pull/login` and `serve --from-registry` against a real registry (Debian's
// docker-registry, started here): round trip byte-identical, re-push skips blobs, a Spin-layout
// artifact built by hand as `spin registry push` builds it is served, a wkg-layout artifact is
// served, a tampered blob is refused, and an htpasswd registry needs `login` (or docker's config).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, repoRoot } from '../support/fixtures.ts';
import { startRegistry, storedBlobPath } from '../support/registry.ts';
import type { TestRegistry } from '../support/registry.ts';

const ENTRY = 'test/fixtures/serve/wasmlet-cli.ts';
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let registry: TestRegistry;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  registry = await startRegistry();
  work = mkdtempSync(join(tmpdir(), 'wasmlet-registry-test-'));
  env = {
    ...process.env,
    WASMLET_CACHE_DIR: join(work, 'cache'), XDG_CONFIG_HOME: join(work, 'config'), DOCKER_CONFIG: join(work, 'docker'),
    SPIN_VARIABLE_TOKEN: 'supersecret-value', // the static app's required secret variable
  };
});
after(async () => {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Run { code: number | null; out: string; err: string }

function cli(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Run> {
  const proc = spawn(process.execPath, [ENTRY, ...args], { cwd: repoRoot, env: options.env ?? env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  proc.stdin.end(options.stdin ?? '');
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, out, err })));
}

/** Starts `wasmlet serve ARGS`, returns its URL and a stop function. */
async function serve(args: string[]): Promise<{ url: string; stop: () => Promise<void>; err: () => string }> {
  const proc = spawn(process.execPath, [ENTRY, 'serve', '--listen', '127.0.0.1:0', '--workers', '1', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  return { url, err: () => err, stop: async () => { proc.kill('SIGINT'); await exit; } };
}

/**
 * examples/static-files with its cat.wasm built, a small (inlined) and a large (layer) file, and a
 * required secret variable (its value comes from SPIN_VARIABLE_TOKEN and must never be pushed).
 */
function staticApp(): { dir: string; big: Buffer } {
  const dir = join(work, `static-${randomBytes(4).toString('hex')}`);
  mkdirSync(join(dir, 'assets', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'wasmlet.toml'), readFileSync(join(repoRoot, 'examples/static-files/wasmlet.toml'), 'utf8')
    .replace('[[trigger.http]]', '[variables]\ntoken = { required = true, secret = true }\n\n[[trigger.http]]')
    + '[component.cat.variables]\napi_token = "Bearer {{ token }}"\n');
  cpSync(join(repoRoot, 'examples/static-files/assets/x.txt'), join(dir, 'assets/x.txt'));
  cpSync(buildC('examples/static-files/cat.c'), join(dir, 'cat.wasm'));
  const big = randomBytes(200_000);
  writeFileSync(join(dir, 'assets/sub/big.bin'), big);
  return { dir, big };
}

test('push then pull: the app comes back byte-identical, with Spin\'s layout', async () => {
  const { dir, big } = staticApp();
  const ref = `${registry.host}/demo/static:v1`;
  const push = await cli(['registry', 'push', ref, dir]);
  assert.equal(push.code, 0, push.err);
  const digest = push.out.trim();
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);

  // The manifest is Spin's: image config, wasm layer, data layer (x.txt is inlined), locked app last.
  const res = await fetch(`http://${registry.host}/v2/demo/static/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(sha(bytes), digest);
  const manifest = JSON.parse(bytes.toString()) as { config: { mediaType: string }; layers: { mediaType: string; digest: string }[] };
  assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
  assert.deepEqual(manifest.layers.map((l) => l.mediaType), [
    'application/vnd.wasm.content.layer.v1+wasm', 'application/vnd.wasm.content.layer.v1+data', 'application/vnd.fermyon.spin.application.v1+config',
  ]);
  assert.equal(manifest.layers[1]!.digest, sha(big));

  const out = join(work, 'pulled-static');
  const pull = await cli(['registry', 'pull', ref, '-o', out]);
  assert.equal(pull.code, 0, pull.err);
  assert.equal(pull.out.trim(), out);
  assert.deepEqual(readFileSync(join(out, 'components/cat.wasm')), readFileSync(join(dir, 'cat.wasm')));
  assert.deepEqual(readFileSync(join(out, 'files/cat/assets/sub/big.bin')), big);
  assert.deepEqual(readFileSync(join(out, 'files/cat/assets/x.txt')), readFileSync(join(dir, 'assets/x.txt')));
  const lock = JSON.parse(readFileSync(join(out, 'spin.lock'), 'utf8')) as { components: { source: { digest: string }; files: { path: string; inline?: string; digest: string }[] }[] };
  assert.equal(lock.components[0]!.source.digest, manifest.layers[0]!.digest);
  assert.deepEqual(lock.components[0]!.files.map((f) => [f.path, f.inline !== undefined]), [['assets/sub/big.bin', false], ['assets/x.txt', true]]);
  // Variables travel as declarations and templates; the resolved secret never leaves the machine.
  const lockText = readFileSync(join(out, 'spin.lock'), 'utf8');
  assert.equal(lockText.includes('supersecret'), false);
  assert.deepEqual(JSON.parse(lockText).variables, { token: { secret: true } });
  assert.deepEqual(JSON.parse(lockText).components[0].config, { api_token: 'Bearer {{ token }}' });
  assert.match(readFileSync(join(out, 'wasmlet.toml'), 'utf8'), /api_token = "Bearer \{\{ token \}\}"/);

  // The pulled dir is a runnable app: the file mount is where the manifest put it.
  const server = await serve([out]);
  try {
    const r = await fetch(`${server.url}/static/sub/big.bin`);
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), big);
  } finally { await server.stop(); }
});

test('re-push uploads no blob the registry already has', async () => {
  const { dir } = staticApp();
  const first = await cli(['registry', 'push', `${registry.host}/demo/again:v1`, dir]);
  assert.equal(first.code, 0, first.err);
  // config, wasm, data, locked app (a registry links blobs per repository: another repo's copy does not count)
  assert.match(first.err, /4 blob\(s\) uploaded, 0 already there/);
  const second = await cli(['registry', 'push', `${registry.host}/demo/again:v2`, dir]);
  assert.equal(second.code, 0, second.err);
  assert.match(second.err, /0 blob\(s\) uploaded, 4 already there/);
  assert.equal((second.err.match(/skipped: already in the registry/g) ?? []).length, 4);
});

test('serve --from-registry pulls examples/hello into the cache, then reuses it', async () => {
  const ref = `${registry.host}/demo/hello:v1`;
  assert.equal((await cli(['registry', 'push', ref, 'examples/hello'])).code, 0);
  for (const round of [1, 2]) {
    const server = await serve(['--from-registry', ref]);
    try {
      const res = await fetch(`${server.url}/greet`, { method: 'POST', body: 'ping' });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^Hello from WAGI!\n/);
      if (round === 1) assert.match(server.err(), /pull layer 0 \(application\/vnd\.wasm\.content\.layer\.v1\+wasm\)/);
      else assert.doesNotMatch(server.err(), /pull layer/); // the app dir of that digest is reused
    } finally { await server.stop(); }
  }
});

/** Pushes a blob with plain fetch (POST then PUT), independently of wasmlet's client. */
async function rawPushBlob(repo: string, bytes: Uint8Array): Promise<{ digest: string; size: number }> {
  const digest = sha(bytes);
  const post = await fetch(`http://${registry.host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  const url = new URL(post.headers.get('location')!, `http://${registry.host}`);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(put.status, 201, await put.text());
  return { digest, size: bytes.length };
}

async function rawPushManifest(repo: string, tag: string, manifest: unknown): Promise<void> {
  const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT', body: JSON.stringify(manifest), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(res.status, 201, await res.text());
}

test('an artifact in Spin\'s layout, built here as `spin registry push` builds it, is served', async () => {
  const repo = 'spin/static';
  const wasm = readFileSync(buildC('examples/static-files/cat.c'));
  const big = Buffer.from('a static file larger than the 128 bytes Spin inlines\n'.repeat(10));
  const small = Buffer.from('tiny\n');
  const wasmLayer = await rawPushBlob(repo, wasm);
  const dataLayer = await rawPushBlob(repo, big);
  // spin_loader's locked app with FilesMountStrategy::Copy, after Client::assemble_layers: sources
  // and files by digest, small files inlined (base64), `origin` metadata removed.
  const locked = {
    spin_lock_version: 0,
    metadata: { name: 'spin-static', version: '0.2.0', trigger: { type: 'http' }, triggers: { http: {} } },
    triggers: [{ id: 'trigger-cat', trigger_type: 'http', trigger_config: { component: 'cat', executor: { type: 'wagi' }, route: '/static/...' } }],
    components: [{
      id: 'cat',
      metadata: { allowed_outbound_hosts: [] },
      source: { content_type: 'application/wasm', digest: wasmLayer.digest },
      files: [
        { digest: dataLayer.digest, path: 'assets/page.txt' },
        { inline: small.toString('base64'), digest: sha(small), path: 'assets/x.txt' },
      ],
    }],
  };
  const lockedBytes = Buffer.from(JSON.stringify(locked));
  const lockedLayer = await rawPushBlob(repo, lockedBytes);
  const config = Buffer.from(JSON.stringify({ architecture: 'wasm', os: 'wasip1', config: { Labels: { 'com.fermyon.spin.lockedAppDigest': lockedLayer.digest } }, rootfs: { type: 'layers', diff_ids: [] } }));
  const configDesc = await rawPushBlob(repo, config);
  await rawPushManifest(repo, 'v1', {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc },
    layers: [
      { mediaType: 'application/vnd.wasm.content.layer.v1+wasm', ...wasmLayer },
      { mediaType: 'application/vnd.wasm.content.layer.v1+data', ...dataLayer },
      { mediaType: 'application/vnd.fermyon.spin.application.v1+config', ...lockedLayer },
    ],
    annotations: { 'org.opencontainers.image.title': 'spin-static', 'org.opencontainers.image.created': new Date().toISOString() },
  });
  const server = await serve(['--from-registry', `${registry.host}/${repo}:v1`]);
  try {
    let res = await fetch(`${server.url}/static/page.txt`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), big.toString());
    res = await fetch(`${server.url}/static/x.txt`);
    assert.equal(await res.text(), 'tiny\n');
  } finally { await server.stop(); }
});

test('an artifact in wkg\'s layout (one application/wasm layer) is served on /...', async () => {
  const repo = 'wkg/hello';
  const wasm = readFileSync(join(repoRoot, 'examples/hello/hello.wasm'));
  const layer = await rawPushBlob(repo, wasm);
  // wkg (oci-wasm): config application/vnd.wasm.config.v0+json listing the layer digests.
  const config = await rawPushBlob(repo, Buffer.from(JSON.stringify({ created: new Date().toISOString(), architecture: 'wasm', os: 'wasip1', layerDigests: [layer.digest], component: null })));
  await rawPushManifest(repo, '0.1.0', {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/wasm',
    config: { mediaType: 'application/vnd.wasm.config.v0+json', ...config },
    layers: [{ mediaType: 'application/wasm', ...layer }],
  });
  const server = await serve(['--from-registry', `${registry.host}/${repo}:0.1.0`]);
  try {
    const res = await fetch(`${server.url}/anything/here`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^Hello from WAGI!\n/);
  } finally { await server.stop(); }
});

test('a tampered blob is refused, naming the layer and both digests; nothing is left behind', async () => {
  // A hello.wasm of its own (an extra custom section), so no other test shares the blob.
  const wasm = Buffer.concat([readFileSync(join(repoRoot, 'examples/hello/hello.wasm')), Buffer.from([0, 13, 4, 0x74, 0x65, 0x73, 0x74]), randomBytes(8)]);
  const dir = join(work, 'tamper-app');
  mkdirSync(dir);
  writeFileSync(join(dir, 'hello.wasm'), wasm);
  writeFileSync(join(dir, 'wasmlet.toml'), readFileSync(join(repoRoot, 'examples/hello/wasmlet.toml'), 'utf8').replace(/\[component\.hello\.build\][^[]*/s, ''));
  const ref = `${registry.host}/demo/tamper:v1`;
  assert.equal((await cli(['registry', 'push', ref, dir])).code, 0);
  const stored = storedBlobPath(registry, sha(wasm));
  const bad = Buffer.from(readFileSync(stored));
  bad[bad.length - 1]! ^= 0xff;
  writeFileSync(stored, bad);

  const out = join(work, 'tamper-out');
  const pull = await cli(['registry', 'pull', ref, '-o', out]);
  assert.equal(pull.code, 125);
  assert.match(pull.err, /wasmlet: error: layer 0 \(application\/vnd\.wasm\.content\.layer\.v1\+wasm\)/);
  assert.ok(pull.err.includes(`expected ${sha(wasm)}, got ${sha(bad)}`), pull.err);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(work).filter((n) => n.includes('.partial')), []);
  assert.equal(existsSync(join(work, 'cache/oci/blobs/sha256', sha(wasm).slice(7))), false);
  const blobs = readdirSync(join(work, 'cache/oci/blobs/sha256'));
  assert.deepEqual(blobs.filter((n) => n.includes('.part')), []);
});

test('a registry with htpasswd: push fails until `registry login`; docker\'s config.json works too', async () => {
  const secure = await startRegistry({ username: 'alice', password: 's3cret' });
  const authEnv = { ...env, XDG_CONFIG_HOME: join(work, 'auth-config'), DOCKER_CONFIG: join(work, 'auth-docker') };
  try {
    const ref = `${secure.host}/demo/hello:v1`;
    const denied = await cli(['registry', 'push', ref, 'examples/hello'], { env: authEnv });
    assert.equal(denied.code, 125);
    assert.match(denied.err, new RegExp(`wasmlet: error: registry ${secure.host} requires a login .*run \`wasmlet registry login ${secure.host} -u USER --password-stdin\``));

    const wrong = await cli(['registry', 'login', secure.host, '-u', 'alice', '--password-stdin'], { env: authEnv, stdin: 'nope\n' });
    assert.equal(wrong.code, 125);
    assert.match(wrong.err, /refused .*credentials of user 'alice'/);

    const login = await cli(['registry', 'login', secure.host, '-u', 'alice', '--password-stdin'], { env: authEnv, stdin: 's3cret\n' });
    assert.equal(login.code, 0, login.err);
    const push = await cli(['registry', 'push', ref, 'examples/hello'], { env: authEnv });
    assert.equal(push.code, 0, push.err);

    // Only Docker's config (as `docker login` writes it): pull works.
    const dockerOnly = { ...env, XDG_CONFIG_HOME: join(work, 'empty-config'), DOCKER_CONFIG: join(work, 'docker-only') };
    mkdirSync(dockerOnly.DOCKER_CONFIG, { recursive: true });
    writeFileSync(join(dockerOnly.DOCKER_CONFIG, 'config.json'), JSON.stringify({ auths: { [secure.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const pull = await cli(['registry', 'pull', ref, '-o', join(work, 'auth-pulled')], { env: dockerOnly });
    assert.equal(pull.code, 0, pull.err);
    assert.deepEqual(readFileSync(join(work, 'auth-pulled/components/hello.wasm')), readFileSync(join(repoRoot, 'examples/hello/hello.wasm')));
  } finally {
    await secure.stop();
  }
});
