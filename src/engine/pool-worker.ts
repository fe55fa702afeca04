// The entry point of a pool worker thread (see pool.ts for the protocol). It imports the handler
// module named in `workerData.handler`, prepares units as they are loaded, and runs invocations.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort, Transferable } from 'node:worker_threads';
import type { PoolHandler } from './pool.ts';
import { toFailure } from './instance.ts';

type ToWorker =
  | { type: 'load'; unit: string; module: WebAssembly.Module; config: unknown }
  | { type: 'run'; id: number; unit: string; input: unknown };

type Unit = { prepared: unknown } | { error: unknown };

/** Serves the pool protocol on `port` with `handler` until the thread is terminated. */
export function serveWorker(port: MessagePort, handler: PoolHandler): void {
  const units = new Map<string, Unit>();
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'load') {
      try {
        units.set(msg.unit, { prepared: handler.load(msg.module, msg.config) });
      } catch (error) {
        units.set(msg.unit, { error });
      }
      return;
    }
    const { id } = msg;
    const emit = (event: unknown, transfer?: Transferable[]) => {
      port.postMessage({ type: 'event', id, event }, transfer ?? []);
    };
    const fail = (err: unknown) => port.postMessage({ type: 'fail', id, failure: toFailure(err) });
    const unit = units.get(msg.unit);
    if (!unit) { fail(new Error(`unit '${msg.unit}' was never loaded in this worker`)); return; }
    if ('error' in unit) { fail(unit.error); return; }
    try {
      const result = handler.run(unit.prepared, msg.input, emit);
      if (result instanceof Promise) {
        result.then((r) => port.postMessage({ type: 'done', id, result: r }), fail);
      } else {
        port.postMessage({ type: 'done', id, result });
      }
    } catch (err) {
      fail(err);
    }
  });
}

if (parentPort) {
  const { poolHandler } = await import((workerData as { handler: string }).handler) as { poolHandler: PoolHandler };
  serveWorker(parentPort, poolHandler);
  parentPort.postMessage({ type: 'ready' });
}
