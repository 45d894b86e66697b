/**
 * A counting semaphore per caller: at most `max` slots held at once by one caller, more wait in a
 * bounded queue (first come, first served) up to `waitMs`. A caller's state is dropped when it
 * holds nothing, so the map is bounded by the callers active right now.
 */
export class CallerSlots {
  readonly #max: number;
  readonly #waitMs: number;
  readonly #maxWaiters: number;
  readonly #callers = new Map<string, { active: number; readonly waiters: Array<() => void> }>();

  constructor(options: { max: number; waitMs: number; maxWaiters: number }) {
    this.#max = options.max;
    this.#waitMs = options.waitMs;
    this.#maxWaiters = options.maxWaiters;
  }

  /** Slots `callerKey` holds right now. */
  active(callerKey: string): number {
    return this.#callers.get(callerKey)?.active ?? 0;
  }

  /** Resolves once a slot is held; rejects with `refuse()` when the queue is full or the wait ran out. */
  async acquire(callerKey: string, refuse: () => Error): Promise<void> {
    let state = this.#callers.get(callerKey);
    if (!state) {
      state = { active: 0, waiters: [] };
      this.#callers.set(callerKey, state);
    }
    if (state.active < this.#max) {
      state.active++;
      return;
    }
    if (state.waiters.length >= this.#maxWaiters) throw refuse();
    const waiters = state.waiters;
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(wake);
        if (i >= 0) waiters.splice(i, 1);
        reject(refuse());
      }, this.#waitMs);
      waiters.push(wake);
    });
    // the slot was handed over by release (active was not decremented)
  }

  /** Gives a slot back: to the caller's next waiter, else to the pool. */
  release(callerKey: string): void {
    const state = this.#callers.get(callerKey);
    if (!state) return;
    const next = state.waiters.shift();
    if (next) {
      next();
      return;
    }
    state.active--;
    if (state.active === 0 && state.waiters.length === 0) this.#callers.delete(callerKey);
  }
}
