// The entry point of a pool worker thread (see pool.ts for the protocol). It imports the handler
// module named in `workerData.handler`, prepares units as they are loaded, and runs invocations.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort, Transferable } from 'node:worker_threads';
import type { PoolHandler, WireJob } from './pool.ts';
import { toFailure } from './instance.ts';

type ToWorker =
  | { type: 'load'; unit: string; module: WebAssembly.Module; config: unknown }
  | { type: 'runs'; jobs: WireJob[] };

type Unit = { prepared: unknown } | { error: unknown };

/** Value of a claim cell once the worker has taken its job (see pool.ts). */
const CLAIMED = -1;

/**
 * Serves the pool protocol on `port` with `handler` until the thread is terminated. `claims` is
 * the claim-cell array shared with the main thread: a job runs only if its cell still holds its
 * sequence number, which this swaps for CLAIMED.
 */
export function serveWorker(port: MessagePort, handler: PoolHandler, claims: Int32Array): void {
  const units = new Map<string, Unit>();
  const runOne = (id: number, unitName: string, input: unknown) => {
    const emit = (event: unknown, transfer?: Transferable[]) => {
      port.postMessage({ type: 'event', id, event }, transfer ?? []);
    };
    const fail = (err: unknown) => port.postMessage({ type: 'fail', id, failure: toFailure(err) });
    const unit = units.get(unitName);
    if (!unit) { fail(new Error(`unit '${unitName}' was never loaded in this worker`)); return; }
    if ('error' in unit) { fail(unit.error); return; }
    try {
      const result = handler.run(unit.prepared, input, emit);
      if (result instanceof Promise) {
        result.then((r) => port.postMessage({ type: 'done', id, result: r }), fail);
      } else {
        port.postMessage({ type: 'done', id, result });
      }
    } catch (err) {
      fail(err);
    }
  };
  const runJobs = (jobs: WireJob[]) => {
    for (const [id, cell, seq, unit, input] of jobs) {
      if (Atomics.compareExchange(claims, cell, seq, CLAIMED) !== seq) continue; // taken back
      runOne(id, unit, input);
    }
  };
  let deferred: WireJob[] = [];
  const runDeferred = () => {
    const jobs = deferred;
    deferred = [];
    runJobs(jobs);
  };
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'load') {
      try {
        units.set(msg.unit, { prepared: handler.load(msg.module, msg.config) });
      } catch (error) {
        units.set(msg.unit, { error });
      }
      return;
    }
    if (!handler.needsEventLoop) {
      runJobs(msg.jobs);
      return;
    }
    // Started from the next check phase, not from this callback: Node keeps draining the port
    // while messages arrive, so a thread that ran its jobs here never left the drain under steady
    // load, and its timers (jco's glue releases each component instance from one) and immediates
    // waited until the load stopped: instances piled up by the hundred (issue 12).
    deferred.push(...msg.jobs);
    if (deferred.length === msg.jobs.length) setImmediate(runDeferred);
  });
}

if (parentPort) {
  const { handler, cells } = workerData as { handler: string; cells: number };
  const { poolHandler } = await import(handler) as { poolHandler: PoolHandler };
  const claims = new Int32Array(new SharedArrayBuffer(4 * cells));
  serveWorker(parentPort, poolHandler, claims);
  parentPort.postMessage({ type: 'ready', claims: claims.buffer });
}
