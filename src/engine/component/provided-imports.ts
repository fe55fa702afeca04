// The one list of interfaces a component may import to be served by wasmlet: checked when an app
// loads, so a component built for a host wasmlet is not is refused up front (naming the import)
// instead of failing every request. A new host service adds its interfaces here.

/** A family of component imports wasmlet's hosts provide. */
export interface ProvidedImport {
  /** An interface (`wasi:http/types`), or a package prefix ending in `/` (`fermyon:spin/`). */
  name: string;
  /** Versions served; an unversioned import (jco keys imports without one when it can) also matches. */
  versions: RegExp;
}

/** WASI 0.2.x, as wasmlet's host serves it (src/host/wasi/p2/host.ts `createWasiP2Host`). */
const WASI_0_2 = /^0\.2\.\d+$/;

/**
 * The imports a component served by wasmlet may have: the WASI 0.2 interfaces of
 * `createWasiP2Host` (wasi:cli, clocks, random, io, sockets (always denied), filesystem, and
 * wasi:http's `types` and `outgoing-handler`), Spin's `fermyon:spin/*@2.0.0` host interfaces
 * (spinframework/spin `wit/deps/spin@2.0.0`) and the WASI proposals Spin serves beside them,
 * `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` and `wasi:config/store@0.2.0-draft-2024-09-27`
 * (src/host/spin/wasi-keyvalue.ts, wasi-config.ts). A fresh array: callers may extend their copy.
 */
export function providedComponentImports(): ProvidedImport[] {
  const wasi = (pkg: string, ifaces: string[]): ProvidedImport[] => ifaces.map((i) => ({ name: `wasi:${pkg}/${i}`, versions: WASI_0_2 }));
  return [
    ...wasi('cli', ['environment', 'exit', 'stdin', 'stdout', 'stderr', 'terminal-input', 'terminal-output',
      'terminal-stdin', 'terminal-stdout', 'terminal-stderr']),
    ...wasi('clocks', ['monotonic-clock', 'wall-clock']),
    ...wasi('random', ['random', 'insecure', 'insecure-seed']),
    ...wasi('io', ['error', 'poll', 'streams']),
    ...wasi('sockets', ['network', 'instance-network', 'tcp-create-socket', 'tcp', 'udp-create-socket', 'udp', 'ip-name-lookup']),
    ...wasi('filesystem', ['types', 'preopens']),
    ...wasi('http', ['types', 'outgoing-handler']),
    { name: 'fermyon:spin/', versions: /^2\.0\.0$/ },
    ...['store', 'atomics', 'batch'].map((i) => ({ name: `wasi:keyvalue/${i}`, versions: /^0\.2\.0-draft2$/ })),
    { name: 'wasi:config/store', versions: /^0\.2\.0-draft-2024-09-27$/ },
  ];
}

/**
 * The entries of `imports` (as jco lists them: `ns:pkg/iface` with an optional `@version`) that
 * `provided` does not cover, in order.
 */
export function unprovidedImports(imports: readonly string[], provided: readonly ProvidedImport[] = providedComponentImports()): string[] {
  return imports.filter((spec) => {
    const at = spec.indexOf('@');
    const base = at < 0 ? spec : spec.slice(0, at);
    const version = at < 0 ? undefined : spec.slice(at + 1);
    return !provided.some((p) => (p.name.endsWith('/') ? base.startsWith(p.name) : base === p.name)
      && (version === undefined || p.versions.test(version)));
  });
}
