// "Hostile queries under load": the example server runs in its own process (as in production, with
// --max-old-space-size=1024, the heap that one hostile query used to exhaust) while hostile callers
// send the query shapes that once crashed it or left work behind, and other callers keep calling.
// Measures the server's RSS (before, peak, after), database sessions per caller, and the calls the
// other callers lost. Used by the reliability suite (which asserts) and by bench/ (which reports).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMcpResponse } from './mcpResponse.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** The shapes of the hardening issue, and a few more of the same families. */
export const HOSTILE_SHAPES = {
  // 1001 rows of 1.5 MB: used to kill a 1 GiB heap in 3 s
  wideRows: "SELECT repeat('x', 1500000) || g FROM generate_series(1, 1001) g",
  // one field larger than the whole budget
  oneHugeField: "SELECT repeat('x', 2200000) AS one",
  // JSON that takes ~20x its size once parsed
  jsonBlowUp: "SELECT json_agg('{}'::json) FROM generate_series(1, 1500000)",
  // 300 MB of COPY data
  copyOut: "COPY (SELECT repeat('z', 3000) FROM generate_series(1, 100000)) TO STDOUT",
  // catches its own statement timeout, forever
  catchesTimeout:
    'DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$',
  advisoryLock: 'SELECT pg_advisory_lock(42)',
  prepared: 'PREPARE leak AS SELECT 1',
  notices: "DO $$ BEGIN FOR i IN 1..20000 LOOP RAISE NOTICE '%', repeat('n', 1000); END LOOP; END $$",
};

function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function callTool(mcpUrl, token, name, args, timeoutMs = 60_000) {
  try {
    const res = await fetch(mcpUrl, {
      method: 'POST',
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name, arguments: args },
      }),
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const json = parseMcpResponse(text);
    return { status: res.status, json, bytes: text.length };
  } catch (error) {
    return { status: 0, error: String(error?.name ?? error) };
  }
}

const query = (mcpUrl, token, sql, extra = {}) =>
  callTool(mcpUrl, token, 'postgres_database_query', {
    server: 'local',
    database: 'demo',
    query: sql,
    ...extra,
  });

/**
 * Runs the scenario and returns its figures. `hostile` and `regular` are emulated users with a
 * login role on the token-gated PostgreSQL (`gate`) and SELECT on demo.t.
 */
