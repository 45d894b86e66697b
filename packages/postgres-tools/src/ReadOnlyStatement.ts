// pg's own result parser and value mapper (as pg-cursor uses them): rows parse with the client's
// type parsers, parameters map like pg's own queries.
import Result from 'pg/lib/result.js';
import pgUtils from 'pg/lib/utils.js';

const { prepareValue } = pgUtils;

/** The part of pg's Connection (pg/lib/connection.js) a submittable writes to. */
interface PgConnection {
  parse(message: { text: string; name?: string }): void;
  bind(message: { portal?: string; statement?: string; values?: unknown[]; valueMapper?: unknown }): void;
  describe(message: { type: 'P' | 'S'; name?: string }): void;
  execute(message: { portal?: string; rows?: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
  readonly stream: { cork?(): void; uncork?(): void };
}

interface PgResult {
  fields: Array<{ name: string; dataTypeID: number }>;
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): Record<string, unknown>;
}

export interface ReadOnlyStatementOutcome {
  readonly fields: Array<{ name: string; dataTypeID: number }>;
  readonly rows: Array<Record<string, unknown>>;
}

/**
 * One statement inside a read-only, time-limited transaction that is always rolled back, written
 * to the server in a single round trip (a pg "submittable"):
 *
 *   BEGIN READ ONLY · set_config(statement_timeout, local) · the statement (extended protocol:
 *   exactly one statement; Execute with a row limit) · ROLLBACK · Sync
 *
 * The statement cannot end the envelope early to run something else: the extended protocol admits
 * one statement, and the read-only transaction has taken its snapshot before the statement runs
 * (so `SET TRANSACTION READ WRITE` is refused). When anything fails the server skips the rest up
 * to Sync, which leaves the transaction aborted: the caller must then send ROLLBACK itself.
 */
export class ReadOnlyStatement {
  readonly text: string;
  /** pg sets the client's type parsers on it (`query._result._types`). */
  readonly _result: PgResult & { _types?: unknown };
  callback: ((error: Error | null) => void) | undefined;
  readonly #values: unknown[];
  readonly #timeoutMs: number;
  readonly #maxRows: number;
  readonly #rows: Array<Record<string, unknown>> = [];
  /** 0 BEGIN, 1 set_config, 2 the statement, 3 ROLLBACK, 4 done. */
  #phase = 0;
  #error: Error | undefined;
  #settled = false;
  readonly #done: Promise<ReadOnlyStatementOutcome>;
  #resolve!: (outcome: ReadOnlyStatementOutcome) => void;
  #reject!: (error: Error) => void;

  constructor(text: string, options: { values?: unknown[]; statementTimeoutMs: number; maxRows?: number }) {
    this.text = text;
    this.#values = options.values ?? [];
    this.#timeoutMs = Math.max(1, Math.floor(options.statementTimeoutMs));
    // Execute's row limit; 0 means all rows.
    this.#maxRows = options.maxRows ?? 0;
    this._result = new (Result as unknown as new () => PgResult)();
    this.#done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // never an unhandled rejection: the caller awaits `done`
    this.#done.catch(() => {});
  }

  /** Settles when the server has answered the whole round trip. */
  get done(): Promise<ReadOnlyStatementOutcome> {
    return this.#done;
  }

  submit(connection: PgConnection): Error | null {
    const stream = connection.stream;
    stream.cork?.();
    try {
      connection.parse({ text: 'BEGIN TRANSACTION READ ONLY' });
      connection.bind({});
      connection.execute({});
      connection.parse({ text: "SELECT set_config('statement_timeout', $1, true)" });
      connection.bind({ values: [String(this.#timeoutMs)], valueMapper: prepareValue });
      connection.execute({});
      connection.parse({ text: this.text });
      connection.bind({ values: this.#values, valueMapper: prepareValue });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ rows: this.#maxRows });
      connection.parse({ text: 'ROLLBACK' });
      connection.bind({});
      connection.execute({});
      connection.sync();
    } catch (error) {
      // a parameter that cannot be mapped: nothing has been sent yet (the stream is corked)
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    if (this.#phase === 2) this._result.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    if (this.#phase !== 2) return; // the set_config row
    try {
      this.#rows.push(this._result.parseRow(message.fields));
    } catch (error) {
      this.#error ??= error instanceof Error ? error : new Error(String(error));
    }
  }

  handleCommandComplete(): void {
    this.#phase++;
  }

  handlePortalSuspended(): void {
    this.#phase++;
  }

  handleEmptyQuery(): void {
    this.#phase++;
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('COPY FROM STDIN is not supported by this tool');
  }

  handleCopyData(): void {}

  handleError(error: Error): void {
    this.#settle(error);
  }

  handleReadyForQuery(): void {
    if (this.#error) {
      this.#settle(this.#error);
      return;
    }
    if (this.#phase < 4) {
      this.#settle(new Error('the server answered the read-only envelope incompletely'));
      return;
    }
    this.#settle(undefined);
  }

  #settle(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    if (error) this.#reject(error);
    else this.#resolve({ fields: this._result.fields, rows: this.#rows });
    this.callback?.(error ?? null);
  }
}
