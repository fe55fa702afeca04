// `wasi:config/store@0.2.0-draft-2024-09-27` (spinframework/spin
// `wit/deps/wasi-runtime-config-2024-09-27/store.wit`) over the component's variables, the same
// values `fermyon:spin/variables` reads (resolved at load by src/app/variables.ts). As Spin's
// `crates/factor-variables/src/host.rs` (`wasi_config::store::Host`): `get` of a name the
// component does not define, or of a malformed name, is `none`, not an error (the guidance of
// WebAssembly/wasi-runtime-config#19); `get-all` lists every variable of the component. Values
// are resolved already, so neither `upstream` nor `io` can happen here.

/** Version of the `wasi:config` package this interface implements. */
export const WASI_CONFIG_VERSION = '0.2.0-draft-2024-09-27';

/** The `wasi:config/store` interface object of one instance, in jco's shape. */
export interface WasiConfigStore {
  /** The value of `key`, or undefined (`none`). */
  get(key: string): string | undefined;
  /** Every `(name, value)` of the component, in name order. */
  getAll(): Array<[string, string]>;
}

/** Builds `wasi:config/store` from the component's resolved variables (name -> value). */
export function createWasiConfig(variables: Readonly<Record<string, string>>): WasiConfigStore {
  return {
    get: (key) => (Object.hasOwn(variables, key) ? variables[key] : undefined),
    getAll: () => Object.entries(variables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}
