// The deadline and message protocol shared by the workers that run one guest to completion
// (run-worker.ts for core modules, run-component-worker.ts for components). Not the serve pool.
import type { Worker } from 'node:worker_threads';
import { WasmletError } from '../util/errors.ts';
import type { OutputStream } from '../sandbox/stdio.ts';

/** The messages every one-guest worker sends besides its own result messages. */
export type GuestWorkerMessage = { type: 'started' } | { type: 'out'; fd: 1 | 2; bytes: Uint8Array };

/** What the caller makes of one of its worker's own messages: a result, a failure, or nothing yet. */
export type GuestWorkerVerdict<T> = { value: T } | { error: WasmletError } | undefined;

/**
 * Waits for `worker` (already started) to finish its guest. The deadline, `timeoutMs` ms, counts
 * from the worker's `started` message (worker start-up is not the guest's time); `out` messages
 * are written to `sinks[fd]`; every other message goes to `onMessage`.
 * @throws WasmletError `WASMLET_ERR_TIMEOUT` (blame guest) once the deadline passes (the worker is
 *   terminated first: V8 interrupts running Wasm); the error `onMessage` or `onError` returns;
 *   `WASMLET_ERR_INTERNAL` (blame host) when the worker exits without a result.
 */
export function awaitGuestWorker<M extends { type: string }, T>(
  worker: Worker,
  timeoutMs: number,
  sinks: { 1: OutputStream | undefined; 2: OutputStream | undefined },
  onMessage: (message: M) => GuestWorkerVerdict<T>,
  onError: (err: unknown) => WasmletError,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const expire = (): void => settle(() => {
      void worker.terminate().finally(() => reject(new WasmletError('WASMLET_ERR_TIMEOUT',
        `the guest did not finish within its time limit of ${timeoutMs} ms and was stopped`, { blame: 'guest' })));
    });
    worker.on('message', (m: M | GuestWorkerMessage) => {
      if (m.type === 'started') { timer = setTimeout(expire, timeoutMs); return; }
      if (m.type === 'out') { const o = m as Extract<GuestWorkerMessage, { type: 'out' }>; sinks[o.fd]?.write(o.bytes); return; }
      const verdict = onMessage(m as M);
      if (verdict && 'value' in verdict) settle(() => resolve(verdict.value));
      else if (verdict) settle(() => reject(verdict.error));
    });
    worker.on('error', (err) => settle(() => reject(onError(err))));
    worker.on('exit', (code) => settle(() => reject(new WasmletError('WASMLET_ERR_INTERNAL',
      `the worker running the guest exited unexpectedly (code ${code})`, { blame: 'host' }))));
  });
}
