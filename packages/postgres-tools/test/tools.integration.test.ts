import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './harness.js';

let stack: Stack;
let alice: Client;
let bob: Client;

beforeAll(async () => {
  stack = await startStack({ limits: { maxRows: 100, statementTimeoutMs: 1000 } });
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
const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as ToolResult;
const text = (r: ToolResult) => r.content.map((c) => c.text ?? '').join('\n');

describe('the tools, as the calling user', () => {
  it('advertises the seven tools with read-only annotations and described inputs', async () => {
    const { tools } = await alice.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'postgres_database_overview',
      'postgres_database_query',
      'postgres_list',
      'postgres_query_explain',
      'postgres_server_config_get',
      'postgres_server_param_get',
      'postgres_table_schema_get',
    ]);
    for (const tool of tools) {
      expect(tool.annotations?.readOnlyHint).toBe(true);
      expect(
        (tool.inputSchema.properties as Record<string, { description?: string }>).server?.description,
      ).toBeTruthy();
    }
  });

  it('lists databases and, per user, the tables their role can see', async () => {
    const dbs = await call(alice, 'postgres_list', { server: 'local' });
    expect(dbs.structuredContent?.databases).toEqual(expect.arrayContaining(['demo', 'postgres']));
    const schemas = await call(alice, 'postgres_list', { server: 'local', database: 'demo' });
    expect(schemas.structuredContent?.schemas).toEqual([
      { name: 'public', comment: 'standard public schema', relations: 2 },
    ]);
    const aliceTables = await call(alice, 'postgres_list', {
      server: 'local',
      database: 'demo',
      schema: 'public',
    });
    const bobTables = await call(bob, 'postgres_list', {
      server: 'local',
      database: 'demo',
      schema: 'public',
    });
    const names = (r: ToolResult) =>
      (r.structuredContent!.tables as Array<{ name: string }>).map((t) => t.name);
    expect(names(aliceTables)).toEqual(['alice_private', 'orders']);
    expect(names(bobTables)).toEqual(['orders']);
  });

  it('queries as the caller: current_user is the caller', async () => {
    const a = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT current_user AS who',
    });
    const b = await call(bob, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT current_user AS who',
    });
    expect(a.structuredContent?.rows).toEqual([['alice@contoso.com']]);
    expect(b.structuredContent?.rows).toEqual([['bob@contoso.com']]);
  });

  it('an identity provider that is down: the tool says there is no database token for the caller, as a credential error', async () => {
    // a new caller (no cached On-Behalf-Of token) while Entra ID's token endpoint is down
    const carol = stack.emulator.addUser({ userPrincipalName: 'carol@contoso.com' });
    const asCarol = await stack.client(await stack.tokenFor(carol));
    stack.emulator.setFault('token', { kind: 'down' });
    try {
      const r = await call(asCarol, 'postgres_database_query', {
        server: 'local',
        database: 'demo',
        query: 'SELECT 1',
      });
      expect(r.isError).toBe(true);
      expect(text(r)).toContain('no database token for the caller');
    } finally {
      stack.emulator.setFault('token', undefined);
      await asCarol.close();
    }
  });

  it("refuses bob alice's table, with a clear permission error", async () => {
    const r = await call(bob, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT * FROM alice_private',
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('permission denied for role "bob@contoso.com"');
    const ok = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT note FROM alice_private',
    });
    expect(ok.structuredContent?.rows).toEqual([['alice only']]);
  });

  it('describes a table: columns, primary key, indexes, foreign keys', async () => {
    const r = await call(alice, 'postgres_table_schema_get', {
      server: 'local',
      database: 'demo',
      table: 'alice_private',
    });
    const s = r.structuredContent as {
      columns: Array<{ name: string; type: string; nullable: boolean }>;
      primaryKey: string[];
      indexes: Array<{ name: string }>;
      foreignKeys: Array<{ definition: string }>;
    };
    expect(s.columns.map((c) => c.name)).toEqual(['id', 'note', 'order_id']);
    expect(s.columns[0]).toMatchObject({ type: 'integer', nullable: false });
    expect(s.primaryKey).toEqual(['id']);
    expect(s.indexes.map((i) => i.name).sort()).toEqual(['alice_private_note', 'alice_private_pkey']);
    expect(s.foreignKeys[0]?.definition).toContain('REFERENCES orders(id)');
    const missing = await call(alice, 'postgres_table_schema_get', {
      server: 'local',
      database: 'demo',
      table: 'nope"; DROP TABLE orders; --',
    });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain('does not exist');
  });

  it('reads server parameters and configuration', async () => {
    const p = await call(alice, 'postgres_server_param_get', { server: 'local', param: 'max_connections' });
    expect(p.structuredContent).toMatchObject({ name: 'max_connections', value: '400' });
    const none = await call(alice, 'postgres_server_param_get', { server: 'local', param: 'no_such_param' });
    expect(none.isError).toBe(true);
    const c = await call(alice, 'postgres_server_config_get', { server: 'local' });
    expect(String(c.structuredContent?.version)).toMatch(/^PostgreSQL \d+/);
  });

  it('returns JSON-safe values (bytes, timestamps)', async () => {
    const r = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT data, placed FROM orders WHERE id = 1',
    });
    const [data, placed] = (r.structuredContent!.rows as unknown[][])[0]!;
    expect(data).toBe('\\x01ff');
    expect(String(placed)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('safety', () => {
  const writes = [
    "INSERT INTO orders (id, item) VALUES (9999, 'x')",
    'UPDATE orders SET qty = 0',
    'DELETE FROM orders',
    'TRUNCATE orders',
    'DROP TABLE orders',
    'CREATE TABLE evil (x int)',
    'ALTER TABLE orders ADD COLUMN evil int',
    "SELECT nextval('counter')",
    'COMMIT; DELETE FROM orders',
    'SELECT 1; DELETE FROM orders',
    'SET TRANSACTION READ WRITE',
    'WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d',
    'DO $$ BEGIN DELETE FROM orders; END $$',
    'COPY orders FROM STDIN',
    "INSERT INTO alice_private VALUES (2, 'x', 1)",
    'SELECT lo_create(0)',
    'CALL nonexistent()',
    'GRANT SELECT ON alice_private TO "bob@contoso.com"',
  ];

  it.each(writes)('refuses %s and leaves the data unchanged', async (query) => {
    const before = (await stack.admin('SELECT count(*)::int AS n, sum(qty)::int AS q FROM orders', 'demo'))
      .rows[0];
    const r = await call(alice, 'postgres_database_query', { server: 'local', database: 'demo', query });
    expect(r.isError).toBe(true);
    const after = (await stack.admin('SELECT count(*)::int AS n, sum(qty)::int AS q FROM orders', 'demo'))
      .rows[0];
    expect(after).toEqual(before);
    const tables = (
      await stack.admin(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
        'demo',
      )
    ).rows[0];
    expect(tables).toEqual({ n: 2 });
    // the pooled connection is still read-only afterwards
    const next = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: "SELECT current_setting('transaction_read_only') AS ro",
    });
    expect(next.structuredContent?.rows).toEqual([['on']]);
  });

  it('a single COMMIT cannot open the way for a later write on the same connection', async () => {
    await call(alice, 'postgres_database_query', { server: 'local', database: 'demo', query: 'COMMIT' });
    const r = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'DELETE FROM orders',
    });
    expect(r.isError).toBe(true);
    expect((await stack.admin('SELECT count(*)::int AS n FROM orders', 'demo')).rows[0]).toEqual({ n: 3000 });
  });

  it.each([
    'SET search_path = pg_catalog',
    "SELECT set_config('search_path', 'pg_catalog', false)",
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
  ])('a session setting made by %s does not outlive its call', async (query) => {
    const show = async () =>
      (
        await call(alice, 'postgres_database_query', {
          server: 'local',
          database: 'demo',
          query:
            "SELECT current_setting('search_path') AS path, current_setting('default_transaction_read_only') AS ro",
        })
      ).structuredContent?.rows;
    const before = await show();
    await call(alice, 'postgres_database_query', { server: 'local', database: 'demo', query });
    expect(await show()).toEqual(before);
    const write = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'DELETE FROM orders',
    });
    expect(write.isError).toBe(true);
    expect((await stack.admin('SELECT count(*)::int AS n FROM orders', 'demo')).rows[0]).toEqual({ n: 3000 });
  });

  it('a statement that fails after some rows, or lacks its parameters, is an error with no partial rows', async () => {
    for (const query of ['SELECT 10 / (3 - x) AS q FROM generate_series(1, 5) AS x', 'SELECT $1::int AS p']) {
      const r = await call(alice, 'postgres_database_query', { server: 'local', database: 'demo', query });
      expect(r.isError).toBe(true);
      expect(r.structuredContent).toBeUndefined();
    }
    const after = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: "SELECT current_setting('transaction_read_only') AS ro",
    });
    expect(after.structuredContent?.rows).toEqual([['on']]);
  });

  it('answers an empty statement and COPY TO STDOUT without rows, and keeps serving', async () => {
    for (const query of ['   ', 'COPY (SELECT 1) TO STDOUT']) {
      const r = await call(alice, 'postgres_database_query', { server: 'local', database: 'demo', query });
      expect(r.isError ?? false).toBe(false);
      expect(r.structuredContent).toMatchObject({ rows: [], rowCount: 0, truncated: false });
    }
    const after = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT 2 AS two',
    });
    expect(after.structuredContent?.rows).toEqual([[2]]);
  });

  it('caps rows and says so', async () => {
    const r = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT id FROM orders ORDER BY id',
    });
    expect(r.structuredContent).toMatchObject({ rowCount: 100, truncated: true, truncatedReason: 'rows' });
    const small = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT id FROM orders WHERE id <= 3',
    });
    expect(small.structuredContent).toMatchObject({ rowCount: 3, truncated: false });
  });

  it('times out a long query and keeps serving', async () => {
    const r = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT pg_sleep(5)',
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('1000 ms statement timeout');
    const after = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT 1 AS ok',
    });
    expect(after.structuredContent?.rows).toEqual([[1]]);
  });

  it('refuses an unknown server and a non-allow-listed host without any connection attempt', async () => {
    const logins = stack.gate.logins.length;
    for (const server of [
      'nope.example.com',
      '10.0.0.1',
      '127.0.0.1',
      'localhost:5432',
      'evil.postgres.database.azure.com.attacker.net',
    ]) {
      const r = await call(alice, 'postgres_list', { server });
      expect(r.isError).toBe(true);
      expect(text(r)).toContain('is not allowed');
    }
    expect(stack.gate.logins.length).toBe(logins);
  });

  it('gives a clear login error for a role the token does not match, and no token in any output', async () => {
    const token = await stack.tokenFor(stack.alice);
    const r = await call(alice, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT 1',
      user: 'bob@contoso.com',
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('login to local as role "bob@contoso.com" was refused');
    expect(text(r)).not.toContain(token.slice(-30));
    expect(text(r)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});

describe('connections and tokens', () => {
  it('100 sequential calls by one new caller use one connection and one token request', async () => {
    const carol = stack.emulator.addUser({ userPrincipalName: 'carol@contoso.com' });
    await stack.admin(
      'CREATE ROLE "carol@contoso.com" LOGIN; GRANT CONNECT ON DATABASE demo TO "carol@contoso.com"',
    );
    const client = await stack.client(await stack.tokenFor(carol));
    const logins = () => stack.gate.logins.filter((l) => l.role === 'carol@contoso.com').length;
    for (let i = 0; i < 100; i++) {
      const r = await call(client, 'postgres_database_query', {
        server: 'local',
        database: 'demo',
        query: 'SELECT 1 AS one',
      });
      expect(r.isError).toBeFalsy();
    }
    expect(logins()).toBe(1);
    expect(stack.emulator.countRequests({ grant: 'on_behalf_of', objectId: carol.objectId })).toBe(1);
  });

  it('a wrong or expired caller token is refused before the database', async () => {
    const expired = await stack.tokenFor(stack.alice, { exp: Math.floor(Date.now() / 1000) - 3600 });
    await expect(stack.client(expired)).rejects.toThrow();
  });
});
