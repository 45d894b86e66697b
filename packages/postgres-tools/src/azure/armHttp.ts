// Azure Resource Manager over HTTP: the token, the request, the bounded answer, and ARM's error
// answers as tool errors the model (and the person behind it) can act on.
import type { TokenCredential } from '@azure/core-auth';
import { readBounded } from '@mcp-auth-kit/auth-core/internal';
import { PostgresToolError } from '../errors.js';

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * One call to Azure Resource Manager as the credential: a fresh token for `scope`, no redirects
 * followed, one deadline, an answer of at most 4 MiB; ARM's errors as tool errors.
 */
export async function armSend(
  credential: TokenCredential,
  scope: string,
  method: 'GET' | 'PUT',
  url: URL,
  body: unknown,
  options: { readonly timeoutMs: number; readonly origin: string },
): Promise<{ status: number; body: unknown; headers: Headers }> {
  let token: string;
  try {
    const accessToken = await credential.getToken(scope);
    if (!accessToken) throw new Error('no token');
    token = accessToken.token;
  } catch (error) {
    throw new PostgresToolError(
      'credential_error',
      `no Azure Resource Manager token for the caller: ${(error as Error).message ?? 'unknown error'}`,
      { cause: error },
    );
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new PostgresToolError(
      timedOut ? 'timeout' : 'unreachable',
      timedOut
        ? `Azure Resource Manager did not answer within ${options.timeoutMs} ms`
        : `Azure Resource Manager is unreachable at ${options.origin}`,
      { cause: error },
    );
  }
  const text = await readLimited(response);
  let parsed: unknown = {};
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = {};
  }
  if (response.status >= 200 && response.status < 300) {
    return { status: response.status, body: parsed, headers: response.headers };
  }
  throw armFailure(response.status, response.headers, parsed);
}

/** Milliseconds ARM asked to wait (Retry-After: seconds or an HTTP date). */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

async function readLimited(response: Response): Promise<string> {
  const body = await readBounded(response.body, MAX_RESPONSE_BYTES);
  if (!body)
    throw new PostgresToolError('azure_error', 'Azure Resource Manager sent an answer larger than 4 MiB');
  return body.toString('utf8');
}

/** ARM's error answer as a tool error the model (and the person behind it) can act on. */
function armFailure(status: number, headers: Headers, body: unknown): PostgresToolError {
  const error = (body as { error?: { code?: unknown; message?: unknown } })?.error ?? {};
  const code = typeof error.code === 'string' ? error.code.slice(0, 80) : `HTTP ${status}`;
  // ARM's messages name scopes and actions, never a token; cut them to a sensible length
  const message = typeof error.message === 'string' ? error.message.slice(0, 500) : '';
  if (status === 429) {
    const wait = retryAfterMs(headers);
    return new PostgresToolError(
      'throttled',
      `Azure Resource Manager is throttling these requests (${code})${wait === undefined ? '' : `; retry after ${Math.ceil(wait / 1000)} s`}`,
      { retryable: true },
    );
  }
  if (code === 'AuthorizationFailed' || status === 403) {
    return new PostgresToolError(
      'permission_denied',
      `your Azure role does not allow this (${code}): ${message} Reading needs a role such as Reader on the server or its resource group; changing a parameter needs Contributor (or a role with Microsoft.DBforPostgreSQL/flexibleServers/configurations/write).`,
    );
  }
  if (status === 404) return new PostgresToolError('not_found', `${code}: ${message}`);
  if (status === 401) {
    return new PostgresToolError(
      'credential_error',
      `Azure Resource Manager refused the caller's token (${code}): ${message}`,
    );
  }
  if (status === 400 || status === 409) return new PostgresToolError('invalid_input', `${code}: ${message}`);
  return new PostgresToolError(
    'azure_error',
    `Azure Resource Manager answered ${status} (${code})${message ? `: ${message}` : ''}`,
    {
      retryable: status >= 500,
    },
  );
}
