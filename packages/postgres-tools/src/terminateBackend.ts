import pg from 'pg';

/** The application name of the short-lived connection that ends abandoned backends (tests exclude it). */
export const TERMINATOR_APPLICATION_NAME = 'mcp-auth-kit-terminator';

/**
 * Ends backend `pid` from a separate connection logged in as the same role (a role may end its own
 * backends; a statement cannot catch pg_terminate_backend, unlike its statement timeout), and waits
 * until pg_stat_activity no longer lists it. True once the backend is confirmed gone; false when
 * that could not be confirmed within `timeoutMs` (the server unreachable, say).
 */
export async function terminateBackend(
  config: pg.ClientConfig,
  pid: number,
  options: { timeoutMs: number; connectTimeoutMs: number },
): Promise<boolean> {
  const until = Date.now() + options.timeoutMs;
  let killer: pg.Client | undefined;
  try {
    while (Date.now() < until) {
      try {
        if (!killer) {
          killer = new pg.Client({
            ...config,
            application_name: TERMINATOR_APPLICATION_NAME,
            connectionTimeoutMillis: Math.max(1000, Math.min(options.connectTimeoutMs, until - Date.now())),
          });
          killer.on('error', () => {});
          await killer.connect();
        }
        const { rows } = await killer.query(
          'SELECT pg_terminate_backend(pid) IS NULL AS alive FROM pg_stat_activity WHERE pid = $1::int',
          [pid],
        );
        if (rows.length === 0) return true;
      } catch {
        await killer?.end().catch(() => {});
        killer = undefined;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  } finally {
    await killer?.end().catch(() => {});
  }
}
