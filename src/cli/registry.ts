// `wasmlet registry push | pull | login`: apps as OCI artifacts (Spin's layout; see src/oci/).
import { loadApp } from '../app/loader.ts';
import { findCredentials, storeCredentials } from '../oci/credentials.ts';
import { ociCacheDir } from '../oci/oci-cache.ts';
import { pullApp } from '../oci/pull.ts';
import type { PullResult } from '../oci/pull.ts';
import { pushApp } from '../oci/push.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { RegistryClient } from '../oci/registry-client.ts';
import { WasmletError } from '../util/errors.ts';
import { EXIT } from './exit-codes.ts';
import { printErr, printOut } from './output.ts';
import { createTransferProgress } from './transfer-progress.ts';
import { parseFlags, usageError as usageErrorFor } from './usage.ts';

const HELP = `Usage: wasmlet registry <push|pull|login> [options]

  wasmlet registry push REF [DIR | MANIFEST]
      Pushes the app (default: the current directory) to REF in Spin's OCI layout: one layer
      per component binary and per static file, and the locked app (Spin's locked-app JSON).
      Blobs the registry already has are skipped. Prints the manifest digest.
  wasmlet registry pull REF [-o DIR]
      Pulls REF (a Spin app, or a single-Wasm artifact as \`wkg oci push\` writes), verifies
      every sha256, and writes a runnable app (wasmlet.toml + files) to DIR; without -o, into
      the cache ($WASMLET_CACHE_DIR/oci, else ~/.cache/wasmlet/oci) and prints its path.
  wasmlet registry login REGISTRY -u USER --password-stdin
      Checks the credentials with the registry and stores them in
      $XDG_CONFIG_HOME/wasmlet/auth.json (else ~/.config/wasmlet/auth.json). Docker's
      ~/.docker/config.json (\`docker login\`) is read too.

REF is REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. 127.0.0.1:5000/demo/hello:v1.
Loopback registries (127.0.0.1, localhost, [::1]) are spoken to in plain HTTP; others in HTTPS.

Options:
  -o, --output DIR   (pull) Where to write the app; it must not exist or be empty.
  -u, --username U   (login) The user name.
  --password-stdin   (login) Read the password (or token) from standard input.
  --insecure         Plain HTTP for a registry that is not on loopback.
  -h, --help         Print this help.
`;

const usageError = (message: string): WasmletError => usageErrorFor('registry', message);

async function clientFor(registry: string, repository: string, insecure: boolean): Promise<RegistryClient> {
  const credentials = await findCredentials(registry);
  return new RegistryClient(registry, repository, { insecure, ...(credentials ? { credentials } : {}) });
}

/**
 * Pulls `refText` into the registry cache (reusing the app dir when the manifest digest is
 * already there), reporting progress on stderr. Used by `registry pull` and `serve --from-registry`.
 */
export async function pullToCache(refText: string, options: { insecure?: boolean; outDir?: string } = {}): Promise<PullResult> {
  const ref = parseReference(refText);
  const client = await clientFor(ref.registry, ref.repository, options.insecure === true);
  const progress = await createTransferProgress('pull');
  try {
    return await pullApp(client, ref, {
      cacheDir: ociCacheDir(),
      ...(options.outDir === undefined ? {} : { outDir: options.outDir }),
      onProgress: (label, done, total) => progress.update(label, done, total),
      onBlob: (e) => progress.finish(e.label, e.size, e.cached ? 'cached' : undefined),
    });
  } finally {
    progress.stop();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** The `registry` command. */
export async function registryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('registry', {
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      username: { type: 'string', short: 'u' },
      'password-stdin': { type: 'boolean' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...args] = positionals;
  if (values.help || sub === undefined) { printOut(HELP); return values.help ? EXIT.OK : EXIT.USAGE; }
  const insecure = values.insecure === true;

  if (sub === 'push') {
    if (args.length < 1 || args.length > 2) throw usageError('push takes REF and an optional app DIR or MANIFEST');
    const ref = parseReference(args[0]!);
    const app = await loadApp(args[1] ?? '.');
    const client = await clientFor(ref.registry, ref.repository, insecure);
    const progress = await createTransferProgress('push');
    let result;
    try {
      result = await pushApp(client, ref, app, {
        onProgress: (label, done, total) => progress.update(label, done, total),
        onEvent: (e) => { if (e.kind === 'blob') progress.finish(e.label, e.size, e.skipped ? 'skipped: already in the registry' : undefined); },
      });
    } finally {
      progress.stop();
    }
    const sent = result.blobs.filter((b) => !b.skipped).length;
    printErr(`pushed ${formatReference(ref)}: ${sent} blob(s) uploaded, ${result.blobs.length - sent} already there\n`);
    printOut(`${result.digest}\n`);
    return EXIT.OK;
  }
  if (sub === 'pull') {
    if (args.length !== 1) throw usageError('pull takes one REF');
    const result = await pullToCache(args[0]!, { insecure, ...(values.output === undefined ? {} : { outDir: values.output }) });
    printErr(`pulled ${args[0]} (${result.layout} layout) ${result.digest}${result.reused ? ' (cached)' : ''}\n`);
    printOut(`${result.dir}\n`);
    return EXIT.OK;
  }
  if (sub === 'login') {
    if (args.length !== 1) throw usageError('login takes one REGISTRY (host[:port])');
    if (!values.username) throw usageError('login needs -u USER');
    if (!values['password-stdin']) throw usageError('login reads the password from stdin: pass --password-stdin');
    const registry = args[0]!.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    const password = await readStdin();
    if (password === '') throw usageError('no password on stdin');
    const credentials = { username: values.username, password };
    await new RegistryClient(registry, 'library/none', { insecure, credentials }).ping();
    const path = await storeCredentials(registry, credentials);
    printErr(`login succeeded for ${values.username} at ${registry}; credentials stored in ${path}\n`);
    return EXIT.OK;
  }
  throw usageError(`unknown registry command '${sub}': use push, pull or login`);
}
