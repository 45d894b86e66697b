// The identity provider: OIDC discovery and its signing keys.
import type { AzureAdConfig } from '@mcp-auth-kit/auth-core';
import { entraCause, getJson, networkCause } from './causes.js';
import type { CheckResult } from './types.js';

export async function checkDiscovery(
  azureAd: AzureAdConfig,
  timeoutMs: number,
): Promise<{ result: CheckResult; jwksUri?: string; document?: Record<string, unknown> }> {
  const url = `${azureAd.instance}${azureAd.tenantId}/v2.0/.well-known/openid-configuration`;
  const name = 'identity provider (OIDC discovery)';
  let answer: { status: number; body: unknown };
  try {
    answer = await getJson(url, timeoutMs);
  } catch (error) {
    return { result: { name, status: 'fail', ...networkCause(error, url) } };
  }
  if (answer.status !== 200) {
    const cause = entraCause(answer.status, answer.body);
    return {
      result: {
        name,
        status: 'fail',
        detail: `${url} answered ${cause.detail}`,
        fix: cause.fix ?? 'check azureAd.instance and azureAd.tenantId',
      },
    };
  }
  const doc = answer.body as Record<string, unknown>;
  const missing = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'].filter(
    (k) => typeof doc[k] !== 'string' || doc[k] === '',
  );
  if (missing.length > 0) {
    return {
      result: {
        name,
        status: 'fail',
        detail: `${url} has no ${missing.join(', ')}`,
        fix: 'azureAd.instance must be the Entra ID authority host (e.g. https://login.microsoftonline.com/)',
      },
    };
  }
  const expected = `${azureAd.instance}${azureAd.tenantId}/v2.0`.toLowerCase();
  const issuer = String(doc.issuer).toLowerCase();
  if (!issuer.includes('{tenantid}') && issuer !== expected) {
    return {
      result: {
        name,
        status: 'fail',
        detail: `the issuer is ${String(doc.issuer)}, not ${expected}: tokens would be refused`,
        fix: 'use the instance the tenant signs in at (azureAd.instance) and its tenant id',
      },
    };
  }
  return {
    jwksUri: String(doc.jwks_uri),
    document: doc,
    result: { name, status: 'pass', detail: `${url}: issuer ${String(doc.issuer)}` },
  };
}

export async function checkSigningKeys(jwksUri: string, timeoutMs: number): Promise<CheckResult> {
  const name = 'signing keys';
  let answer: { status: number; body: unknown };
  try {
    answer = await getJson(jwksUri, timeoutMs);
  } catch (error) {
    return { name, status: 'fail', ...networkCause(error, jwksUri) };
  }
  if (answer.status !== 200) {
    return {
      name,
      status: 'fail',
      detail: `${jwksUri} answered HTTP ${answer.status}`,
      fix: 'check the identity provider',
    };
  }
  const keys = (answer.body as { keys?: Array<{ kty?: string; use?: string; kid?: string }> }).keys;
  const signing = Array.isArray(keys)
    ? keys.filter((k) => k.kid && k.use !== 'enc' && (k.kty === 'RSA' || k.kty === 'EC'))
    : [];
  if (signing.length === 0) {
    return {
      name,
      status: 'fail',
      detail: `${jwksUri} publishes no signing keys`,
      fix: 'check azureAd.instance',
    };
  }
  return { name, status: 'pass', detail: `${signing.length} signing keys at ${jwksUri}` };
}

/** The resource / scope / audience coherence of the sign-in rules (AADSTS9010010). */
