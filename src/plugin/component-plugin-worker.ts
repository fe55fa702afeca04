// The pool handler (engine/pool.ts) of worker-backed component plugins (`createComponentPlugin`
// with `limits.timeoutMs`): a worker holds one plugin's component and runs its calls one at a
// time, each on a fresh instance or on the one long-lived instance (plugin-instances.ts). The embedder's host
// functions live on the main thread: a guest's call to one posts an `import` event and blocks
// this thread (`Atomics.wait`) until the main thread has run the function and posted its answer
// on the call's port, which is then read synchronously (`receiveMessageOnPort`). So host functions
// may be async, arguments and results are structured clones, and a deadline still preempts: the
// main thread terminates this worker whether it is running Wasm or waiting for an answer. Extism's
// JS host runs plugins in a worker the same way (extism/js-sdk `src/background-plugin.ts`: host
// functions on the main thread, the worker blocked on a shared `hostFlag`).
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { PoolHandler } from '../engine/pool.ts';
import { componentFromWire, type ComponentWire } from '../engine/component-wire.ts';
import type { ComponentHostOptions } from '../engine/component/component-host.ts';
import { isJcoComponentError } from './component-error.ts';
import { describeExports, exportedFunction, type ExportShape } from './component-exports.ts';
import { PluginInstances, type InstanceMode } from './plugin-instances.ts';

/** Everything a worker needs to run one plugin (structured-clone data). */
export interface PluginUnitConfig {
  component: ComponentWire;
  /** WASI grants (env, args, preopens, parsed outbound hosts). */
  host: Omit<ComponentHostOptions, 'embedderImports' | 'spin'>;
  /** The embedder's host functions by interface (as the component imports it) -> function names. */
  importFunctions: Record<string, string[]>;
  instance: InstanceMode;
}

/** One job: describe the exports (once, at create), or call one function. */
export type PluginInput =
  | { kind: 'describe' }
  | { kind: 'call'; name: string; fn: string | undefined; args: unknown[]; port: MessagePort; signal: SharedArrayBuffer };

/** The main thread's answer to an `import` event: the function's value, or what it threw. */
export type ImportAnswer = { value: unknown } | { thrown: unknown };

/** An `import` event: the guest called a host function. */
export interface ImportEvent { type: 'import'; iface: string; fn: string; args: unknown[] }

/** How a call ended (a trap or host failure rejects the job instead: pool.ts `failure`). */
export type PluginResult =
  | { shape: ExportShape }
  | { value: unknown }
  | { componentError: { payload: unknown; message: string } }
  | { thrown: unknown };

/** The call in progress on this worker (one at a time), read by the import stubs. */
interface Current {
  port: MessagePort;
  signal: Int32Array;
  emit: (event: ImportEvent) => void;
  /** What the last host function threw (rethrown in the guest as is), to tell it from a trap. */
  hostThrow?: { value: unknown };
}

interface Unit { instances: Promise<PluginInstances>; current: Current | undefined }

/** Stubs for the embedder's interfaces that forward each call to the main thread and wait. */
function importStubs(unit: Unit, importFunctions: Record<string, string[]>): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [iface, names] of Object.entries(importFunctions)) {
    const fns: Record<string, (...args: unknown[]) => unknown> = {};
    for (const fn of names) {
      fns[fn] = (...args: unknown[]) => {
        const current = unit.current;
        if (current === undefined) throw new Error(`${iface}.${fn} was called outside a plugin call`);
        Atomics.store(current.signal, 0, 0);
        current.emit({ type: 'import', iface, fn, args });
        Atomics.wait(current.signal, 0, 0);
        let answer: { message: ImportAnswer } | undefined;
        // The answer is queued before the main thread notifies; the loop only guards that order.
        while ((answer = receiveMessageOnPort(current.port) as { message: ImportAnswer } | undefined) === undefined) {
          Atomics.wait(current.signal, 0, 1, 1);
        }
        if ('thrown' in answer.message) {
          // Rethrown as the function threw it (a clone): jco makes a throw the err case of a
          // `result`, as it does in-process; any other throw unwinds the call.
          current.hostThrow = { value: answer.message.thrown };
          throw answer.message.thrown;
        }
        return answer.message.value;
      };
    }
    out[iface] = fns;
  }
  return out;
}

async function run(unit: Unit, input: PluginInput, emit: (event: unknown) => void): Promise<PluginResult> {
  const instances = await unit.instances;
  const ready = await instances.acquire();
  let healthy = false;
  try {
    if (input.kind === 'describe') {
      healthy = true;
      return { shape: describeExports(ready.instance.exports) };
    }
    const target = exportedFunction(ready.instance.exports, input.name, input.fn);
    unit.current = { port: input.port, signal: new Int32Array(input.signal), emit };
    try {
      const value = target(...input.args);
      healthy = true;
      return { value };
    } catch (err) {
      const hostThrow = unit.current.hostThrow;
      if (hostThrow !== undefined && (hostThrow.value === err || (isJcoComponentError(err) && err.payload === hostThrow.value))) {
        return { thrown: hostThrow.value };
      }
      if (isJcoComponentError(err)) {
        healthy = true;
        return { componentError: { payload: err.payload, message: err.message } };
      }
      throw err;
    }
  } finally {
    unit.current = undefined;
    if (input.kind === 'call') input.port.close();
    instances.release(ready, healthy);
  }
}

/** The pool handler for component plugins (see the header). */
export const poolHandler: PoolHandler = {
  needsEventLoop: true, // jco's glue (components): see PoolHandler.needsEventLoop
  load(_module, config) {
    const cfg = config as PluginUnitConfig;
    const unit: Unit = { instances: undefined!, current: undefined };
    const embedderImports = importStubs(unit, cfg.importFunctions);
    unit.instances = componentFromWire(cfg.component).then((prepared) => new PluginInstances(prepared, { ...cfg.host, embedderImports }, cfg.instance));
    unit.instances.catch(() => {}); // reported by the first job
    return unit;
  },
  run(prepared, input, emit) {
    return run(prepared as Unit, input as PluginInput, emit);
  },
};
