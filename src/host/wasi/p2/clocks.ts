// wasi:clocks@0.2.x: monotonic-clock (nanoseconds since an arbitrary origin) and wall-clock, over
// the instance's version-neutral clocks (../clocks.ts), the ones WASI p1 reads too.
import type { WasiClocks } from '../clocks.ts';
import { Pollable } from './io.ts';

const NS_PER_S = 1_000_000_000n;

function sleepUntil(clocks: WasiClocks, deadlineNs: bigint): Pollable {
  const ready = () => clocks.monotonicNs() >= deadlineNs;
  return new Pollable(ready, () => new Promise((resolve) => {
    const ms = Number((deadlineNs - clocks.monotonicNs()) / 1_000_000n);
    setTimeout(resolve, Math.max(0, ms) + 1);
  }));
}

/** `wasi:clocks/wall-clock.datetime` of a time in ns since the epoch. */
function datetime(ns: bigint): { seconds: bigint; nanoseconds: number } {
  let seconds = ns / NS_PER_S;
  let rem = ns % NS_PER_S;
  if (rem < 0n) { seconds -= 1n; rem += NS_PER_S; }
  return { seconds, nanoseconds: Number(rem) };
}

/** Builds the `wasi:clocks/*` interface objects for one instance. */
export function createClocks(clocks: WasiClocks): Record<string, object> {
  return {
    'monotonic-clock': {
      now: (): bigint => clocks.monotonicNs(),
      resolution: (): bigint => clocks.resolutionNs,
      subscribeInstant: (when: bigint): Pollable => sleepUntil(clocks, when),
      subscribeDuration: (ns: bigint): Pollable => sleepUntil(clocks, clocks.monotonicNs() + ns),
    },
    'wall-clock': {
      now: (): { seconds: bigint; nanoseconds: number } => datetime(clocks.realtimeNs()),
      resolution: (): { seconds: bigint; nanoseconds: number } => datetime(clocks.resolutionNs),
    },
  };
}
