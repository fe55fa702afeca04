// witx `poll_oneoff`.
import { FileDescriptor, InputStreamDescriptor, OutputStreamDescriptor } from '../../../sandbox/descriptor.ts';
import { clockNow } from './clocks-random.ts';
import type { P1State } from './state.ts';
import { oob } from './state.ts';
import type { SyscallGroup } from './syscall.ts';
import {
  CLOCKID_MONOTONIC, CLOCKID_REALTIME, ERRNO_BADF, ERRNO_INVAL, ERRNO_SUCCESS,
  EVENTRWFLAGS_FD_READWRITE_HANGUP, EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE,
  SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME,
} from './wasi-defs.ts';

/**
 * poll_oneoff: fd subscriptions on files and stdio are always ready (reads on a file report
 * the bytes left, HANGUP at EOF, as Wasmtime); if none is ready, sleeps until the earliest
 * clock subscription and reports every expired one. Zero subscriptions: EINVAL (Wasmtime).
 */
function pollOneoff(s: P1State, subs: number, events: number, nsubs: number, out: number): number {
  subs >>>= 0;
  events >>>= 0;
  nsubs >>>= 0;
  out >>>= 0;
  if (nsubs === 0) return ERRNO_INVAL;
  const table = s.table;
  if (table.dirty !== null) table.flushPending();
  s.refresh();
  if (subs + nsubs * 48 > s.u8.length || events + nsubs * 32 > s.u8.length) oob();
  const dv = s.dv;
  const clocks = s.ctx.clocks;
  const now = clocks.monotonicNs();
  const deadlines: (bigint | null)[] = [];
  const ready: { userdata: bigint; type: number; nbytes: bigint; flags: number }[] = [];
  let earliest: bigint | null = null;
  for (let i = 0; i < nsubs; i++) {
    const sub = subs + i * 48;
    const userdata = dv.getBigUint64(sub, true);
    const tag = s.u8[sub + 8]!;
    if (tag === EVENTTYPE_CLOCK) {
      const id = dv.getUint32(sub + 16, true);
      const timeout = dv.getBigUint64(sub + 24, true);
      const abs = (dv.getUint16(sub + 40, true) & SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
      let deadline: bigint;
      if (id === CLOCKID_MONOTONIC) deadline = abs ? timeout : now + timeout;
      else if (id === CLOCKID_REALTIME) deadline = abs ? now + (timeout - (clockNow(s, CLOCKID_REALTIME) as bigint)) : now + timeout;
      else return ERRNO_INVAL;
      deadlines.push(deadline);
      if (earliest === null || deadline < earliest) earliest = deadline;
    } else if (tag === EVENTTYPE_FD_READ || tag === EVENTTYPE_FD_WRITE) {
      deadlines.push(null);
      const d = table.get(dv.getUint32(sub + 16, true));
      if (tag === EVENTTYPE_FD_READ) {
        if (d instanceof FileDescriptor) {
          const left = d.stat().size - BigInt(d.tell());
          ready.push({ userdata, type: tag, nbytes: left > 0n ? left : 0n, flags: left > 0n ? 0 : EVENTRWFLAGS_FD_READWRITE_HANGUP });
        } else if (d instanceof InputStreamDescriptor) {
          ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
        } else {
          return ERRNO_BADF;
        }
      } else if (d instanceof FileDescriptor || d instanceof OutputStreamDescriptor) {
        ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
      } else {
        return ERRNO_BADF;
      }
    } else {
      return ERRNO_INVAL;
    }
  }
  if (ready.length === 0 && earliest !== null) clocks.sleepUntilNs(earliest);
  const after = clocks.monotonicNs();
  for (let i = 0; i < nsubs; i++) {
    const dl = deadlines[i];
    if (dl !== null && dl !== undefined && dl <= after) {
      ready.push({ userdata: dv.getBigUint64(subs + i * 48, true), type: EVENTTYPE_CLOCK, nbytes: 0n, flags: 0 });
    }
  }
  for (let i = 0; i < ready.length; i++) {
    const e = events + i * 32;
    const r = ready[i]!;
    dv.setBigUint64(e, r.userdata, true);
    dv.setUint16(e + 8, ERRNO_SUCCESS, true);
    dv.setUint16(e + 10, r.type, true); // type u8 + padding
    dv.setUint32(e + 12, 0, true);
    dv.setBigUint64(e + 16, r.nbytes, true);
    dv.setBigUint64(e + 24, BigInt(r.flags), true);
  }
  dv.setUint32(out, ready.length, true);
  return ERRNO_SUCCESS;
}

/** poll_oneoff. */
export const POLL_SYSCALLS: SyscallGroup = {
  poll_oneoff: pollOneoff,
};
