// The messages between a worker-backed Extism plugin (backend.ts) and its worker
// (plugin-worker.ts): structured-clone data only.
import type { MessagePort } from 'node:worker_threads';
import type { KernelOptions } from '../../host/extism/kernel.ts';
import { WasmletError, isWasmletError, type WasmletErrorCode } from '../../util/errors.ts';
import type { ExtismWasiGrants, PluginModules } from './instance.ts';

/** What the main thread gives the worker (structured-clone data). */
export interface PluginWorkerData {
  /** Every module of the plugin (compiled modules clone to the worker without recompiling). */
  modules: PluginModules;
  kernelOptions: KernelOptions;
  buffer: SharedArrayBuffer;
  /** One Int32 word: 0 while a host call is pending, 1 once its reply is posted. */
  flag: SharedArrayBuffer;
  replies: MessagePort;
  /** Host function names by namespace, proxied to the main thread. */
  functions: Record<string, string[]>;
  wasi: ExtismWasiGrants | null;
}

/** Messages worker -> main. */
export type PluginWorkerMessage =
  | { type: 'loaded' }
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; text: string }
  | { type: 'host'; ns: string; name: string; args: unknown[]; vars: Map<string, Uint8Array>; errorOffset: number }
  | { type: 'result'; output: Uint8Array | null }
  | { type: 'error'; error: SerializedError };

/** A call, main -> worker (host function replies go on `replies` instead). */
export interface PluginCallMessage { type: 'call'; name: string; input: Uint8Array | string | undefined }
/** The main thread's answer to a `host` message. */
export interface HostReply { value?: unknown; error?: SerializedError; vars: Map<string, Uint8Array>; errorOffset: number }

/** An Error as plain data (a WasmletError keeps its code and blame). */
export interface SerializedError { name: string; message: string; stack?: string; code?: string; blame?: string }

/** An Error as plain data for postMessage. */
export function serializeError(err: unknown): SerializedError {
  if (isWasmletError(err)) return { name: err.name, message: err.message, stack: err.stack, code: err.code, blame: err.blame };
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { name: 'Error', message: String(err) };
}

/** The Error back from {@link serializeError} (name, message, stack kept; a WasmletError as one). */
export function deserializeError(e: SerializedError): Error {
  let err: Error;
  if (e.code === undefined) {
    err = new Error(e.message);
    err.name = e.name;
  } else {
    err = new WasmletError(e.code as WasmletErrorCode, e.message, { blame: e.blame as WasmletError['blame'] });
  }
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}
