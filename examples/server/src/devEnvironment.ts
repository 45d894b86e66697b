import { randomBytes, randomUUID } from 'node:crypto';
import { EntraFront, OAuthProxy } from '@mcp-auth-kit/oauth-proxy';
import {
  type CertificateAuthority,
  EntraEmulator,
  freePort,
  startTokenGatedPostgres,
} from '@mcp-auth-kit/testing';
import { parseExampleConfig } from './exampleConfig.js';
import { type RunningExampleServer, startExampleServer } from './startExampleServer.js';

export interface DevEnvironment {
  readonly mcpUrl: string;
  readonly tokens: { readonly alice: string; readonly bob: string };
  /** The emulated tenant's authority URL (sign in there). */
  readonly authority: string;
  /** A public client registered for loopback redirects (MCP Inspector, VS Code, SDK clients). */
  readonly clientId: string;
  /** The PEM file of the emulator's CA: clients must trust it (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** The emulated Azure subscription and resource group holding the dev server (alice: Contributor, bob: Reader). */
  readonly azure: {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly server: string;
  };
  /**
   * Where clients sign in: the Entra front (default; Entra ID's tokens, nothing stored) or the
   * façade (`--oauth-proxy`; its own tokens). Either way on the server's origin.
   */
  readonly authorizationServer: string;
  readonly signIn: 'entra-front' | 'oauth-proxy';
  readonly server: RunningExampleServer;
  readonly emulator: EntraEmulator;
  stop(): Promise<void>;
}

/**
 * The redirect URIs real MCP clients use by default: mcp-remote `http://localhost:{port}/oauth/callback`,
 * MCP Inspector `http://127.0.0.1:6276/oauth/callback` (CLI) and `http://localhost:6274/oauth/callback`
 * (UI, plus `/debug`), FastMCP and Claude Code `http://localhost:{port}/callback`, VS Code
 * `http://127.0.0.1:{port}/` and `https://vscode.dev/redirect`.
 */
export const DEV_CLIENT_REDIRECT_URIS = [
  'http://localhost/callback',
  'http://127.0.0.1/callback',
  'http://localhost/oauth/callback',
  'http://127.0.0.1/oauth/callback',
  'http://localhost/oauth/callback/debug',
  'http://127.0.0.1/',
  'https://vscode.dev/redirect',
] as const;

const SAMPLE_DATA = `
CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, item text NOT NULL, qty int NOT NULL DEFAULT 1);
INSERT INTO orders VALUES (1, 'Contoso', 'widget', 3), (2, 'Fabrikam', 'gadget', 1), (3, 'Northwind', 'gizmo', 7);
CREATE TABLE alice_notes (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO alice_notes VALUES (1, 'only alice can read this');
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO "alice@contoso.com", "bob@contoso.com";
GRANT SELECT ON orders TO "alice@contoso.com", "bob@contoso.com";
GRANT SELECT ON alice_notes TO "alice@contoso.com";
COMMENT ON TABLE orders IS 'orders placed by customers (everyone may read)';
COMMENT ON TABLE alice_notes IS 'private: only alice may read';

-- What the schema tools show a newcomer: a second schema, an enum, a domain, comments, a foreign
-- key, a materialized view and a few thousand rows.
CREATE SCHEMA sales;
COMMENT ON SCHEMA sales IS 'invoices and customers';
CREATE TYPE sales.invoice_status AS ENUM ('draft', 'sent', 'paid');
CREATE DOMAIN sales.amount_eur AS numeric(12, 2) CHECK (VALUE >= 0);
CREATE TABLE sales.customer (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  country text NOT NULL
);
COMMENT ON TABLE sales.customer IS 'who buys';
COMMENT ON COLUMN sales.customer.country IS 'ISO 3166-1 alpha-2 code';
CREATE TABLE sales.invoice (
  id int PRIMARY KEY,
  customer_id int NOT NULL REFERENCES sales.customer(id),
  status sales.invoice_status NOT NULL DEFAULT 'draft',
  amount sales.amount_eur NOT NULL,
  issued date NOT NULL
);
COMMENT ON COLUMN sales.invoice.amount IS 'in euros, tax included';
INSERT INTO sales.customer (name, country)
  SELECT 'Customer ' || g, (ARRAY['DE', 'FR', 'NL', 'US'])[1 + g % 4] FROM generate_series(1, 200) g;
INSERT INTO sales.invoice
  SELECT g, 1 + g % 200, (ARRAY['draft', 'sent', 'paid'])[1 + g % 3]::sales.invoice_status,
         (g % 977) * 1.5, date '2026-01-01' + (g % 300)
  FROM generate_series(1, 5000) g;
CREATE MATERIALIZED VIEW sales.revenue_by_country AS
  SELECT c.country, sum(i.amount) AS revenue, count(*) AS invoices
  FROM sales.invoice i JOIN sales.customer c ON c.id = i.customer_id WHERE i.status = 'paid' GROUP BY c.country;
COMMENT ON MATERIALIZED VIEW sales.revenue_by_country IS 'paid revenue per country';
ANALYZE;
GRANT USAGE ON SCHEMA sales TO "alice@contoso.com";
GRANT SELECT ON ALL TABLES IN SCHEMA sales TO "alice@contoso.com";
`;

/**
 * The zero-setup demo: the emulator, an embedded PostgreSQL (database `demo` on server `local`)
 * behind the Entra token gate, users alice and bob with different grants, and the example server
 * in JwtObo mode. The process must trust `ca` (NODE_EXTRA_CA_CERTS) before it starts.
 */
