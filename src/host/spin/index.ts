// Spin's host services as guests import them: `fermyon:spin/{key-value,sqlite,variables}@2.0.0`
// over src/host/kv and src/host/sqlite, and stubs for the rest of Spin's `platform` world.
export { createSpinHost, SPIN_JSPI_IMPORTS, SPIN_PACKAGE_VERSION, type SpinHost } from './host.ts';
export type { SpinHostOptions } from './options.ts';
export { SpinThreadBackends } from './thread-backends.ts';
export { VariablesError, invalidVariableName, type VariablesErrorPayload } from './variables.ts';
