// A deadline for waiting on I/O (a Redis connect, a command's reply) on a thread whose event loop
// another guest may block. A plain `setTimeout(ms)` counts the time the loop was blocked: after a
// 3 s CPU-bound guest on the same worker, a 2 s timer fires in the timers phase before the poll
// phase delivers the reply that arrived meanwhile, and a neighbour's own request fails. This one
// advances in short steps and counts each step at most `stepMs + graceMs`, however late it fired,
// so a stall costs the waiter one step, not its whole budget.

/** A running deadline: clear it once what it guards has settled. */
export interface LoopDeadline {
  clear(): void;
}

/** Step of {@link loopDeadline}, in ms. */
export const DEFAULT_DEADLINE_STEP_MS = 50;
/** Lateness of a step still counted in full, in ms (timer jitter on a loaded machine). */
const GRACE_MS = 25;

/**
 * Calls `onExpired` once `ms` of time in which the event loop could react has passed: each step
 * of `stepMs` is counted as its real length, but at most `stepMs + 25` ms, so time the thread
 * spent blocked (a CPU-bound guest, a GC pause) is not counted beyond that. Without stalls it
 * fires after `ms`, like `setTimeout`; it never fires early (counted time never exceeds real
 * time) and fires once. Under steady starvation it stretches in real time: a loop that gets a
 * turn only once a second counts 75 ms per second, so a 2000 ms deadline takes about 27 s.
 * @param ms the budget, in ms (0 or less: fires on the first step).
 * @param stepMs the step, in ms (default {@link DEFAULT_DEADLINE_STEP_MS}); a budget below one
 *   step uses a single timer of the budget.
 */
export function loopDeadline(ms: number, onExpired: () => void, stepMs = DEFAULT_DEADLINE_STEP_MS): LoopDeadline {
  let counted = 0;
  let last = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    timer = setTimeout(() => {
      const now = performance.now();
      counted += Math.min(now - last, stepMs + GRACE_MS);
      last = now;
      if (counted >= ms) { timer = undefined; onExpired(); return; }
      arm();
    }, Math.min(stepMs, Math.max(1, ms - counted)));
  };
  arm();
  return { clear: () => { clearTimeout(timer); timer = undefined; } };
}
