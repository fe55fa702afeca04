// Registry credentials: wasmlet's own store (written by `wasmlet registry login`) and Docker's
// `config.json` (`auths`), so that a `docker login` already done works. Both files have Docker's
// shape: `{ "auths": { "<registry>": { "auth": base64("user:password") } } }`.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { WasmletError } from '../util/errors.ts';

/** A user name and password (or token) for HTTP Basic, and for the bearer token request. */
export interface Credentials {
  username: string;
  password: string;
}

interface AuthFile { auths?: Record<string, { auth?: string; username?: string; password?: string }> }

/**
 * The file `wasmlet registry login` writes: `$XDG_CONFIG_HOME/wasmlet/auth.json`, else
 * `~/.config/wasmlet/auth.json`.
 */
export function wasmletAuthPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'wasmlet', 'auth.json');
}

/** Docker's config: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'config.json');
}

async function readAuthFile(path: string): Promise<AuthFile> {
  let text: string;
  try { text = await readFile(path, 'utf8'); } catch { return {}; }
  try { return JSON.parse(text) as AuthFile; } catch (err) {
    throw new WasmletError('WASMLET_ERR_REGISTRY_AUTH', `${path} is not valid JSON — fix or remove it`, { blame: 'user', cause: err });
  }
}

// Docker keys Docker Hub as `https://index.docker.io/v1/`; others by `host[:port]`, sometimes
// with a scheme.
function keysFor(registry: string): string[] {
  if (registry === 'registry-1.docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', registry];
  return [registry, `https://${registry}`, `http://${registry}`];
}

function entryCredentials(entry: { auth?: string; username?: string; password?: string } | undefined): Credentials | undefined {
  if (!entry) return undefined;
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

/**
 * The credentials for `registry` (`host[:port]`): wasmlet's store first, then Docker's
 * `config.json`; undefined means anonymous. Docker credential helpers (`credsStore`) are not run.
 */
export async function findCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  for (const path of [wasmletAuthPath(env), dockerConfigPath(env)]) {
    const file = await readAuthFile(path);
    for (const key of keysFor(registry)) {
      const found = entryCredentials(file.auths?.[key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Stores `creds` for `registry` in wasmlet's store (mode 0600, replaced atomically).
 * @returns the path written.
 */
export async function storeCredentials(registry: string, creds: Credentials, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = wasmletAuthPath(env);
  const file = await readAuthFile(path);
  file.auths = { ...file.auths, [registry]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}
