// wasi:clocks@0.2.x: monotonic-clock (nanoseconds since an arbitrary origin) and wall-clock.
import { Pollable } from './io.ts';

function sleepUntil(deadlineNs: bigint): Pollable {
  const ready = () => process.hrtime.bigint() >= deadlineNs;
  return new Pollable(ready, () => new Promise((resolve) => {
    const ms = Number((deadlineNs - process.hrtime.bigint()) / 1_000_000n);
    setTimeout(resolve, Math.max(0, ms) + 1);
  }));
}

/** Builds the `wasi:clocks/*` interface objects for one instance. */
export function createClocks(): Record<string, object> {
  return {
    'monotonic-clock': {
      now: (): bigint => process.hrtime.bigint(),
      resolution: (): bigint => 1n,
      subscribeInstant: (when: bigint): Pollable => sleepUntil(when),
      subscribeDuration: (ns: bigint): Pollable => sleepUntil(process.hrtime.bigint() + ns),
    },
    'wall-clock': {
      now(): { seconds: bigint; nanoseconds: number } {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: (): { seconds: bigint; nanoseconds: number } => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
  };
}
