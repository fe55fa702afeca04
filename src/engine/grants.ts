// The vocabulary of grants and stdio the engine takes from the layers above (triggers, plugin),
// re-exported here so that those layers never import host/ or sandbox/ themselves
// (ARCHITECTURE.md: triggers turn events into invocations; the engine builds the hosts).
// Types and small constructors only: nothing here holds state.
export type { PreopenSpec } from '../sandbox/preopen.ts';
export type { InputStream, OutputStream } from '../sandbox/stdio.ts';
export { bytesInput } from '../sandbox/stdio.ts';
export type { AllowedHost } from '../host/http-outbound/allowed-hosts.ts';
export { parseAllowedHosts } from '../host/http-outbound/allowed-hosts.ts';
export type { SpinHostOptions } from '../host/spin/options.ts';
export type { KeyValueBackendSpec } from '../host/kv/open-backend.ts';
