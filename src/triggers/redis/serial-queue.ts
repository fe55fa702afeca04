// Messages of one channel, handled one at a time in arrival order (Spin's Redis trigger delivers a
// channel's messages in order: a handler that read-modify-writes sees every earlier message's
// write). Channels have a queue each, so a slow handler on one never delays another.

/** Messages a channel may hold waiting before new ones are dropped (and logged). */
export const MAX_QUEUED_MESSAGES = 10_000;

/** A FIFO of work items run by one async function, one at a time. */
export class SerialQueue<T> {
  readonly #run: (item: T) => Promise<void>;
  readonly #max: number;
  #items: T[] = [];
  #head = 0;
  #running: Promise<void> | undefined;

  /** `run` handles one item; it must not throw (failures are its own to log). */
  constructor(run: (item: T) => Promise<void>, max: number = MAX_QUEUED_MESSAGES) {
    this.#run = run;
    this.#max = max;
  }

  /** Items waiting, not counting the one running. */
  get waiting(): number { return this.#items.length - this.#head; }

  /** Appends `item`; false (and nothing queued) when {@link waiting} is at the limit. */
  push(item: T): boolean {
    if (this.waiting >= this.#max) return false;
    this.#items.push(item);
    this.#running ??= this.#drain();
    return true;
  }

  /** Drops what waits (returns how many) and resolves once the running item has finished. */
  async stop(): Promise<number> {
    const dropped = this.waiting;
    this.#items = [];
    this.#head = 0;
    await this.#running;
    return dropped;
  }

  async #drain(): Promise<void> {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) { this.#items = this.#items.slice(this.#head); this.#head = 0; }
      await this.#run(item);
    }
    this.#items = [];
    this.#head = 0;
    this.#running = undefined;
  }
}
