import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

// Hostile callers, through the real MCP client, pg and PostgreSQL: each test is an attack that
// once worked against dev mode (see the hardening issue) and must not any more.

let stack: Stack;
let alice: Client;
let bob: Client;

const MAX_RESULT_BYTES = 256 * 1024;

beforeAll(async () => {
  stack = await startStack({
    limits: {
      statementTimeoutMs: 500,
      operationDeadlineMs: 2000,
      maxResultBytes: MAX_RESULT_BYTES,
      maxConnectionsPerCaller: 2,
      connectTimeoutMs: 3000,
    },
  });
  alice = await stack.client(await stack.tokenFor(stack.alice));
  bob = await stack.client(await stack.tokenFor(stack.bob));
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};
const query = async (client: Client, sql: string, extra: Record<string, unknown> = {}) =>
  (await client.callTool({
    name: 'postgres_database_query',
    arguments: { server: 'local', database: 'demo', query: sql, ...extra },
  })) as ToolResult;
const text = (r: ToolResult) => r.content.map((c) => c.text ?? '').join('\n');

/**
 * Backends of `role` other than idle pooled ones (what is still working for that caller); the
 * short-lived connection that ends an abandoned backend is not one of them.
 */
async function busyBackends(role: string): Promise<number> {
  const { rows } = await stack.admin(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $$${role}$$ AND state IS DISTINCT FROM 'idle' AND application_name <> 'mcp-auth-kit-terminator'`,
  );
  return rows[0].n;
}
async function allBackends(role: string): Promise<number> {
  const { rows } = await stack.admin(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $$${role}$$`,
  );
  return rows[0].n;
}
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('results are bounded while they arrive', () => {
  it('stops reading a result past its byte budget, ends the backend, and keeps serving', async () => {
    const before = stack.tools.stats().backendsTerminated;
    const r = await query(alice, "SELECT repeat('x', 150000) || g AS big FROM generate_series(1, 1001) g");
    expect(r.isError ?? false).toBe(false);
    const s = r.structuredContent as { rows: unknown[][]; truncated: boolean; truncatedReason: string };
    expect(s).toMatchObject({ truncated: true, truncatedReason: 'size' });
    // rows that fit the budget are returned; the 1001 rows (150 MB) never were
    expect(s.rows.length).toBeGreaterThan(0);
    expect(s.rows.length).toBeLessThanOrEqual(MAX_RESULT_BYTES / 150_000 + 1);
    expect(text(r)).toContain('select fewer or shorter columns');
    expect(await eventually(async () => stack.tools.stats().backendsTerminated > before)).toBe(true);
    expect(await eventually(async () => (await busyBackends('alice@contoso.com')) === 0)).toBe(true);
    expect((await query(alice, 'SELECT 1 AS ok')).structuredContent?.rows).toEqual([[1]]);
  });

  it('refuses a single field larger than the budget before it is assembled', async () => {
    const r = await query(alice, "SELECT repeat('x', 3000000) AS one");
    expect(r.structuredContent).toMatchObject({
      rows: [],
      rowCount: 0,
      truncated: true,
      truncatedReason: 'size',
    });
    expect(text(r)).toContain('before its first row ended');
  });

  it('bounds COPY TO STDOUT and notices the same way', async () => {
    const copy = await query(
      alice,
      "COPY (SELECT repeat('y', 1000) FROM generate_series(1, 100000)) TO STDOUT",
    );
    expect(copy.structuredContent).toMatchObject({ rowCount: 0, truncated: true, truncatedReason: 'size' });
    const notices = await query(
      alice,
      "DO $$ BEGIN FOR i IN 1..2000 LOOP RAISE NOTICE '%', repeat('n', 1000); END LOOP; END $$",
    );
    expect(notices.structuredContent).toMatchObject({ truncated: true, truncatedReason: 'size' });
    expect((await query(alice, 'SELECT 2 AS ok')).structuredContent?.rows).toEqual([[2]]);
  });

  it('keeps json values as text (parsed, they take ~20x their size) and every duplicate column', async () => {
    const r = await query(alice, `SELECT '{"a":[1,2]}'::jsonb AS j, 1 AS a, 2 AS a`);
    expect(r.structuredContent).toMatchObject({
      columns: [{ name: 'j' }, { name: 'a' }, { name: 'a' }],
      rows: [['{"a": [1, 2]}', 1, 2]],
    });
  });
});

describe('a call cannot outlive its deadline', () => {
  const catchesItsTimeout =
    'DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(0.2); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$';

  it('ends a backend that catches its own statement timeout', async () => {
    const before = stack.tools.stats().backendsTerminated;
    const started = Date.now();
    const r = await query(alice, catchesItsTimeout);
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('did not answer within 2000 ms');
    expect(Date.now() - started).toBeLessThan(6000);
    expect(await eventually(async () => (await busyBackends('alice@contoso.com')) === 0)).toBe(true);
    // the terminator confirms the backend gone on its next look, a moment after the test sees it
    expect(await eventually(async () => stack.tools.stats().backendsTerminated > before)).toBe(true);
  });

  it('holds the per-caller limit while backends are being ended: never more than 2 running', async () => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await busyBackends('alice@contoso.com'));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const results = await Promise.all(Array.from({ length: 6 }, () => query(alice, catchesItsTimeout)));
    sampling = false;
    await sampler;
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
    for (const r of results) {
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/did not answer within|too many database calls are running/);
    }
    // bob was never held up by alice
    expect((await query(bob, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
      ['bob@contoso.com'],
    ]);
    expect(await eventually(async () => (await busyBackends('alice@contoso.com')) === 0)).toBe(true);
    // alice's own slots come back once her backends are gone
    expect((await query(alice, 'SELECT 3 AS ok')).structuredContent?.rows).toEqual([[3]]);
  }, 60_000);
});

