// pg's own result parser and value mapper (as pg-cursor uses them): rows parse with the client's
// type parsers, parameters map like pg's own queries.
import pg from 'pg';
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
  readonly stream: NodeJS.ReadWriteStream & {
    cork?(): void;
    uncork?(): void;
    destroy(): void;
  };
}

interface PgResult {
  fields: Array<{ name: string; dataTypeID: number }>;
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): unknown;
}

type TypeParsers = { getTypeParser(oid: number, format?: string): (value: string) => unknown };

const JSON_OIDS = new Set([114, 3802]);
const JSON_ARRAY_OIDS = new Set([199, 3807]);
const TEXT_ARRAY_OID = 1009;
/**
 * pg's default parsers, except that json and jsonb stay text: parsed, a JSON value takes about
 * twenty times its wire size in memory, and the budget below counts wire bytes.
 */
const JSON_AS_TEXT: TypeParsers = {
  getTypeParser(oid, format) {
    if (JSON_OIDS.has(oid)) return (value: string) => value;
    if (JSON_ARRAY_OIDS.has(oid)) return pg.types.getTypeParser(TEXT_ARRAY_OID as never, 'text');
    return pg.types.getTypeParser(oid as never, (format ?? 'text') as 'text');
  },
};

export interface ReadOnlyStatementOptions {
  readonly values?: unknown[];
  readonly statementTimeoutMs: number;
  /** Execute's row limit; 0 or absent means all rows. */
  readonly maxRows?: number;
  /**
   * Most bytes the server may send for the statement (rows, COPY data, notices) before the
   * statement is abandoned; counted on the socket as they arrive, before any parsing. Default 8 MiB.
   */
  readonly maxBytes?: number;
  /** `array`: rows as arrays (duplicate column names kept), json/jsonb as text. Default `object`. */
  readonly rowMode?: 'array' | 'object';
}

export interface ReadOnlyStatementOutcome<Row = unknown> {
  readonly fields: Array<{ name: string; dataTypeID: number }>;
  readonly rows: Row[];
  /**
   * The server sent more than `maxBytes`: reading stopped there, the rows are those that arrived
   * before, and the connection was cut (its backend must be ended: see `backendPid`).
   */
  readonly overBudget: boolean;
}

/** Bytes past the budget that may already be in flight in one socket read. */
const READ_SLACK_BYTES = 64 * 1024;

/**
 * One statement inside a read-only, time-limited transaction that is always rolled back, written
 * to the server in a single round trip (a pg "submittable"):
 *
 *   BEGIN READ ONLY · set_config(statement_timeout, local), pg_backend_pid() · the statement
 *   (extended protocol: exactly one statement; Execute with a row limit) · ROLLBACK ·
 *   pg_advisory_unlock_all() · DEALLOCATE ALL · Sync
 *
 * The statement cannot end the envelope early to run something else: the extended protocol admits
 * one statement, and the read-only transaction has taken its snapshot before the statement runs
 * (so `SET TRANSACTION READ WRITE` is refused). The reset after the ROLLBACK clears exactly what
 * a read-only, rolled-back transaction can leave behind: session advisory locks and prepared
 * statements survive a ROLLBACK. Everything else a single read-only statement can change is
 * transactional and undone by the ROLLBACK itself: settings (`set_config`, SET), LISTEN (it takes
 * effect only at commit), cursors (WITH HOLD ones die with an aborted transaction), and temporary
 * objects (CREATE is refused in a read-only transaction). DISCARD ALL did the same and more (plan
 * cache, sequences, temp schema) at several times the cost. When anything fails the server skips
 * the rest up to Sync, which leaves the transaction aborted: the caller must then send
 * `RECOVERY_SQL` itself.
 *
 * The bytes the server sends are counted on the socket as they arrive. Past `maxBytes` the
 * statement is abandoned: the socket is destroyed (so no more is read or parsed) and the outcome
 * says so; ending the backend is the connection owner's job.
 */
