// witx `clock_*` and `random_get`, over the context's clocks and random source (ctx.ts).
import type { P1State } from './state.ts';
import { oob } from './state.ts';
import type { SyscallGroup } from './syscall.ts';
import {
  CLOCKID_MONOTONIC, CLOCKID_PROCESS_CPUTIME_ID, CLOCKID_REALTIME, CLOCKID_THREAD_CPUTIME_ID,
  ERRNO_BADF, ERRNO_INVAL, ERRNO_SUCCESS,
} from './wasi-defs.ts';

/**
 * The time of clock `id` in ns, or the errno for a clock p1 does not give: Wasmtime provides no
 * CPU-time clocks (BADF); anything else is not a clockid (INVAL).
 */
export function clockNow(s: P1State, id: number): bigint | number {
  switch (id) {
    case CLOCKID_MONOTONIC: return s.ctx.clocks.monotonicNs();
    case CLOCKID_REALTIME: return s.ctx.clocks.realtimeNs();
    case CLOCKID_PROCESS_CPUTIME_ID:
    case CLOCKID_THREAD_CPUTIME_ID: return ERRNO_BADF;
    default: return ERRNO_INVAL;
  }
}

/** clock_res_get, clock_time_get, random_get. */
export const CLOCKS_RANDOM_SYSCALLS: SyscallGroup = {
  clock_res_get: (s: P1State, id: number, out: number): number => {
    if (id === CLOCKID_PROCESS_CPUTIME_ID || id === CLOCKID_THREAD_CPUTIME_ID) return ERRNO_BADF;
    if (id !== CLOCKID_REALTIME && id !== CLOCKID_MONOTONIC) return ERRNO_INVAL;
    s.refresh();
    s.dv.setBigUint64(out >>> 0, s.ctx.clocks.resolutionNs, true);
    return ERRNO_SUCCESS;
  },
  clock_time_get: (s: P1State, id: number, _precision: bigint, out: number): number => {
    const now = clockNow(s, id);
    if (typeof now === 'number') return now;
    s.refresh();
    s.dv.setBigUint64(out >>> 0, now, true);
    return ERRNO_SUCCESS;
  },
  random_get: (s: P1State, buf: number, len: number): number => {
    s.refresh();
    buf >>>= 0;
    len >>>= 0;
    if (buf + len > s.u8.length) oob();
    s.ctx.random.fill(s.u8, buf, len);
    return ERRNO_SUCCESS;
  },
};