export async function startDevEnvironment(options: {
  ca: CertificateAuthority;
  port?: number;
  host?: string;
  /**
   * The authorization-server façade in front of the emulator (`dev --oauth-proxy`): clients that
   * register themselves (DCR, metadata documents) sign in through it.
   */
  oauthProxy?: boolean;
  /** Stateful MCP sessions (`Mcp-Session-Id`, SSE streams a client can resume), as `start --stateful`. */
  stateful?: boolean;
}): Promise<DevEnvironment> {
  const emulator = await EntraEmulator.start({ ca: options.ca });
  const cleanups: Array<() => Promise<void>> = [() => emulator.stop()];
  try {
    const secret = randomBytes(24).toString('base64url');
    // registered once the server's URL is known: its Application ID URI is that URL
    const apiClientId = randomUUID();
    const alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com', name: 'Alice' });
    const bob = emulator.addUser({ userPrincipalName: 'bob@contoso.com', name: 'Bob' });
    // Entra ID's Client ID Metadata Documents (preview), on in the emulated tenant; dev mode also
    // fetches documents from loopback (https with a certificate from the dev CA, or http)
    emulator.cimd.enable({ allowLoopbackDocuments: true });

    const db = await startTokenGatedPostgres(emulator);
    cleanups.unshift(() => db.stop());
    const { gate, admin } = db;
    await admin('CREATE DATABASE demo');
    await admin('CREATE ROLE "alice@contoso.com" LOGIN; CREATE ROLE "bob@contoso.com" LOGIN');
    await admin(SAMPLE_DATA, 'demo');

    // Azure Resource Manager: one subscription and resource group holding the dev server as a
    // flexible server (its host name leads to the local database); alice may change it, bob read it.
    const subscriptionId = emulator.arm.addSubscription({ displayName: 'mcp-auth-kit dev' });
    const resourceGroup = 'rg-mcp-dev';
    emulator.arm.addResourceGroup(subscriptionId, resourceGroup);
    const flexible = emulator.arm.addFlexibleServer({ subscriptionId, resourceGroup, name: 'pg-dev' });
    const groupScope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
    emulator.arm.assignRole(alice.objectId, 'Contributor', groupScope);
    emulator.arm.assignRole(bob.objectId, 'Reader', groupScope);

    const config = parseExampleConfig({
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: {
          instance: emulator.instance,
          tenantId: emulator.tenantId,
          clientId: apiClientId,
          audience: apiClientId,
          requiredScopes: ['mcp.tools'],
        },
      },
      outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret } },
      mcpServer: {
        postgresServers: { local: { host: gate.host, port: gate.port } },
        azureResourceManager: {
          subscriptions: [subscriptionId],
          endpoint: emulator.httpsUrl,
          connectOverrides: { [flexible.fullyQualifiedDomainName]: { host: gate.host, port: gate.port } },
        },
      },
    });
    const host = options.host ?? '127.0.0.1';
    // the authorization server's issuer is this server's origin: the port must be known first
    const port = (options.port ?? 3000) === 0 ? await freePort(host) : (options.port ?? 3000);
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const mcpUrl = `${origin}/mcp`;
    // the public client real MCP clients are given, with the redirect URIs they use by default
    // (loopback ones match on any port, as Entra ID matches them)
    const publicClient = emulator.registerApp({
      displayName: 'MCP clients (dev mode)',
      publicClient: true,
      redirectUris: [...DEV_CLIENT_REDIRECT_URIS],
    });
    const logger = { info() {}, warn: (m: string) => console.error(m) };
    const authorizationServer = options.oauthProxy
      ? new OAuthProxy({
          issuer: origin,
          resource: mcpUrl,
          devMode: true,
          upstream: {
            instance: emulator.instance,
            tenantId: emulator.tenantId,
            clientId: apiClientId,
            scopes: [`${mcpUrl}/mcp.tools`],
            credential: { clientSecret: secret },
          },
          logger,
        })
      : new EntraFront({
          issuer: origin,
          resource: mcpUrl,
          instance: emulator.instance,
          tenantId: emulator.tenantId,
          publicClient: { clientId: publicClient.clientId, redirectUris: publicClient.redirectUris },
          // the emulated tenant has Entra's Client ID Metadata Documents on (below)
          clientIdMetadataDocuments: true,
          logger,
        });
    const server = await startExampleServer({
      config,
      port,
      host,
      authorizationServer,
      ...(options.stateful ? { stateful: true } : {}),
    });
    cleanups.unshift(() => server.close());
    // Sign-in ready: the API's Application ID URI is the MCP URL (what MCP clients send as
    // `resource`; the metadata's scopes derive from it)
    const localhostUrl = server.mcpUrl.replace('://127.0.0.1:', '://localhost:');
    emulator.registerApp({
      clientId: apiClientId,
      displayName: 'mcp-auth-kit example',
      secret,
      identifierUris: [server.mcpUrl, localhostUrl],
      exposedScopes: ['mcp.tools'],
      ...(authorizationServer instanceof OAuthProxy
        ? { redirectUris: [authorizationServer.callbackUrl] }
        : {}),
    });
    const mint = (user: typeof alice) =>
      emulator.mintUserToken({
        user,
        audience: apiClientId,
        scopes: ['mcp.tools'],
        lifetimeSeconds: 8 * 3600,
      });
    return {
      mcpUrl: server.mcpUrl,
      tokens: { alice: await mint(alice), bob: await mint(bob) },
      authority: emulator.authority(),
      clientId: publicClient.clientId,
      caFile: options.ca.certificatePath ?? '',
      azure: { subscriptionId, resourceGroup, server: flexible.name },
      authorizationServer: authorizationServer.issuer,
      signIn: options.oauthProxy ? 'oauth-proxy' : 'entra-front',
      server,
      emulator,
      async stop() {
        for (const cleanup of cleanups) await cleanup().catch(() => {});
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    throw error;
  }
}
