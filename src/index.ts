/// <reference path="./types/webassembly.d.ts" preserve="true" />
// wasmlet's public library API. Everything exported here is documented and semver-stable.
export { WasmletError, isWasmletError, ERROR_CODES, errorCodeInfo } from './util/errors.ts';
export type { Blame, WasmletErrorOptions, WasmletErrorCode, ErrorCodeInfo, ErrorHttpStatus, ErrorExitStatus } from './util/errors.ts';
export { runWasi, prepareModule } from './engine/run-module.ts';
export type { RunWasiOptions, RunWasiResult, PreparedModule, PrepareOptions } from './engine/run-module.ts';
export type { GuestOptions, StdinOption, OutputOption } from './engine/stdio-options.ts';
export type { WasmValue } from './engine/instance.ts';
export { runComponent, prepareComponentForRun } from './engine/run-component.ts';
export type { RunComponentOptions, RunComponentResult } from './engine/run-component.ts';
export type { PreparedComponent } from './engine/component/transpile.ts';
export { CompileCache } from './engine/compile-cache.ts';
export { detectWasmKind, inspectModule } from './engine/binary.ts';
export type { WasmKind, ModuleInfo, ImportEntry, ExportEntry, MemoryLimits, FuncType, ValType, ExternKind } from './engine/binary.ts';
export type { InputStream, OutputStream } from './sandbox/stdio.ts';
export type { PreopenSpec } from './sandbox/preopen.ts';
export { parseSize, parseDuration } from './util/units.ts';
export { createPlugin, PluginOutput } from './plugin/extism/create-plugin.ts';
export type { Plugin, ExtismPluginOptions, CallContext, ExtismLogger, HostFunction as ExtismHostFunction, LogLevel } from './plugin/extism/create-plugin.ts';
export type { Manifest, ManifestLike, ManifestWasm, ManifestWasmData, ManifestWasmPath, ManifestWasmUrl, ManifestWasmModule, MemoryOptions } from './plugin/extism/manifest.ts';
export { createComponentPlugin } from './plugin/component-plugin.ts';
export type {
  ComponentPlugin, ComponentPluginOptions, ComponentPluginGrants, ComponentPluginLimits, HostFunction, HostInterface, PluginFunction,
} from './plugin/component-plugin.ts';
export { ComponentError } from './plugin/component-error.ts';
export { loadApp, createHandler, WasmletApp } from './embed/app.ts';
export type { LoadAppOptions, NodeHandler, EmbeddedAppLog, AccessRecord, FetchClient } from './embed/app.ts';
