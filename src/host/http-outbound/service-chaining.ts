// Spin's local service chaining: an outbound HTTP request to `http://<component-id>.spin.internal/...`
// is not sent to the network but handled in-process by that component, with a synthetic route
// match (spinframework/spin `crates/trigger-http/src/outbound_http.rs` `OutboundHttpInterceptor`,
// `crates/http/src/routes.rs` `RouteMatch::synthetic`). It is allowed by the caller's
// `allowed_outbound_hosts` like any host (`http://hello.spin.internal`, `http://*.spin.internal`).
// In wasmlet the worker sends such a request to the app's own listener over loopback with
// {@link SERVICE_CHAINING_HEADER}, which names the target and carries a per-server secret, so a
// client outside the process can never forge one (triggers/http/app-handler.ts checks it).

/** Spin's `SERVICE_CHAINING_DOMAIN`: hosts under it name the app's own components. */
export const SERVICE_CHAINING_DOMAIN = 'spin.internal';
const SERVICE_CHAINING_DOMAIN_SUFFIX = `.${SERVICE_CHAINING_DOMAIN}`;

/**
 * The component id a service chaining host names (`hello.spin.internal` -> `hello`), or undefined
 * when `host` is not one. Spin's `parse_service_chaining_host` (spinframework/spin
 * `crates/factor-outbound-networking/src/config.rs`): a port is dropped, and the host must be
 * exactly one label followed by `spin.internal` (`a.b.spin.internal` is not a chaining host).
 * `host` is compared lower-case, as WHATWG `URL.hostname` gives it.
 */
export function serviceChainingTarget(host: string): string | undefined {
  const name = host.toLowerCase().replace(/:\d*$/, '');
  const dot = name.indexOf('.');
  if (dot <= 0 || name.slice(dot + 1) !== SERVICE_CHAINING_DOMAIN) return undefined;
  return name.slice(0, dot);
}

/**
 * True for a host under `spin.internal` (`spin.internal` itself included). Such a request never
 * leaves the process: it is chained to a component, or denied.
 */
export function isServiceChainingDomain(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === SERVICE_CHAINING_DOMAIN || name.endsWith(SERVICE_CHAINING_DOMAIN_SUFFIX);
}

/**
 * The request header a chained request carries to the app's own listener: `<secret> <authority>`,
 * the authority as the guest wrote it (`hello.spin.internal`, `hello.spin.internal:8080`). The
 * listener drops it from every request and trusts it only with its own secret.
 */
export const SERVICE_CHAINING_HEADER = 'wasmlet-service-chaining';

/** The value of {@link SERVICE_CHAINING_HEADER} for a request to `authority`. */
export function serviceChainingHeaderValue(secret: string, authority: string): string {
  return `${secret} ${authority}`;
}
