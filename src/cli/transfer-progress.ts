// Progress of registry transfers, on stderr: bars (cli-progress: bytes, rate, one bar per blob)
// when stderr is a terminal, else one plain line per finished blob, for logs and CI.
import { printErr } from './output.ts';

/** Reports the blobs of one push or pull. */
export interface TransferProgress {
  /** `done` of `total` bytes of the blob `label` have moved. */
  update(label: string, done: number, total: number): void;
  /** The blob `label` is finished (`note`: "skipped: already in the registry", "cached"). */
  finish(label: string, size: number, note?: string): void;
  /** Stops the bars (call before printing anything else). */
  stop(): void;
}

/** `12.3 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${units[i]}`;
}

/**
 * A progress reporter for `verb` ("push", "pull"). On a TTY (`process.stderr.isTTY`) it draws a
 * bar per blob with cli-progress; otherwise it prints `<verb> <label>: <size> in <s> s (<rate>/s)`
 * per blob once it is done.
 */
export async function createTransferProgress(verb: string, tty = process.stderr.isTTY === true): Promise<TransferProgress> {
  const started = new Map<string, number>();
  const plainFinish = (label: string, size: number, note?: string) => {
    const t0 = started.get(label);
    if (note !== undefined || t0 === undefined) { printErr(`${verb} ${label}: ${formatBytes(size)} (${note ?? 'done'})\n`); return; }
    const s = Math.max((performance.now() - t0) / 1000, 0.001);
    printErr(`${verb} ${label}: ${formatBytes(size)} in ${s.toFixed(2)} s (${formatBytes(Math.round(size / s))}/s)\n`);
  };
  if (!tty) {
    return {
      update(label) { if (!started.has(label)) started.set(label, performance.now()); },
      finish: plainFinish,
      stop() {},
    };
  }
  const { MultiBar, Presets } = await import('cli-progress');
  const multi = new MultiBar({
    format: `${verb} {label} |{bar}| {percentage}% {sent}/{size} {rate}`,
    hideCursor: true, clearOnComplete: false, stopOnComplete: false, stream: process.stderr, fps: 10,
  }, Presets.shades_classic);
  const bars = new Map<string, ReturnType<typeof multi.create>>();
  const payload = (label: string, done: number, total: number) => {
    const s = Math.max((performance.now() - (started.get(label) ?? performance.now())) / 1000, 0.001);
    return { label, sent: formatBytes(done), size: formatBytes(total), rate: `${formatBytes(Math.round(done / s))}/s` };
  };
  return {
    update(label, done, total) {
      if (!started.has(label)) started.set(label, performance.now());
      let bar = bars.get(label);
      if (!bar) { bar = multi.create(total, 0, payload(label, 0, total)); bars.set(label, bar); }
      bar.update(done, payload(label, done, total));
    },
    finish(label, size, note) {
      const bar = bars.get(label);
      if (bar) bar.update(size, payload(label, size, size));
      else multi.create(Math.max(size, 1), Math.max(size, 1), { label, sent: formatBytes(size), size: formatBytes(size), rate: `(${note ?? 'done'})` });
    },
    stop() { multi.stop(); },
  };
}
