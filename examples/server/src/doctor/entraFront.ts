// `doctor`'s checks of the Entra front (`mcpServer.entraFront`): the Application ID URI against the
// resource, the scopes clients will be given, and the public client's redirect URIs as Entra ID
// itself answers for them. Each problem is named with the AADSTS error a client would meet.
import type { AzureAdConfig } from '@mcp-auth-kit/auth-core';
import { isLoopbackHost } from '@mcp-auth-kit/auth-core';
import type { McpServerSection } from '../exampleConfig.js';
import type { CheckResult } from './types.js';

/** The redirect URIs popular clients use, by default, and who uses them. */
const CLIENT_REDIRECTS: ReadonlyArray<readonly [string, string]> = [
  ['http://localhost/oauth/callback', 'mcp-remote (Claude Desktop), MCP Inspector'],
  ['http://127.0.0.1/oauth/callback', 'MCP Inspector CLI'],
  ['http://localhost/callback', 'Claude Code, FastMCP'],
];

const trim = (uri: string) => uri.replace(/\/$/, '');

/** The front's configuration against the resource: Application ID URI, scopes, redirect URIs. */
export function checkEntraFrontCoherence(
  front: NonNullable<McpServerSection['entraFront']>,
  azureAd: AzureAdConfig,
  resourceUrl: string | undefined,
): CheckResult {
  const name = 'Entra front';
  if (!resourceUrl) {
    return {
      name,
      status: 'fail',
      detail: 'the Entra front needs --resource-url: its origin is the issuer clients discover',
      fix: 'pass the public MCP URL with --resource-url',
    };
  }
  const appIdUri = front.applicationIdUri ?? resourceUrl;
  if (!/^(https:\/\/|api:\/\/)/.test(appIdUri) && !isLoopbackHost(safeHost(appIdUri))) {
    return {
      name,
      status: 'fail',
      detail: `Application ID URI ${appIdUri} is neither https:// nor api://: Entra ID does not accept it`,
      fix: "set the app registration's Application ID URI to the MCP URL (Microsoft's guidance for MCP servers)",
    };
  }
  const stray = azureAd.requiredScopes.filter(
    (s) => s.includes('://') && !s.startsWith(`${trim(appIdUri)}/`),
  );
  if (stray.length > 0) {
    return {
      name,
      status: 'fail',
      detail: `requiredScopes ${stray.join(', ')} are not qualified by the Application ID URI ${trim(appIdUri)}: the tokens clients get would not carry them (AADSTS9010010 when the resource and scopes disagree)`,
      fix: `qualify the scopes with ${trim(appIdUri)}, or list short names`,
    };
  }
  const registered = front.publicClient?.redirectUris ?? [];
  const bad = registered.filter((u) => !isAcceptableRedirect(u));
  if (bad.length > 0) {
    return {
      name,
      status: 'fail',
      detail: `public client redirect URIs ${bad.join(', ')} are http on a host that is not loopback (or not URLs): Entra ID refuses them for a public client (AADSTS50011 at sign-in)`,
      fix: 'register https redirect URIs, or http://localhost / http://127.0.0.1 ones (any port matches)',
    };
  }
  const unserved = CLIENT_REDIRECTS.filter(([uri]) => !registered.some((r) => sameLoopback(r, uri)));
  const scopes = (front.scopes ?? ['mcp.tools']).map((s) => `${trim(appIdUri)}/${s}`).join(' ');
  const rewrite =
    trim(appIdUri) !== trim(resourceUrl)
      ? `; resource ${resourceUrl} is rewritten to ${trim(appIdUri)} (else AADSTS9010010)`
      : '';
  const clients = front.publicClient
    ? unserved.length === 0
      ? `; public client ${front.publicClient.clientId} serves mcp-remote, the Inspector, Claude Code and FastMCP redirects`
      : `; public client ${front.publicClient.clientId} does not serve ${unserved.map(([u, who]) => `${u} (${who})`).join(', ')}: those clients would be refused at registration (AADSTS50011 if they sign in with that client id)`
    : '; no public client: clients need a client id of their own (no registration endpoint)';
  return {
    name,
    status: 'pass',
    detail: `clients are given ${scopes} offline_access at authorize and ${trim(appIdUri)}/.default (what they were granted) at the token endpoint${rewrite}${clients}`,
  };
}

/**
 * The public client at Entra ID itself: one silent authorization request per redirect URI
 * (`prompt=none`). Entra ID answers on its own page for an unknown client (AADSTS700016) or an
 * unregistered redirect URI (AADSTS50011), and redirects back (here with `login_required`) when
 * both are right.
 */
export async function checkPublicClientAtEntra(
  front: NonNullable<McpServerSection['entraFront']>,
  azureAd: AzureAdConfig,
  resourceUrl: string,
  timeoutMs: number,
): Promise<CheckResult> {
  const name = 'Entra front public client at Entra ID';
  const client = front.publicClient;
  if (!client) return { name, status: 'skip', detail: 'no publicClient configured' };
  const appIdUri = trim(front.applicationIdUri ?? resourceUrl);
  const scope = `${appIdUri}/${(front.scopes ?? ['mcp.tools'])[0]}`;
  for (const registered of client.redirectUris) {
    // a loopback redirect URI is tried on another port, as clients use it
    const redirectUri = withSomePort(registered);
    const url = new URL(`${azureAd.instance.replace(/\/?$/, '/')}${azureAd.tenantId}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope,
      prompt: 'none',
      code_challenge: 'doctor-doctor-doctor-doctor-doctor-doctor-d',
      code_challenge_method: 'S256',
    }).toString();
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      return {
        name,
        status: 'fail',
        detail: `${url.origin} could not be reached (${(error as Error).name})`,
        fix: 'check the network path to Entra ID',
      };
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location?.startsWith(redirectUri.split('?')[0]!)) continue;
    const page = await res.text();
    const code = /AADSTS(\d+)/.exec(page)?.[1];
    return {
      name,
      status: 'fail',
      detail: `Entra ID refused ${redirectUri} for client ${client.clientId}${code ? ` (AADSTS${code})` : ` (HTTP ${res.status})`}`,
      fix:
        code === '700016'
          ? 'the public client is not registered in this tenant: check mcpServer.entraFront.publicClient.clientId'
          : code === '50011'
            ? `add ${registered} as a redirect URI of the public client (Mobile and desktop applications platform)`
            : 'enable "Allow public client flows" on the app registration and check its redirect URIs',
    };
  }
  return {
    name,
    status: 'pass',
    detail: `${client.clientId} accepted at Entra ID for ${client.redirectUris.join(', ')}`,
  };
}

function safeHost(uri: string): string {
  try {
    return new URL(uri).hostname;
  } catch {
    return '';
  }
}

/** https, http on a loopback host, or a custom scheme (`cursor://…`): what Entra ID takes for a public client. */
function isAcceptableRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol !== 'http:' || isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

function sameLoopback(registered: string, wanted: string): boolean {
  try {
    const a = new URL(registered);
    const b = new URL(wanted);
    return a.protocol === b.protocol && a.hostname === b.hostname && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

function withSomePort(uri: string): string {
  const url = new URL(uri);
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) url.port = '49152';
  return url.href;
}
