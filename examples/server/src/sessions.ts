/** Limits of stateful (Streamable HTTP session) mode. */
export interface SessionLimits {
  /** A session unused this long is closed; default 1 800 000 (30 minutes). */
  readonly idleMs?: number;
  /** Sessions one caller may hold; opening one more closes their oldest. Default 8. */
  readonly maxPerCaller?: number;
  /** Sessions in all; opening one more closes the least recently used. Default 10 000. */
  readonly maxTotal?: number;
}

interface Closable {
  close(): Promise<void>;
}

interface Session<T extends Closable> {
  readonly transport: T;
  readonly owner: string;
  lastUsedMs: number;
}

/**
 * The open sessions of stateful mode, each bound to the caller who opened it, bounded in number
 * (per caller and in all) and in idle time, so that no caller can make the server hold memory
 * for sessions nobody uses.
 */
export class SessionRegistry<T extends Closable> {
  /** In least-recently-used order (a use moves a session to the end). */
  readonly #sessions = new Map<string, Session<T>>();
  readonly #perOwner = new Map<string, number>();
  readonly #idleMs: number;
  readonly #maxPerCaller: number;
  readonly #maxTotal: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #now: () => number;

  constructor(limits: SessionLimits = {}, now: () => number = Date.now) {
    this.#idleMs = positive(limits.idleMs, 30 * 60_000, 'idleMs');
    this.#maxPerCaller = positive(limits.maxPerCaller, 8, 'maxPerCaller');
    this.#maxTotal = positive(limits.maxTotal, 10_000, 'maxTotal');
    this.#now = now;
    this.#sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(100, this.#idleMs / 4)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Registers a new session, first closing the caller's oldest (or the least recently used) past a bound. */
  add(id: string, transport: T, owner: string): void {
    if ((this.#perOwner.get(owner) ?? 0) >= this.#maxPerCaller) {
      for (const [oldId, s] of this.#sessions) {
        if (s.owner === owner) {
          this.#close(oldId);
          break;
        }
      }
    }
    if (this.#sessions.size >= this.#maxTotal) this.#close(this.#sessions.keys().next().value!);
    this.#sessions.set(id, { transport, owner, lastUsedMs: this.#now() });
    this.#perOwner.set(owner, (this.#perOwner.get(owner) ?? 0) + 1);
  }

  /** The session's transport when it exists, belongs to `owner` and has not expired; else undefined. */
  get(id: string, owner: string): T | undefined {
    const session = this.#sessions.get(id);
    if (!session || session.owner !== owner) return undefined;
    if (this.#now() - session.lastUsedMs > this.#idleMs) {
      this.#close(id);
      return undefined;
    }
    session.lastUsedMs = this.#now();
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session.transport;
  }

  /** Forgets a session that closed by itself (the client sent DELETE, or the transport ended). */
  remove(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    const left = (this.#perOwner.get(session.owner) ?? 1) - 1;
    if (left > 0) this.#perOwner.set(session.owner, left);
    else this.#perOwner.delete(session.owner);
  }

  /** Closes the sessions idle for longer than the limit. */
  sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) {
      // least recently used first: the first one still fresh ends the sweep
      if (now - s.lastUsedMs <= this.#idleMs) break;
      this.#close(id);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    this.#perOwner.clear();
    await Promise.all(all.map((s) => s.transport.close().catch(() => {})));
  }

  #close(id: string): void {
    const session = this.#sessions.get(id);
    this.remove(id);
    session?.transport.close().catch(() => {});
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`SessionRegistry: ${name} must be a positive number (got ${value})`);
  }
  return value;
}
