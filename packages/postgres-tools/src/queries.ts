import type pg from 'pg';
import type { Lease } from './ConnectionManager.js';
import { PostgresToolError } from './errors.js';
import { RECOVERY_SQL, ReadOnlyStatement } from './ReadOnlyStatement.js';

export interface QueryLimits {
  /** Statement timeout; default 15 000. */
  readonly statementTimeoutMs: number;
  /** Most rows returned; default 1000. */
  readonly maxRows: number;
  /**
   * Most bytes of result per call, default 1 MiB: enforced on the wire as rows arrive (before
   * they are parsed) and again on the JSON returned.
   */
  readonly maxResultBytes: number;
}

export interface QueryResult {
  /** Every column, in order (duplicate names kept). */
  readonly columns: Array<{ name: string; dataTypeId: number }>;
  /** One array per row, values in column order. */
  readonly rows: unknown[][];
  readonly rowCount: number;
  readonly truncated: boolean;
  readonly truncatedReason?: 'rows' | 'size';
}

/** A JSON-safe value: bytes as `\x…` hex, bigints as strings, dates as ISO text. */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  return value;
}

/**
 * Runs one statement in a read-only transaction that it cannot end or change: the transaction
 * takes its snapshot (so `SET TRANSACTION READ WRITE` is refused) and is always rolled back, and
 * the session is reset afterwards; the statement goes through the extended protocol (so it is
 * exactly one statement) with a row limit (so at most `maxRows + 1` rows are ever fetched) and a
 * byte budget counted as rows arrive, under a statement timeout. The whole envelope is one round
 * trip (see ReadOnlyStatement). json and jsonb values come back as their JSON text.
 */
export async function runReadOnly(lease: Lease, sql: string, limits: QueryLimits): Promise<QueryResult> {
  const {
    fields,
    rows: raw,
    overBudget,
  } = await runEnvelope(
    lease,
    new ReadOnlyStatement<unknown[]>(sql, {
      statementTimeoutMs: limits.statementTimeoutMs,
      maxRows: limits.maxRows + 1,
      maxBytes: limits.maxResultBytes,
      rowMode: 'array',
    }),
  );
  const columns = fields.map((f) => ({ name: f.name, dataTypeId: f.dataTypeID }));
  const rows: unknown[][] = [];
  let bytes = JSON.stringify(columns).length;
  let truncatedReason: 'rows' | 'size' | undefined = overBudget
    ? 'size'
    : raw.length > limits.maxRows
      ? 'rows'
      : undefined;
  for (const row of raw.slice(0, limits.maxRows)) {
    const json = row.map(toJsonValue);
    bytes += JSON.stringify(json).length + 1;
    if (bytes > limits.maxResultBytes) {
      truncatedReason = 'size';
      break;
    }
    rows.push(json);
  }
  return {
    columns,
    rows,
    rowCount: rows.length,
    truncated: truncatedReason !== undefined,
    ...(truncatedReason ? { truncatedReason } : {}),
  };
}

/**
 * Runs our own parameterised catalog query inside the same read-only, time-limited envelope; a
 * result larger than the budget is an error (a catalog answer cut short would mislead).
 */
export async function runCatalogQuery<T extends pg.QueryResultRow>(
  lease: Lease,
  text: string,
  values: unknown[],
  limits: QueryLimits,
): Promise<T[]> {
  const { rows, overBudget } = await runEnvelope(
    lease,
    new ReadOnlyStatement<T>(text, {
      values,
      statementTimeoutMs: limits.statementTimeoutMs,
      maxBytes: limits.maxResultBytes,
    }),
  );
  if (overBudget) {
    throw new PostgresToolError(
      'query_error',
      `the catalog answer is larger than the ${limits.maxResultBytes}-byte result budget`,
    );
  }
  return rows;
}

async function runEnvelope<Row>(lease: Lease, statement: ReadOnlyStatement<Row>) {
  lease.client.query(statement as unknown as pg.QueryConfig);
  try {
    const outcome = await statement.done;
    lease.backendPid = statement.backendPid;
    // the socket was cut mid-answer: the backend may still be producing rows
    if (outcome.overBudget) lease.abandon();
    return outcome;
  } catch (error) {
    lease.backendPid = statement.backendPid;
    // the server skipped the ROLLBACK after the failure: the transaction is left aborted
    await recoverUnlessDead(lease, error);
    throw error;
  }
}

/**
 * Rolls back and resets the session after a failed statement, unless the connection itself is
 * gone (server shutdown, network): a query sent on a dead connection may never be answered, and
 * the pool destroys it.
 */
async function recoverUnlessDead(lease: Lease, error: unknown): Promise<void> {
  const code = (error as { code?: string }).code ?? '';
  const dead = code === '' || code.startsWith('08') || code.startsWith('57P') || !/^[0-9A-Z]{5}$/.test(code);
  if (dead) return;
  for (const sql of RECOVERY_SQL) await lease.client.query(sql);
}

export const SQL = {
  databases: `SELECT datname AS name FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname`,
  tables: `SELECT table_name AS name, table_type AS type FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
  columns: `SELECT column_name AS name, data_type AS type, is_nullable = 'YES' AS nullable, column_default AS "default"
            FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
  indexes: `SELECT i.relname AS name, ix.indisprimary AS primary, ix.indisunique AS unique, pg_get_indexdef(ix.indexrelid) AS definition
            FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
            WHERE ix.indrelid = to_regclass(format('%I.%I', $1::text, $2::text)) ORDER BY i.relname`,
  primaryKey: `SELECT a.attname AS name FROM pg_index ix
               JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ANY(ix.indkey)
               WHERE ix.indrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND ix.indisprimary ORDER BY a.attnum`,
  foreignKeys: `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c
                WHERE c.conrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND c.contype = 'f' ORDER BY c.conname`,
  param: `SELECT name, setting AS value, unit, short_desc AS description, category FROM pg_settings WHERE name = $1`,
  config: `SELECT name, setting AS value, unit FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name`,
} as const;

export const MAIN_SETTINGS = [
  'max_connections',
  'shared_buffers',
  'work_mem',
  'maintenance_work_mem',
  'effective_cache_size',
  'max_wal_size',
  'statement_timeout',
  'ssl',
  'timezone',
  'server_encoding',
  'default_transaction_read_only',
];
