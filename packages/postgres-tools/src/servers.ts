import { isLoopbackHost } from '@mcp-auth-kit/auth-core';
import { PostgresToolError } from './errors.js';

/** A PostgreSQL server the tools may connect to. */
export interface PostgresServerEntry {
  readonly host: string;
  /** Default 5432. */
  readonly port?: number;
  /**
   * `verify-full` (default off loopback): TLS with certificate and host name checked;
   * `disable`: plain TCP (only accepted for loopback hosts); or a CA to verify against.
   */
  readonly tls?: 'verify-full' | 'disable' | { readonly ca: string; readonly servername?: string };
  /** Token scope; default derived from the host (Azure public or sovereign cloud). */
  readonly scope?: string;
}

export interface ResolvedServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly ssl: false | { rejectUnauthorized: true; ca?: string; servername?: string };
  readonly scope: string;
}

const AZURE_SUFFIXES: ReadonlyArray<readonly [suffix: string, scope: string]> = [
  ['.postgres.database.azure.com', 'https://ossrdbms-aad.database.windows.net/.default'],
  ['.postgres.database.usgovcloudapi.net', 'https://ossrdbms-aad.database.usgovcloudapi.net/.default'],
  ['.postgres.database.chinacloudapi.cn', 'https://ossrdbms-aad.database.chinacloudapi.cn/.default'],
];
const SERVER_LABEL = /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?$/;

/**
 * The token scope of an Azure Database for PostgreSQL host name (public or sovereign cloud), or
 * undefined for any other host.
 */
export function azureScopeForHost(host: string): string | undefined {
  const lower = host.toLowerCase();
  return AZURE_SUFFIXES.find(([suffix]) => lower.endsWith(suffix) && lower.length > suffix.length)?.[1];
}

/**
 * Resolves the `server` a model asked for: an allow-listed name, or an Azure Database for
 * PostgreSQL server (`<name>` or `<name>.postgres.database.azure.com` and the sovereign-cloud
 * forms). Anything else is refused before any connection is attempted.
 */
export function resolveServer(
  name: string,
  servers: Readonly<Record<string, PostgresServerEntry>>,
  allowAzureHosts: boolean,
): ResolvedServer {
  const entry = Object.hasOwn(servers, name) ? servers[name] : undefined;
  if (entry) {
    const loopback = isLoopbackHost(entry.host);
    const tls = entry.tls ?? (loopback ? 'disable' : 'verify-full');
    if (tls === 'disable' && !loopback) {
      throw new PostgresToolError(
        'server_not_allowed',
        `server ${name}: plain TCP is only allowed to a loopback host`,
      );
    }
    return {
      name,
      host: entry.host,
      port: entry.port ?? 5432,
      ssl:
        tls === 'disable'
          ? false
          : tls === 'verify-full'
            ? { rejectUnauthorized: true }
            : {
                rejectUnauthorized: true,
                ca: tls.ca,
                ...(tls.servername ? { servername: tls.servername } : {}),
              },
      // a sovereign-cloud host takes its own cloud's scope; anything else the public one
      scope: entry.scope ?? azureScopeForHost(entry.host) ?? AZURE_SUFFIXES[0]![1],
    };
  }
  if (allowAzureHosts) {
    const lower = name.toLowerCase();
    for (const [suffix, scope] of AZURE_SUFFIXES) {
      const label = lower.endsWith(suffix) ? lower.slice(0, -suffix.length) : undefined;
      if (label !== undefined && SERVER_LABEL.test(label)) {
        return { name, host: lower, port: 5432, ssl: { rejectUnauthorized: true }, scope };
      }
    }
    if (SERVER_LABEL.test(lower)) {
      return {
        name,
        host: `${lower}${AZURE_SUFFIXES[0]![0]}`,
        port: 5432,
        ssl: { rejectUnauthorized: true },
        scope: AZURE_SUFFIXES[0]![1],
      };
    }
  }
  const known = Object.keys(servers);
  throw new PostgresToolError(
    'server_not_allowed',
    `server "${name.slice(0, 100)}" is not allowed${known.length ? `; configured servers: ${known.join(', ')}` : ''}${allowAzureHosts ? ' (or an Azure Database for PostgreSQL server name)' : ''}`,
  );
}