export async function runHostileQueries({
  emulator,
  gate,
  admin,
  api,
  clientSecret,
  hostile,
  regular,
  tokenFor,
  rounds = 2,
  log = () => {},
}) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-hostile-'));
  const configPath = join(dir, 'appsettings.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
      },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: { fromEnv: 'HOSTILE_OBO_SECRET' } },
      },
      mcpServer: { postgresServers: { local: { host: gate.host, port: gate.port } } },
    }),
  );
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=1024', cli, 'start', '--config', configPath, '--port', '0', '--json'],
    { env: { ...process.env, HOSTILE_OBO_SECRET: clientSecret }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  try {
    const mcpUrl = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 30_000);
      child.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line).mcpUrl);
        }
      });
      child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
    });
    const hostileTokens = await Promise.all(hostile.map((u) => tokenFor(u)));
    const regularTokens = await Promise.all(regular.map((u) => tokenFor(u)));

    // warm up: every caller has its pool and its On-Behalf-Of token, the server its JIT
    for (let i = 0; i < 3; i++) {
      await Promise.all([...hostileTokens, ...regularTokens].map((t) => query(mcpUrl, t, 'SELECT 1')));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const rssBefore = rssBytes(child.pid);
    let rssPeak = rssBefore;
    const sessions = { maxPerCaller: 0, maxActivePerCaller: 0 };
    const hostileRoles = new Set(hostile.map((u) => u.userPrincipalName));
    let sampling = true;
    const rssSampler = (async () => {
      while (sampling) {
        rssPeak = Math.max(rssPeak, rssBytes(child.pid));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const sessionSampler = (async () => {
      while (sampling) {
        const { rows } = await admin(
          `SELECT usename, count(*)::int AS n, count(*) FILTER (WHERE state IS DISTINCT FROM 'idle')::int AS active
           FROM pg_stat_activity WHERE application_name = 'mcp-auth-kit' GROUP BY usename`,
        );
        for (const r of rows) {
          if (!hostileRoles.has(r.usename)) continue;
          sessions.maxPerCaller = Math.max(sessions.maxPerCaller, r.n);
          sessions.maxActivePerCaller = Math.max(sessions.maxActivePerCaller, r.active);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // the other callers: one call after another for the whole scenario
    const others = { calls: 0, ok: 0, lost: 0, errors: 0, samples: [] };
    let busy = true;
    const regularWorkers = regularTokens.map(async (token, i) => {
      while (busy) {
        const r = await query(mcpUrl, token, 'SELECT current_user AS u');
        others.calls++;
        const who = r.json?.result?.structuredContent?.rows?.[0]?.[0];
        if (r.status === 0) others.lost++;
        else if (who === regular[i].userPrincipalName) others.ok++;
        else {
          others.errors++;
          if (others.samples.length < 3)
            others.samples.push(`${r.status} ${String(JSON.stringify(r.json ?? r.error)).slice(0, 120)}`);
        }
      }
    });

    const hostileResults = [];
    const record = (shape, r) =>
      hostileResults.push({ shape, status: r.status, isError: !!r.json?.result?.isError });
    // 1. memory: every hostile caller at once with the heap-killing shape, `rounds` times
    log('hostile: wide rows, all hostile callers at once');
    for (let round = 0; round < rounds; round++) {
      const rs = await Promise.all(hostileTokens.map((t) => query(mcpUrl, t, HOSTILE_SHAPES.wideRows)));
      for (const r of rs) record('wideRows', r);
    }
    // 2. the other shapes, each hostile caller a different one, all at once
    log('hostile: the other shapes');
    const shapes = Object.entries(HOSTILE_SHAPES).filter(([k]) => k !== 'wideRows');
    const mixed = await Promise.all(
      hostileTokens.map((t, i) => {
        const [shape, sql] = shapes[i % shapes.length];
        return query(mcpUrl, t, sql).then((r) => record(shape, r));
      }),
    );
    void mixed;
    // 3. injection through identifiers
    const injected = await query(mcpUrl, hostileTokens[0], 'SELECT 1', {
      database: 'demo\u0000options\u0000-c search_path=evil',
    });
    record('nulInDatabase', injected);
    // state left behind: a regular caller can take the lock a hostile call took
    const lock = await query(mcpUrl, regularTokens[0], 'SELECT pg_try_advisory_lock(42) AS got');
    const lockFree = lock.json?.result?.structuredContent?.rows?.[0]?.[0] === true;

    busy = false;
    await Promise.all(regularWorkers);
    // after: the backends that were abandoned are gone, memory settles
    let running = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 100 && running > 0; i++) {
      const { rows } = await admin(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'mcp-auth-kit' AND state IS DISTINCT FROM 'idle'`,
      );
      running = rows[0].n;
      if (running > 0) await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2000));
    sampling = false;
    await Promise.all([rssSampler, sessionSampler]);
    const rssAfter = rssBytes(child.pid);
    const up =
      !exited &&
      (await fetch(mcpUrl.replace(/\/mcp$/, '/health')).then(
        (r) => r.status === 200,
        () => false,
      ));
    return {
      rssBeforeMiB: rssBefore / 2 ** 20,
      rssPeakMiB: rssPeak / 2 ** 20,
      rssAfterMiB: rssAfter / 2 ** 20,
      rssRiseMiB: (rssPeak - rssBefore) / 2 ** 20,
      sessions,
      backendsLeftRunning: running,
      others,
      hostile: {
        calls: hostileResults.length,
        http5xx: hostileResults.filter((r) => r.status >= 500).length,
        lost: hostileResults.filter((r) => r.status === 0).length,
        byShape: Object.fromEntries(
          [...new Set(hostileResults.map((r) => r.shape))].map((s) => [
            s,
            hostileResults
              .filter((r) => r.shape === s)
              .map((r) => (r.status !== 200 ? `HTTP ${r.status}` : r.isError ? 'tool error' : 'ok'))
              .join(','),
          ]),
        ),
      },
      lockFree,
      up,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (exited ? r() : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}
