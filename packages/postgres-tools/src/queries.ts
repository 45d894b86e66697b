import { withSpan } from '@mcp-auth-kit/auth-core/internal';
import type pg from 'pg';
import type { Lease } from './ConnectionManager.js';
import { PostgresToolError } from './errors.js';
import { RECOVERY_SQL, ReadOnlyStatement } from './ReadOnlyStatement.js';

export interface QueryLimits {
  /** Statement timeout; default 15 000. */
  readonly statementTimeoutMs: number;
  /** Longest statement timeout a call may ask for (`timeoutMs`); default 60 000. */
  readonly maxStatementTimeoutMs: number;
  /** Most rows returned; default 1000. */
  readonly maxRows: number;
  /**
   * Result budget per call, default 100 000 (sized for LLM clients): bytes on the wire as rows
   * arrive (before they are parsed), and characters of the JSON returned.
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
export async function runReadOnly(
  lease: Lease,
  sql: string,
  limits: QueryLimits,
  call: { readonly maxRows?: number; readonly timeoutMs?: number } = {},
): Promise<QueryResult> {
  const maxRows = Math.min(call.maxRows ?? limits.maxRows, limits.maxRows);
  const {
    fields,
    rows: raw,
    overBudget,
  } = await runEnvelope(
    lease,
    new ReadOnlyStatement<unknown[]>(sql, {
      statementTimeoutMs: call.timeoutMs ?? limits.statementTimeoutMs,
      maxRows: maxRows + 1,
      maxBytes: limits.maxResultBytes,
      rowMode: 'array',
    }),
  );
  const columns = fields.map((f) => ({ name: f.name, dataTypeId: f.dataTypeID }));
  const rows: unknown[][] = [];
  let bytes = JSON.stringify(columns).length;
  let truncatedReason: 'rows' | 'size' | undefined = overBudget
    ? 'size'
    : raw.length > maxRows
      ? 'rows'
      : undefined;
  for (const row of raw.slice(0, maxRows)) {
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
  maxBytes = limits.maxResultBytes,
): Promise<T[]> {
  const { rows, overBudget } = await runEnvelope(
    lease,
    new ReadOnlyStatement<T>(text, {
      values,
      statementTimeoutMs: limits.statementTimeoutMs,
      maxBytes,
    }),
  );
  if (overBudget) {
    throw new PostgresToolError(
      'query_error',
      `the catalog answer is larger than the ${maxBytes}-byte result budget; narrow it (a schema, a page)`,
    );
  }
  return rows;
}

function runEnvelope<Row>(lease: Lease, statement: ReadOnlyStatement<Row>) {
  // a span per statement: the database system and outcome, never the query text or values
  return withSpan('postgres.query', { 'db.system.name': 'postgresql' }, async (span) => {
    const outcome = await runEnvelopeNow(lease, statement);
    span.setAttribute('db.response.returned_rows', outcome.rows.length);
    if (outcome.overBudget) span.setAttribute('mcp_auth.truncated', 'size');
    return outcome;
  });
}

async function runEnvelopeNow<Row>(lease: Lease, statement: ReadOnlyStatement<Row>) {
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

/** The relation kinds the tools list, and their names. */
const RELATION_KIND = `CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
  WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END`;
const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;
const RELATION = `to_regclass(format('%I.%I', $1::text, $2::text))`;

export const SQL = {
  databases: `SELECT datname AS name FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname`,
  /** Schemas the caller may use, with how many relations in each they may read. */
  schemas: `SELECT n.nspname AS name, obj_description(n.oid, 'pg_namespace') AS comment,
              count(c.oid) FILTER (WHERE c.relkind IN ('r','p','v','m','f') AND has_table_privilege(c.oid, 'SELECT'))::int AS relations
            FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
            WHERE ${USER_SCHEMAS} AND has_schema_privilege(n.oid, 'USAGE')
            GROUP BY n.oid, n.nspname ORDER BY n.nspname`,
  /** One page of the relations of a schema the caller may read: $1 schema, $2 after this name, $3 page size + 1. */
  relations: `SELECT c.relname AS name, ${RELATION_KIND} AS kind, obj_description(c.oid, 'pg_class') AS comment,
                CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS "estimatedRows"
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r','p','v','m','f') AND has_table_privilege(c.oid, 'SELECT')
                AND c.relname > $2
              ORDER BY c.relname LIMIT $3`,
  relation: `SELECT ${RELATION_KIND} AS kind, obj_description(c.oid, 'pg_class') AS comment,
               CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS "estimatedRows",
               CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS definition
             FROM pg_class c WHERE c.oid = ${RELATION}`,
  columns: `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS "default",
              CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity,
              CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated,
              col_description(a.attrelid, a.attnum) AS comment,
              CASE WHEN t.typtype = 'e' THEN
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END AS "enumLabels",
              CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS "domainOf"
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = ${RELATION} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
  indexes: `SELECT i.relname AS name, ix.indisprimary AS primary, ix.indisunique AS unique, pg_get_indexdef(ix.indexrelid) AS definition
            FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
            WHERE ix.indrelid = ${RELATION} ORDER BY i.relname`,
  constraints: `SELECT c.conname AS name,
                  CASE c.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'c' THEN 'check'
                    WHEN 'f' THEN 'foreign key' WHEN 'x' THEN 'exclusion' END AS kind,
                  pg_get_constraintdef(c.oid) AS definition,
                  CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END AS "references"
                FROM pg_constraint c WHERE c.conrelid = ${RELATION} AND c.contype IN ('p', 'u', 'c', 'f', 'x')
                ORDER BY c.contype, c.conname`,
  primaryKey: `SELECT a.attname AS name FROM pg_index ix
               JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ANY(ix.indkey)
               WHERE ix.indrelid = ${RELATION} AND ix.indisprimary ORDER BY a.attnum`,
  /** Every relation the caller may read, with its columns and keys, compact (for the overview). */
  overview: `SELECT n.nspname AS schema, c.relname AS name, ${RELATION_KIND} AS kind,
               obj_description(c.oid, 'pg_class') AS comment,
               CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS "estimatedRows",
               (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
                FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
               (SELECT string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY k.contype, k.conname)
                FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'f')) AS keys
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r','p','v','m','f') AND ${USER_SCHEMAS} AND has_table_privilege(c.oid, 'SELECT')
             ORDER BY n.nspname, c.relname LIMIT $1`,
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
