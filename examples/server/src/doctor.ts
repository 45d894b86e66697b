// `mcp-auth-example doctor`: checks a deployment before it serves. One result per check, each
// failure with its cause (DNS, refused, TLS trust, HTTP status, AADSTS code) and the fix. No check
// prints a token, secret or private key.
import { ManagedIdentityCredential } from '@azure/identity';
import {
  AADSTS,
  type AnyServerConfig,
  type AzureAdConfig,
  ConfigError,
  isLoopbackHost,
  type RequestAuthContext,
  safeErrorMessage,
} from '@mcp-auth-kit/auth-core';
import { JwtBearerValidator, scopesForResource } from '@mcp-auth-kit/inbound-jwt';
import {
  createCredentialProviderFactory,
  JwtOboCredentialProvider,
  OutboundCredentialError,
} from '@mcp-auth-kit/outbound-credentials';
import { type PostgresServerEntry, resolveServer } from '@mcp-auth-kit/postgres-tools';
import pg from 'pg';
import { checkEntraFrontCoherence, checkPublicClientAtEntra } from './doctorEntraFront.js';
import { type ExampleConfig, loadExampleConfig } from './exampleConfig.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found (pass), or what went wrong and why (fail), or why it did not run (skip). */
  readonly detail: string;
  /** For a failure: what to change. */
  readonly fix?: string;
}

