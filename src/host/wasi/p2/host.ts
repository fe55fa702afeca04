// The WASI 0.2 host for one component instance: every `wasi:*/*@0.2.x` interface object, built
// over ONE version-neutral context (../ctx.ts: args/env/cwd, stdio, preopens, the descriptor
// table with its cap, clocks, random), the same context WASI p1 sits on. No module-level state.
// Keys are unversioned interface names (`wasi:io/streams`): jco's instantiation mode keys its
// import object that way, and any 0.2.x import is served by this 0.2 implementation (Wasmtime's
// semver-compatible matching).
import type { AnyPreopenSpec } from '../../../sandbox/preopen.ts';
import type { AllowedHost } from '../../http-outbound/allowed-hosts.ts';
import type { HostCallTracer } from '../../../util/trace-context.ts';
import { WasiCtx } from '../ctx.ts';
import { createCli, discardSink, emptySource, type CliOptions } from './cli.ts';
import { createClocks } from './clocks.ts';
import { createNoFilesystem, type FilesystemProvider } from './filesystem.ts';
import { createSandboxFilesystem } from './filesystem-sandbox.ts';
import { createHttp, type HttpHost } from './http.ts';
import { createIo, type ByteSink, type ByteSource } from './io.ts';
import { createRandom } from './random.ts';
import { createSockets } from './sockets.ts';

/** Everything a p2 instance may be granted. Deny by default: omitted means none. */
export interface WasiP2HostOptions extends CliOptions {
  /** Parsed `allowed_outbound_hosts` for `wasi:http/outgoing-handler`. Default: none. */
  allowedOutboundHosts?: readonly AllowedHost[];
  /** Origin of the app's own listener (`http://127.0.0.1:3000`) for self requests. Default: none. */
  selfOrigin?: string;
  /** The listener's secret for service-chained requests (see `HttpOptions.serviceChainingSecret`). Default: none. */
  serviceChainingSecret?: string;
  /** fetch used for allowed outbound requests. Default: global `fetch`. */
  fetch?: typeof fetch;
  /**
   * Directories the guest may use (`wasi:filesystem/preopens`), each read-only or read-write.
   * Default: none (the guest has no filesystem).
   */
  preopens?: readonly AnyPreopenSpec[];
  /**
   * Descriptors the guest may hold open at once (the preopens and every file or directory it
   * opens; WASI 0.2 stdio are streams, not descriptors). `open-at` past it fails with
   * `error-code.insufficient-memory` (why that case: filesystem-sandbox.ts, TOO_MANY_OPEN) and
   * opens nothing on the host. Default 1024, the same cap as WASI p1 (../ctx.ts).
   */
  maxOpenFds?: number;
  /** A filesystem of the embedder's own, instead of the sandbox over `preopens`. */
  filesystem?: FilesystemProvider;
  /** Traces host calls that may wait (outbound HTTP; Spin's key-value and SQLite). Default: none. */
  tracer?: HostCallTracer;
}

/** The import object for one instance, plus the host-side hooks of `wasi:http`. */
export interface WasiP2Host {
  /** Interface objects keyed by unversioned specifier, e.g. `'wasi:cli/environment'`. */
  imports: Record<string, object>;
  http: HttpHost;
  /**
   * Flushes and closes every descriptor the guest left open (its host files). Call once the
   * instance will not run again. Idempotent.
   */
  close(): void;
}

/** Builds a fresh WASI 0.2 host for one instance. Does no I/O. */
export function createWasiP2Host(options: WasiP2HostOptions = {}): WasiP2Host {
  const ctx = new WasiCtx<ByteSource, ByteSink>({
    stdin: options.stdin ?? emptySource,
    stdout: options.stdout ?? discardSink,
    stderr: options.stderr ?? discardSink,
    args: options.args, env: options.env, cwd: options.cwd, preopens: options.preopens, maxOpenFds: options.maxOpenFds,
  });
  const imports: Record<string, object> = {};
  const add = (pkg: string, ifaces: Record<string, object>) => {
    for (const [name, impl] of Object.entries(ifaces)) imports[`wasi:${pkg}/${name}`] = impl;
  };
  add('cli', createCli(ctx));
  add('clocks', createClocks(ctx.clocks));
  add('random', createRandom(ctx.random));
  add('io', createIo());
  add('sockets', createSockets());
  const fs = options.filesystem ?? (ctx.preopens.length > 0 ? createSandboxFilesystem(ctx) : createNoFilesystem());
  add('filesystem', { types: fs.types, preopens: fs.preopens });
  const http = createHttp({
    ...(options.allowedOutboundHosts ? { allowedOutboundHosts: options.allowedOutboundHosts } : {}),
    ...(options.selfOrigin ? { selfOrigin: options.selfOrigin } : {}),
    ...(options.serviceChainingSecret ? { serviceChainingSecret: options.serviceChainingSecret } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
  });
  add('http', { types: http.types, 'outgoing-handler': http['outgoing-handler'] });
  return { imports, http, close: () => ctx.close() };
}
