import { PostgresToolError } from './errors.js';

/**
 * The result memory the whole process lends to tool calls at once, in bytes. A call reserves its
 * own budget before it runs; calls beyond the total wait in a bounded queue (first come, first
 * served) and are refused with a retryable error when the wait runs out.
 */
export class ResultBudget {
  readonly #total: number;
  readonly #waitMs: number;
  readonly #maxWaiters: number;
  #available: number;
  readonly #queue: Array<{ bytes: number; wake: () => void }> = [];

  constructor(options: { totalBytes: number; waitMs: number; maxWaiters?: number }) {
    if (!(options.totalBytes > 0)) throw new TypeError('ResultBudget: totalBytes must be positive');
    this.#total = options.totalBytes;
    this.#available = options.totalBytes;
    this.#waitMs = options.waitMs;
    this.#maxWaiters = options.maxWaiters ?? 1000;
  }

  /** Bytes lent out right now. */
  get inUse(): number {
    return this.#total - this.#available;
  }

  /** Reserves `bytes` (at most the total); resolves to the function that gives them back. */
  async reserve(bytes: number): Promise<() => void> {
    const want = Math.min(bytes, this.#total);
    if (this.#queue.length === 0 && this.#available >= want) {
      this.#available -= want;
      return this.#releaser(want);
    }
    if (this.#queue.length >= this.#maxWaiters) throw busy();
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        bytes: want,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(busy());
        this.#drain();
      }, this.#waitMs);
      this.#queue.push(waiter);
    });
    return this.#releaser(want);
  }

  #releaser(bytes: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#available += bytes;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#available >= this.#queue[0]!.bytes) {
      const next = this.#queue.shift()!;
      this.#available -= next.bytes;
      next.wake();
    }
  }
}

function busy(): PostgresToolError {
  return new PostgresToolError(
    'busy',
    'the server is busy with other large results; retry in a few seconds',
    { retryable: true },
  );
}
