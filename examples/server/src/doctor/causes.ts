// Why a check failed, in the terms an operator acts on: network causes, Entra ID's answers, AADSTS codes.
import { AADSTS, safeErrorMessage } from '@mcp-auth-kit/auth-core';
import { isTlsVerificationCode } from '@mcp-auth-kit/auth-core/internal';
import { OutboundCredentialError } from '@mcp-auth-kit/outbound-credentials';

export const AADSTS_FIXES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(AADSTS).map(([code, { meaning, fix }]) => [code, `${meaning}: ${fix}`]),
);

/** Why a network call failed, in the terms an operator acts on, with the fix. */
export function networkCause(error: unknown, url: string): { detail: string; fix: string } {
  const e = error as { name?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = networkCode(error);
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return {
      detail: `no answer from ${host} in time`,
      fix: 'check the network path (firewall, proxy) to it',
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return {
      detail: `DNS: ${host} does not resolve (${code})`,
      fix: 'check the host name in the configuration, and the DNS the host uses',
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      detail: `refused: nothing listens at ${host} (ECONNREFUSED)`,
      fix: 'check the address and port',
    };
  }
  if (isTlsVerificationCode(code)) {
    return {
      detail: `TLS: the certificate of ${host} is not trusted (${code})`,
      fix: 'trust its CA (NODE_EXTRA_CA_CERTS), or fix the host name in the configuration',
    };
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
    return {
      detail: `the connection to ${host} was closed without an answer (${code})`,
      fix: 'check proxies and the endpoint itself',
    };
  }
  // fetch's own "fetch failed" says nothing: the reason is the innermost cause ("bad port", …)
  return {
    detail: `${host}: ${safeErrorMessage(innermost(error), { withName: false }).slice(0, 200)}`,
    fix: 'check the URL and the network path',
  };
}

/** The first system error code in an error's cause chain (AggregateError members included). */
export function networkCode(error: unknown): string | undefined {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 20; seen++) {
    const e = queue.shift() as { code?: unknown; cause?: unknown; errors?: unknown } | undefined;
    if (!e || typeof e !== 'object') continue;
    if (
      typeof e.code === 'string' &&
      /^(E[A-Z]+|UND_ERR_\w+|[A-Z_]*CERT[A-Z_]*|DEPTH_ZERO_SELF_SIGNED_CERT)$/.test(e.code)
    ) {
      return e.code;
    }
    if (e.cause) queue.push(e.cause);
    if (Array.isArray(e.errors)) queue.push(...e.errors);
  }
  return undefined;
}

function innermost(error: unknown): unknown {
  let e = error as { cause?: unknown };
  for (let i = 0; i < 10 && e?.cause; i++) e = e.cause as { cause?: unknown };
  return e;
}

/** Entra's error answer (`error_codes`, `error_description`) as a cause and fix. */
export function entraCause(status: number, body: unknown): { detail: string; fix?: string } {
  const b = body as { error?: unknown; error_codes?: unknown; error_description?: unknown };
  const code = Array.isArray(b?.error_codes) ? String(b.error_codes[0]) : undefined;
  const description =
    typeof b?.error_description === 'string'
      ? b.error_description.split(/ Trace ID:|\r?\n/)[0]!.slice(0, 200)
      : '';
  return {
    detail: `HTTP ${status}${description ? `: ${description}` : ''}`,
    ...(code && AADSTS_FIXES[code] ? { fix: AADSTS_FIXES[code] } : {}),
  };
}

export async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  const text = await response.text();
  let body: unknown = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = {};
  }
  return { status: response.status, body };
}

/** The AADSTS code an outbound failure carries (msal's `errorNo`), and its fix. */
export function outboundCause(error: unknown): { detail: string; fix?: string } {
  const cause = (error as { cause?: { errorNo?: unknown } })?.cause;
  const code = cause?.errorNo !== undefined ? String(cause.errorNo) : undefined;
  const detail = safeErrorMessage(error, { withName: false }).slice(0, 300);
  if (code && AADSTS_FIXES[code]) return { detail, fix: AADSTS_FIXES[code] };
  if (networkCode(error)) {
    const where = (error as { cause?: { url?: unknown } })?.cause?.url;
    return networkCause(error, typeof where === 'string' ? where : 'the identity provider');
  }
  if (error instanceof OutboundCredentialError && error.code === 'certificate_unavailable') {
    return {
      detail,
      fix: 'check the certificate name and that the managed identity may read it (Key Vault Secrets User)',
    };
  }
  return { detail };
}
