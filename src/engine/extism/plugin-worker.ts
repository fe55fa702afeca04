// Worker entry of a worker-backed Extism plugin (WorkerPlugin in backend.ts). It owns the instance; the
// kernel heap is a SharedArrayBuffer the main thread sees too. A host function call blocks this
// thread: it posts the call, waits on a shared flag (Atomics.wait) and takes the reply with
// receiveMessageOnPort, the way js-sdk's background plugin blocks on its SharedArrayBuffer
// (extism/js-sdk src/worker.ts and src/background-plugin.ts at v2.0.0-rc13), so the guest sees a
// synchronous import while the main thread may await (async host functions, fetch).
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { ExtismKernel, type ExtismLogger } from '../../host/extism/kernel.ts';
import { instantiatePlugin, type HostImports, type PluginInstance } from './instance.ts';
import { deserializeError, serializeError, type HostReply, type PluginCallMessage, type PluginWorkerData, type PluginWorkerMessage } from './worker-protocol.ts';

function main(data: PluginWorkerData): void {
  const port = parentPort!;
  const post = (m: PluginWorkerMessage): void => port.postMessage(m);
  const logger: ExtismLogger = {
    trace: (text: string) => post({ type: 'log', level: 'trace', text }),
    debug: (text: string) => post({ type: 'log', level: 'debug', text }),
    info: (text: string) => post({ type: 'log', level: 'info', text }),
    warn: (text: string) => post({ type: 'log', level: 'warn', text }),
    error: (text: string) => post({ type: 'log', level: 'error', text }),
  };
  const kernel = new ExtismKernel(data.buffer, data.kernelOptions, logger);
  const flag = new Int32Array(data.flag);
  const bridge = (ns: string, name: string) => (...args: unknown[]): unknown => {
    Atomics.store(flag, 0, 0);
    post({ type: 'host', ns, name, args, vars: kernel.vars, errorOffset: kernel.errorOffset });
    Atomics.wait(flag, 0, 0);
    const reply = receiveMessageOnPort(data.replies)!.message as HostReply;
    kernel.replaceVars(reply.vars);
    kernel.errorOffset = reply.errorOffset;
    if (reply.error !== undefined) throw deserializeError(reply.error);
    return reply.value;
  };
  const functions: HostImports = {};
  for (const [ns, names] of Object.entries(data.functions)) {
    functions[ns] = Object.fromEntries(names.map((n) => [n, bridge(ns, n)]));
  }
  let instance: PluginInstance;
  post({ type: 'loaded' }); // the start-up timeout counts from here, not from thread boot
  try {
    instance = instantiatePlugin({ modules: data.modules, kernel, functions, suspending: new Set(), wasi: data.wasi });
  } catch (err) {
    post({ type: 'failed', error: serializeError(err) });
    return;
  }
  post({ type: 'ready' });
  port.on('message', (m: PluginCallMessage) => {
    try {
      const output = instance.call(m.name, m.input, undefined) as Uint8Array | null;
      post({ type: 'result', output });
    } catch (err) {
      post({ type: 'error', error: serializeError(err) });
    }
  });
}

main(workerData as PluginWorkerData);
