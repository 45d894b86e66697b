import { isTlsVerificationCode } from '@mcp-auth-kit/auth-core/internal';
import { PostgresToolError } from './errors.js';

/** Turns a pg / network error into a clear tool error; never includes a password or token. */
export function describePgError(
  error: unknown,
  context: { role: string; server: string; timeoutMs: number },
): PostgresToolError {
  if (error instanceof PostgresToolError) return error;
  const e = error as { code?: string; message?: string; name?: string };
  const code = e.code ?? '';
  switch (code) {
    case '28P01':
    case '28000':
      return new PostgresToolError(
        'login_failed',
        `login to ${context.server} as role "${context.role}" was refused: the Entra token was not accepted. Check that a role named exactly "${context.role}" exists as an Entra principal on the server and that the token is for https://ossrdbms-aad.database.windows.net.`,
        { cause: error },
      );
    case '42501':
      return new PostgresToolError(
        'permission_denied',
        `permission denied for role "${context.role}": ${safe(e.message)}`,
        { cause: error },
      );
    case '57014':
      return new PostgresToolError(
        'timeout',
        `the query was cancelled after the ${context.timeoutMs} ms statement timeout`,
        { cause: error },
      );
    case '25006':
      return new PostgresToolError('read_only', 'the query tool is read-only: writes are not allowed', {
        cause: error,
      });
    case '3D000':
    case '42P01':
    case '3F000':
      return new PostgresToolError('not_found', safe(e.message), { cause: error });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return new PostgresToolError('unreachable', `server ${context.server} cannot be reached (${code})`, {
        cause: error,
      });
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    return new PostgresToolError('query_error', `PostgreSQL error ${code}: ${safe(e.message)}`, {
      cause: error,
    });
  }
  if (isTlsVerificationCode(code)) {
    return new PostgresToolError(
      'unreachable',
      `TLS verification of ${context.server} failed: ${safe(e.message)}`,
      { cause: error },
    );
  }
  return new PostgresToolError(
    'unreachable',
    `connection to ${context.server} failed: ${safe(e.message).slice(0, 200)}`,
    {
      cause: error,
    },
  );
}

/** A server message without anything that looks like a JWT. */
function safe(message: string | undefined): string {
  return (message ?? 'unknown error')
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[token]')
    .slice(0, 500);
}