describe('identifiers cannot inject startup parameters or multiply pools', () => {
  it.each([
    ['database', 'demo\u0000options\u0000-c search_path=evil'],
    ['user', 'alice@contoso.com\u0000application_name\u0000x'],
    ['database', 'demo\n'],
    ['user', 'alice\u007f'],
  ])('refuses a %s with a control character, before any login', async (field, value) => {
    const logins = stack.gate.logins.length;
    const r = await query(alice, 'SELECT 1', { [field]: value });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('must not contain NUL or control characters');
    expect(stack.gate.logins.length).toBe(logins);
  });

  it('a caller naming many roles holds a bounded number of pools', async () => {
    const before = stack.tools.stats().poolsCreated;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => query(bob, 'SELECT 1', { user: `someone-${i}@contoso.com` })),
    );
    for (const r of results) expect(r.isError).toBe(true);
    expect(stack.tools.stats().poolsCreated - before).toBeGreaterThan(0);
    expect(stack.tools.stats().openPools).toBeLessThanOrEqual(4 + 2);
    // names PostgreSQL would cut to the same 63 bytes share one pool
    const long = `bob@contoso.com${'x'.repeat(60)}`;
    const opened = stack.tools.stats().poolsCreated;
    await query(bob, 'SELECT 1', { user: `${long}a` });
    await query(bob, 'SELECT 1', { user: `${long}b` });
    expect(stack.tools.stats().poolsCreated - opened).toBe(1);
  });
});

describe('no session state outlives a call', () => {
  it("releases advisory locks: bob can take the lock alice's call took", async () => {
    const locked = await query(alice, 'SELECT pg_advisory_lock(42)');
    expect(locked.isError ?? false).toBe(false);
    const r = await query(bob, 'SELECT pg_try_advisory_lock(42) AS got');
    expect(r.structuredContent?.rows).toEqual([[true]]);
    const { rows } = await stack.admin("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
    expect(rows[0].n).toBe(0);
  });

  it('drops prepared statements and advisory locks even when the statement fails', async () => {
    expect((await query(alice, 'PREPARE p AS SELECT 1')).isError ?? false).toBe(false);
    const gone = await query(alice, 'EXECUTE p');
    expect(gone.isError).toBe(true);
    expect(text(gone)).toContain('does not exist');
    const failing = await query(alice, 'SELECT pg_advisory_lock(7), 1 / 0');
    expect(failing.isError).toBe(true);
    const { rows } = await stack.admin("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
    expect(rows[0].n).toBe(0);
  });

  it('leaves no setting, listener or held cursor behind on the same session (the rollback undoes them)', async () => {
    const pid = async () => {
      const rows = (await query(alice, 'SELECT pg_backend_pid()')).structuredContent?.rows as
        | number[][]
        | undefined;
      return rows?.[0]?.[0];
    };
    const session = await pid();
    await query(alice, "SELECT set_config('search_path', 'nowhere', false)");
    await query(alice, 'LISTEN alice_channel');
    await query(alice, 'DECLARE held CURSOR WITH HOLD FOR SELECT 1');
    const after = await query(
      alice,
      "SELECT pg_backend_pid(), current_setting('search_path'), (SELECT count(*)::int FROM pg_listening_channels()), (SELECT count(*)::int FROM pg_cursors WHERE name = 'held')",
    );
    // the same backend served every call: what one call left would be seen here
    expect(await pid()).toBe(session);
    expect(after.structuredContent?.rows).toEqual([[session, '"$user", public', 0, 0]]);
  });

  it('leaves no temporary table behind', async () => {
    await query(alice, 'CREATE TEMP TABLE scratch AS SELECT 1 AS x');
    const r = await query(alice, "SELECT to_regclass('pg_temp.scratch') IS NULL AS gone");
    expect(r.structuredContent?.rows).toEqual([[true]]);
  });
});

describe('sessions per caller stay bounded', () => {
  it('after all of the above, alice holds at most her pool connections and nothing is running', async () => {
    expect(await eventually(async () => (await busyBackends('alice@contoso.com')) === 0)).toBe(true);
    expect(await allBackends('alice@contoso.com')).toBeLessThanOrEqual(2);
  });
});
