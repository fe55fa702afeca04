// The WASI 0.2 host for one component instance: every `wasi:*/*@0.2.x` interface object, built
// from plain data with no module-level state. Keys are unversioned interface names
// (`wasi:io/streams`): jco's instantiation mode keys its import object that way, and any 0.2.x
// import is served by this 0.2 implementation (Wasmtime's semver-compatible matching).
import type { AllowedHost } from '../../http-outbound/allowed-hosts.ts';
import { createCli, type CliOptions } from './cli.ts';
import { createClocks } from './clocks.ts';
import { createNoFilesystem, type FilesystemProvider } from './filesystem.ts';
import { createHttp, type HttpHost } from './http.ts';
import { createIo } from './io.ts';
import { createRandom } from './random.ts';
import { createSockets } from './sockets.ts';

/** Everything a p2 instance may be granted. Deny by default: omitted means none. */
export interface WasiP2HostOptions extends CliOptions {
  /** Parsed `allowed_outbound_hosts` for `wasi:http/outgoing-handler`. Default: none. */
  allowedOutboundHosts?: readonly AllowedHost[];
  /** Origin of the app's own listener (`http://127.0.0.1:3000`) for self requests. Default: none. */
  selfOrigin?: string;
  /** fetch used for allowed outbound requests. Default: global `fetch`. */
  fetch?: typeof fetch;
  /** Filesystem (preopens). Default: none. */
  filesystem?: FilesystemProvider;
}

/** The import object for one instance, plus the host-side hooks of `wasi:http`. */
export interface WasiP2Host {
  /** Interface objects keyed by unversioned specifier, e.g. `'wasi:cli/environment'`. */
  imports: Record<string, object>;
  http: HttpHost;
}

/** Builds a fresh WASI 0.2 host for one instance. */
export function createWasiP2Host(options: WasiP2HostOptions = {}): WasiP2Host {
  const imports: Record<string, object> = {};
  const add = (pkg: string, ifaces: Record<string, object>) => {
    for (const [name, impl] of Object.entries(ifaces)) imports[`wasi:${pkg}/${name}`] = impl;
  };
  add('cli', createCli(options));
  add('clocks', createClocks());
  add('random', createRandom());
  add('io', createIo());
  add('sockets', createSockets());
  const fs = options.filesystem ?? createNoFilesystem();
  add('filesystem', { types: fs.types, preopens: fs.preopens });
  const http = createHttp({
    ...(options.allowedOutboundHosts ? { allowedOutboundHosts: options.allowedOutboundHosts } : {}),
    ...(options.selfOrigin ? { selfOrigin: options.selfOrigin } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  add('http', { types: http.types, 'outgoing-handler': http['outgoing-handler'] });
  return { imports, http };
}
