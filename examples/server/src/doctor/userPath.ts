// With a user's token: one On-Behalf-Of exchange and one database login as that user.
import { type RequestAuthContext, safeErrorMessage } from '@mcp-auth-kit/auth-core';
import { JwtBearerValidator } from '@mcp-auth-kit/inbound-jwt';
import type { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { type PostgresServerEntry, resolveServer } from '@mcp-auth-kit/postgres-tools';
import pg from 'pg';
import type { ExampleConfig } from '../exampleConfig.js';
import { networkCause, outboundCause } from './causes.js';
import type { CheckResult } from './types.js';

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
        detail: `the token is not valid for this server: ${safeErrorMessage(error, { withName: false }).slice(
          0,
          200,
        )}`,
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