export class ReadOnlyStatement<Row = unknown> {
  readonly text: string;
  /** pg would set the client's type parsers on it (`query._result._types`); ours are set here. */
  readonly _result: PgResult & { _types?: unknown };
  callback: ((error: Error | null) => void) | undefined;
  readonly #values: unknown[];
  readonly #timeoutMs: number;
  readonly #maxRows: number;
  readonly #maxBytes: number;
  readonly #rows: Row[] = [];
  /** 0 BEGIN, 1 set_config, 2 the statement, 3 ROLLBACK, 4 unlock advisory locks, 5 DEALLOCATE ALL, 6 done. */
  #phase = 0;
  #error: Error | undefined;
  #settled = false;
  #bytes = 0;
  #overBudget = false;
  #stream: PgConnection['stream'] | undefined;
  readonly #meter = (chunk: Buffer | string) => this.#count(chunk);
  /** The server process running this statement, once the envelope's first row has told it. */
  backendPid: number | undefined;
  readonly #done: Promise<ReadOnlyStatementOutcome<Row>>;
  #resolve!: (outcome: ReadOnlyStatementOutcome<Row>) => void;
  #reject!: (error: Error) => void;

  constructor(text: string, options: ReadOnlyStatementOptions) {
    this.text = text;
    this.#values = options.values ?? [];
    this.#timeoutMs = Math.max(1, Math.floor(options.statementTimeoutMs));
    this.#maxRows = options.maxRows ?? 0;
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    const ResultClass = Result as unknown as new (rowMode?: string, types?: TypeParsers) => PgResult;
    this._result =
      options.rowMode === 'array'
        ? new ResultClass('array', JSON_AS_TEXT)
        : new ResultClass(undefined, undefined);
    this.#done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // never an unhandled rejection: the caller awaits `done`
    this.#done.catch(() => {});
  }

  /** Settles when the server has answered the whole round trip, or the budget stopped it. */
  get done(): Promise<ReadOnlyStatementOutcome<Row>> {
    return this.#done;
  }

  submit(connection: PgConnection): Error | null {
    const stream = connection.stream;
    stream.cork?.();
    try {
      connection.parse({ text: 'BEGIN TRANSACTION READ ONLY' });
      connection.bind({});
      connection.execute({});
      connection.parse({ text: "SELECT set_config('statement_timeout', $1, true), pg_backend_pid()" });
      connection.bind({ values: [String(this.#timeoutMs)], valueMapper: prepareValue });
      connection.execute({});
      connection.parse({ text: this.text });
      connection.bind({ values: this.#values, valueMapper: prepareValue });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ rows: this.#maxRows });
      connection.parse({ text: 'ROLLBACK' });
      connection.bind({});
      connection.execute({});
      connection.parse({ text: 'SELECT pg_advisory_unlock_all()' });
      connection.bind({});
      connection.execute({});
      connection.parse({ text: 'DEALLOCATE ALL' });
      connection.bind({});
      connection.execute({});
      connection.sync();
    } catch (error) {
      // a parameter that cannot be mapped: nothing has been sent yet (the stream is corked)
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      stream.uncork?.();
    }
    // Before pg's parser sees a chunk: an oversized row is refused before it is assembled.
    this.#stream = stream;
    stream.prependListener('data', this.#meter);
    return null;
  }

  #count(chunk: Buffer | string): void {
    if (this.#settled) return;
    this.#bytes += chunk.length;
    if (this.#bytes <= this.#maxBytes + READ_SLACK_BYTES) return;
    this.#overBudget = true;
    // The rows already parsed are kept; nothing more is read. The caller ends the backend.
    this.#settle(undefined);
    this.#stream?.destroy();
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    if (this.#phase === 2) this._result.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    if (this.#settled) return;
    if (this.#phase === 1) {
      const pid = Number(message.fields[1]);
      if (Number.isInteger(pid) && pid > 0) this.backendPid = pid;
      return;
    }
    if (this.#phase !== 2) return;
    try {
      this.#rows.push(this._result.parseRow(message.fields) as Row);
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
    if (this.#phase < 6) {
      this.#settle(new Error('the server answered the read-only envelope incompletely'));
      return;
    }
    this.#settle(undefined);
  }

  #settle(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#stream?.removeListener('data', this.#meter);
    if (error) this.#reject(error);
    else this.#resolve({ fields: this._result.fields, rows: this.#rows, overBudget: this.#overBudget });
    this.callback?.(error ?? null);
  }
}

/** After a failed envelope (the server skipped to Sync, leaving the transaction aborted). */
export const RECOVERY_SQL = ['ROLLBACK; SELECT pg_advisory_unlock_all(); DEALLOCATE ALL'] as const;
