// The whole host of one component instance: wasmlet's WASI 0.2 host plus, when the component is
// part of a Spin app, the `fermyon:spin/*@2.0.0` services. Both are built per instance from plain
// grants; the Spin part also takes the thread's backend connections, which outlive instances.
import { createSpinHost, SpinThreadBackends, type SpinHostOptions } from '../../host/spin/index.ts';
import { createWasiP2Host, type WasiP2Host, type WasiP2HostOptions } from '../../host/wasi/p2/host.ts';

export { SpinThreadBackends, type SpinHostOptions };
// The HTTP trigger receives the service-chained requests these hosts send (layering: triggers
// reach host/ only through engine/).
export { SERVICE_CHAINING_HEADER, serviceChainingTarget } from '../../host/http-outbound/service-chaining.ts';

/** Spin services of a component: its grants (plain data) and the calling thread's connections. */
export interface SpinServices {
  options: SpinHostOptions;
  /** One per thread, shared by every instance on it (see `SpinThreadBackends`). */
  backends: SpinThreadBackends;
}

/** Everything an instance may be granted. */
export interface ComponentHostOptions extends WasiP2HostOptions {
  /** Spin host services; without them only the stubs of `fermyon:spin` are linked (everything denied). */
  spin?: SpinServices;
  /**
   * Interfaces the embedder implements (component plugins: `{ 'example:plugin/host': { log } }`),
   * keyed by interface name as the component imports it (unversioned, or with its version).
   * They are linked as given, after WASI and Spin (a key here wins).
   */
  embedderImports?: Readonly<Record<string, object>>;
}

/**
 * Builds one instance's host: WASI 0.2 plus the Spin services (`fermyon:spin/*`,
 * `wasi:keyvalue/*@0.2.0-draft2`, `wasi:config/store`). `close` closes the guest's files and
 * its store/connection handles (the thread's connections stay open). Does no I/O.
 */
export function createComponentHost(options: ComponentHostOptions = {}): WasiP2Host {
  const { spin, embedderImports, ...wasi } = options;
  const host = createWasiP2Host(wasi);
  // Outbound Redis checks the same `allowed_outbound_hosts` as outbound HTTP.
  const spinOptions = spin?.options ?? { componentId: '' };
  const spinHost = createSpinHost(wasi.allowedOutboundHosts === undefined ? spinOptions
    : { ...spinOptions, allowedOutboundHosts: wasi.allowedOutboundHosts }, spin?.backends ?? new SpinThreadBackends(), wasi.tracer);
  return {
    imports: { ...host.imports, ...spinHost.imports, ...embedderImports },
    http: host.http,
    close() {
      host.close();
      spinHost.close();
    },
  };
}