export interface DoctorOptions {
  readonly configPath: string;
  /** The public MCP URL clients use (the app's Application ID URI). */
  readonly resourceUrl?: string;
  /** A user's access token for this server: also checks one On-Behalf-Of exchange and one database login. */
  readonly token?: string;
  /** Per network step; default 10 000 ms. */
  readonly timeoutMs?: number;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

/** Entra ID error codes a deployment meets, with the fix: auth-core's one catalogue. */
export const AADSTS_FIXES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(AADSTS).map(([code, { meaning, fix }]) => [code, `${meaning}: ${fix}`]),
);

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

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
  if (code && TLS_CODES.has(code)) {
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
    detail: `${host}: ${safeErrorMessage(innermost(error))
      .replace(/^\w*Error: /, '')
      .slice(0, 200)}`,
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
function entraCause(status: number, body: unknown): { detail: string; fix?: string } {
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

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
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
function outboundCause(error: unknown): { detail: string; fix?: string } {
  const cause = (error as { cause?: { errorNo?: unknown } })?.cause;
  const code = cause?.errorNo !== undefined ? String(cause.errorNo) : undefined;
  const detail = safeErrorMessage(error)
    .replace(/^\w*Error: /, '')
    .slice(0, 300);
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

// ---- the checks, each on its own ----------------------------------------------------------------

export async function checkConfig(path: string): Promise<{ result: CheckResult; config?: ExampleConfig }> {
  try {
    const config = await loadExampleConfig(path);
    const a = config.auth;
    return {
      config,
      result: {
        name: 'configuration',
        status: 'pass',
        detail: `${path}: inbound ${a.inboundAuthentication.type}, outbound ${a.outboundAuthentication.type}${a.outboundAuthentication.clientCredential ? ` (${a.outboundAuthentication.clientCredential.kind})` : ''}`,
      },
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      result: {
        name: 'configuration',
        status: 'fail',
        detail: error.issues.map((i) => `${i.path || '(file)'}: ${i.message}`).join('; '),
        fix: 'correct the fields named (the README configuration reference lists each type and what it needs)',
      },
    };
  }
}

/** OIDC discovery: reachable, and naming an issuer, endpoints and a key set. */
export async function checkDiscovery(
  azureAd: AzureAdConfig,
  timeoutMs: number,
): Promise<{ result: CheckResult; jwksUri?: string }> {
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
export function checkCoherence(azureAd: AzureAdConfig, resourceUrl: string | undefined): CheckResult {
  const name = 'resource, scopes and audience';
  if (!resourceUrl) {
    return {
      name,
      status: 'skip',
      detail:
        'no --resource-url: the metadata derives the resource from each request (pin it behind an ingress)',
    };
  }
  let resource: URL;
  try {
    resource = new URL(resourceUrl);
  } catch {
    return {
      name,
      status: 'fail',
      detail: `--resource-url ${resourceUrl} is not a URL`,
      fix: 'pass the public MCP URL',
    };
  }
  if (resource.protocol !== 'https:' && !isLoopbackHost(resource.hostname)) {
    return {
      name,
      status: 'fail',
      detail: `${resource.href} is not https: MCP clients refuse it and Entra ID does not accept it as an identifier URI`,
      fix: 'serve the MCP endpoint over https (a TLS-terminating ingress is fine) and pass that URL',
    };
  }
  const prefix = `${resource.href.replace(/\/$/, '')}/`;
  const stray = azureAd.requiredScopes.filter((s) => s.includes('://') && !s.startsWith(prefix));
  if (stray.length > 0) {
    return {
      name,
      status: 'fail',
      detail: `requiredScopes ${stray.join(', ')} do not start with ${prefix}: clients send the resource with these scopes and Entra ID refuses the pair (AADSTS9010010)`,
      fix: AADSTS_FIXES['9010010']!,
    };
  }
  const accepted = new Set([
    azureAd.clientId,
    `api://${azureAd.clientId}`,
    resource.href,
    resource.href.replace(/\/$/, ''),
  ]);
  if (azureAd.audience && !accepted.has(azureAd.audience)) {
    return {
      name,
      status: 'fail',
      detail: `azureAd.audience ${azureAd.audience} is neither the client id (v2 tokens) nor the resource URL (v1 tokens): tokens for ${resource.href} would be refused`,
      fix: 'drop azureAd.audience, or set it to the client id',
    };
  }
  return {
    name,
    status: 'pass',
    detail: `resource ${resource.href}; clients ask for ${scopesForResource(resource, azureAd).join(' ')}; the app's Application ID URI must be ${resource.href.replace(/\/$/, '')}`,
  };
}

/** The managed identity endpoint, where the configuration uses one. */
export async function checkManagedIdentity(config: AnyServerConfig, timeoutMs: number): Promise<CheckResult> {
  const name = 'managed identity';
  const outbound = config.outboundAuthentication;
  const credential = outbound.clientCredential;
  const clientId =
    outbound.type === 'ManagedIdentity'
      ? outbound.clientId
      : credential &&
          (credential.kind === 'CertificateKeyVault' || credential.kind === 'ManagedIdentityAssertion')
        ? credential.managedIdentityClientId
        : null;
  if (clientId === null)
    return { name, status: 'skip', detail: 'the configuration uses no managed identity' };
  const source = process.env.IDENTITY_ENDPOINT
    ? `App Service endpoint ${process.env.IDENTITY_ENDPOINT}`
    : process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST
      ? `IMDS at ${process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}`
      : 'IMDS (169.254.169.254)';
  const mi = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  try {
    const token = await mi.getToken('https://management.azure.com/.default', {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    if (!token) throw new Error('no token');
    return {
      name,
      status: 'pass',
      detail: `${clientId ? `user-assigned ${clientId}` : 'system-assigned'} via ${source}`,
    };
  } catch (error) {
    return {
      name,
      status: 'fail',
      detail: `${clientId ? `user-assigned ${clientId}` : 'system-assigned'} via ${source}: ${safeErrorMessage(
        error,
      )
        .replace(/^\w*Error: /, '')
        .split('\n')[0]!
        .slice(0, 200)}`,
      fix: 'run on a host with that identity assigned (App Service, Container Apps, AKS workload identity, a VM), or check its client id',
    };
  }
}

/** The On-Behalf-Of app credential: loaded (Key Vault, file, federated assertion) and accepted by Entra ID. */
export async function checkAppCredential(provider: unknown): Promise<CheckResult> {
  const name = 'app credential (On-Behalf-Of)';
  if (!(provider instanceof JwtOboCredentialProvider)) {
    return { name, status: 'skip', detail: 'outbound is not JwtObo' };
  }
  try {
    await provider.verifyAppCredential();
    return {
      name,
      status: 'pass',
      detail: 'loaded, and accepted by Entra ID (a client-credentials request for the app itself)',
    };
  } catch (error) {
    return {
      name,
      status: 'fail',
      ...outboundCause(error),
      fix: outboundCause(error).fix ?? 'check clientCredential',
    };
  }
}

/** With a user's token: one On-Behalf-Of exchange for the database, and one login as that user. */
export async function checkUserPath(
  config: ExampleConfig,
  provider: ReturnType<ReturnType<typeof createCredentialProviderFactory>['create']>,
  token: string | undefined,
  timeoutMs: number,
): Promise<CheckResult[]> {
  if (!token) {
    return [
      {
        name: 'on-behalf-of exchange',
        status: 'skip',
        detail: "pass --token with a user's access token for this server",
      },
      {
        name: 'database login',
        status: 'skip',
        detail: "pass --token with a user's access token for this server",
      },
    ];
  }
  const azureAd = config.auth.inboundAuthentication.azureAd;
  if (!azureAd) {
    return [{ name: 'on-behalf-of exchange', status: 'skip', detail: 'inbound is not JwtBearerScheme' }];
  }
  let context: RequestAuthContext;
  try {
    context = await new JwtBearerValidator(azureAd, { cacheMaxEntries: 0 }).validate(token);
  } catch (error) {
    return [
      {
        name: 'on-behalf-of exchange',
        status: 'fail',
        detail: `the token is not valid for this server: ${safeErrorMessage(error)
          .replace(/^\w*Error: /, '')
          .slice(0, 200)}`,
        fix: 'sign in for this server and pass that access token',
      },
    ];
  }
  const servers = Object.entries(config.mcpServer.postgresServers ?? {}) as Array<
    [string, PostgresServerEntry]
  >;
  const first = servers[0];
  const scope = first
    ? resolveServer(first[0], Object.fromEntries(servers), false).scope
    : 'https://ossrdbms-aad.database.windows.net/.default';
  let accessToken: string;
  try {
    const got = await provider.getTokenCredential(context).getToken(scope);
    if (!got) throw new Error('no token');
    accessToken = got.token;
  } catch (error) {
    const cause = outboundCause(error);
    return [
      {
        name: 'on-behalf-of exchange',
        status: 'fail',
        detail: `for ${scope}: ${cause.detail}`,
        ...(cause.fix ? { fix: cause.fix } : {}),
      },
      { name: 'database login', status: 'skip', detail: 'needs the exchange' },
    ];
  }
  const results: CheckResult[] = [
    {
      name: 'on-behalf-of exchange',
      status: 'pass',
      detail: `${context.principal.userPrincipalName ?? context.principal.objectId} → ${scope} (${provider.describe(context).identity})`,
    },
  ];
  if (!first) {
    results.push({
      name: 'database login',
      status: 'skip',
      detail: 'no mcpServer.postgresServers configured',
    });
    return results;
  }
  const target = resolveServer(first[0], Object.fromEntries(servers), false);
  const user = context.principal.userPrincipalName ?? '';
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: 'postgres',
    user,
    password: accessToken,
    ssl: target.ssl,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'mcp-auth-kit-doctor',
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ u: string }>('SELECT current_user AS u');
    results.push({
      name: 'database login',
      status: 'pass',
      detail: `${first[0]} (${target.host}:${target.port}) as ${rows[0]?.u}`,
    });
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const login = e.code === '28000' || e.code === '28P01';
    results.push({
      name: 'database login',
      status: 'fail',
      detail: login
        ? `${first[0]}: login as ${user} refused (${e.code}: ${String(e.message).slice(0, 160)})`
        : `${first[0]}: ${networkCause(error, `postgres://${target.host}:${target.port}`).detail}`,
      fix: login
        ? `create the role for the user (SELECT * FROM pgaadauth_create_principal('${user}', false, false); on Azure Database for PostgreSQL) and check the token's audience`
        : networkCause(error, `postgres://${target.host}:${target.port}`).fix,
    });
  } finally {
    await client.end().catch(() => {});
  }
  return results;
}

/** Runs every check in order; a failed configuration stops the rest. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const checks: CheckResult[] = [];
  const { result, config } = await checkConfig(options.configPath);
  checks.push(result);
  if (!config) return { ok: false, checks };
  const azureAd = config.auth.inboundAuthentication.azureAd;
  if (azureAd) {
    const discovery = await checkDiscovery(azureAd, timeoutMs);
    checks.push(discovery.result);
    checks.push(
      discovery.jwksUri
        ? await checkSigningKeys(discovery.jwksUri, timeoutMs)
        : { name: 'signing keys', status: 'skip', detail: 'needs OIDC discovery' },
    );
    checks.push(checkCoherence(azureAd, options.resourceUrl));
    const front = config.mcpServer.entraFront;
    if (front) {
      const coherence = checkEntraFrontCoherence(front, azureAd, options.resourceUrl);
      checks.push(coherence);
      if (coherence.status === 'pass' && options.resourceUrl) {
        checks.push(await checkPublicClientAtEntra(front, azureAd, options.resourceUrl, timeoutMs));
      }
    }
  } else {
    checks.push({ name: 'identity provider (OIDC discovery)', status: 'skip', detail: 'inbound is None' });
  }
  checks.push(await checkManagedIdentity(config.auth, timeoutMs));
  let provider: ReturnType<ReturnType<typeof createCredentialProviderFactory>['create']> | undefined;
  try {
    provider = createCredentialProviderFactory().create(config.auth, { logger: { info() {}, warn() {} } });
  } catch (error) {
    checks.push({
      name: 'app credential (On-Behalf-Of)',
      status: 'fail',
      ...outboundCause(error),
      fix: outboundCause(error).fix ?? 'check clientCredential',
    });
  }
  const unreachable = checks.find(
    (c) => c.name === 'identity provider (OIDC discovery)' && c.status === 'fail',
  );
  if (provider && unreachable && config.auth.outboundAuthentication.type === 'JwtObo') {
    // the app credential is checked at the same identity provider: its failure would only repeat this one
    checks.push({
      name: 'app credential (On-Behalf-Of)',
      status: 'skip',
      detail: 'needs the identity provider, which could not be reached (see above)',
    });
    await provider.close?.();
  } else if (provider) {
    try {
      checks.push(await checkAppCredential(provider));
      const appOk = checks.at(-1)!.status !== 'fail';
      if (appOk) checks.push(...(await checkUserPath(config, provider, options.token, timeoutMs)));
    } finally {
      await provider.close?.();
    }
  }
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** One line per check: `PASS|FAIL|SKIP  name: detail`, and for a failure `  fix: …`. */
export function formatReport(report: DoctorReport): string {
  const lines = report.checks.map((c) => {
    const head = `${c.status.toUpperCase().padEnd(4)}  ${c.name}: ${c.detail}`;
    return c.fix && c.status === 'fail' ? `${head}\n      fix: ${c.fix}` : head;
  });
  lines.push(
    report.ok
      ? 'all checks passed'
      : `${report.checks.filter((c) => c.status === 'fail').length} check(s) failed`,
  );
  return `${lines.join('\n')}\n`;
}
