// Shared by the façade's end-to-end and attack tests: a server with the façade in front of the
// emulated Entra ID, a browser (cookie jar, manual redirects), and a person's clicks.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAuthProxy, type OAuthProxyOptions } from '@mcp-auth-kit/oauth-proxy';
import { certificateFromPem } from '@mcp-auth-kit/outbound-credentials';
import { createSelfSignedCertificate, freePort } from '@mcp-auth-kit/testing';
import { expect } from 'vitest';
import type { World } from './world.js';

/** A server with the façade in front of Entra ID: the API app's Application ID URI is the MCP URL. */
export async function facadeSetup(
  world: World,
  options: {
    sdk?: 'v1';
    /** The app's credential is a certificate (a signed client assertion upstream) instead of a secret. */
    certificate?: boolean;
    /** Façade options (devMode defaults to true here). */
    proxy?: Partial<Omit<OAuthProxyOptions, 'issuer' | 'resource' | 'upstream'>>;
  } = {},
) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const resource = `${issuer}/mcp`;
  const apiClientId = randomUUID();
  const secret = `secret-${randomUUID()}`;
  const cert = options.certificate ? createSelfSignedCertificate() : undefined;
  const certPath = cert ? join(mkdtempSync(join(tmpdir(), 'facade-cert-')), 'app.pem') : undefined;
  if (cert && certPath) writeFileSync(certPath, `${cert.privateKeyPem}\n${cert.certificatePem}`);
  world.emulator.registerApp({
    clientId: apiClientId,
    ...(cert ? { certificatePem: cert.certificatePem } : { secret }),
    identifierUris: [resource],
    exposedScopes: ['mcp.tools'],
    redirectUris: [`${issuer}/oauth/callback`],
  });
  const proxy = new OAuthProxy({
    devMode: true,
    logger: { info() {}, warn() {} },
    ...options.proxy,
    issuer,
    resource,
    upstream: {
      instance: world.emulator.instance,
      tenantId: world.emulator.tenantId,
      clientId: apiClientId,
      scopes: [`${resource}/mcp.tools`],
      credential: cert
        ? certificateFromPem(`${cert.privateKeyPem}\n${cert.certificatePem}`, 'test certificate')
        : { clientSecret: secret },
    },
  });
  const server = await world.server(
    {
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: {
          instance: world.emulator.instance,
          tenantId: world.emulator.tenantId,
          clientId: apiClientId,
          requiredScopes: ['mcp.tools'],
        },
      },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: certPath
          ? { kind: 'CertificateFile', certificatePath: certPath }
          : { kind: 'ClientSecret', secret },
      },
    },
    { port, authorizationServer: proxy, ...(options.sdk ? { sdk: options.sdk } : {}) },
  );
  return { server, proxy, issuer, resource };
}

export type Browser = (url: string, init?: RequestInit) => Promise<Response>;

/** A browser: a cookie jar and manual redirects. */
export function browser(): Browser {
  const jar = new Map<string, string>();
  return async (url, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      const value = pair!.slice(at + 1);
      if (value === '' || /max-age=0/i.test(c)) jar.delete(pair!.slice(0, at));
      else jar.set(pair!.slice(0, at), value);
    }
    return res;
  };
}

/** What a person does on the consent page: allow. Answers Entra ID's sign-in URL. */
export async function consentIn(go: Browser, authorizationUrl: URL, emulatorInstance: string): Promise<URL> {
  const consent = await go(authorizationUrl.href);
  expect(consent.status).toBe(200);
  const page = await consent.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page)![1]!;
  const allowed = await go(new URL('/oauth/consent', authorizationUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ transaction: field('transaction'), csrf: field('csrf'), decision: 'allow' }),
  });
  expect(allowed.status).toBe(302);
  const entra = new URL(allowed.headers.get('location')!);
  expect(entra.href.startsWith(emulatorInstance)).toBe(true);
  return entra;
}

/** What a person does: allow on the consent page, pick alice at Entra ID; answers the client's callback URL. */
export async function signInAsAlice(world: World, authorizationUrl: URL, go = browser()): Promise<URL> {
  const entra = await consentIn(go, authorizationUrl, world.emulator.instance);
  entra.searchParams.set('login_hint', 'alice@contoso.com'); // the person picks alice
  const back = await go(entra.href);
  const callback = await go(back.headers.get('location')!);
  expect(callback.status).toBe(302);
  return new URL(callback.headers.get('location')!);
}

export const REDIRECT_URI = 'http://127.0.0.1:9999/cb';

/** Registers a public client by DCR and builds its authorization URL (PKCE S256). */
export async function registerClient(issuer: string, init: RequestInit = {}) {
  const reg = await fetch(`${issuer}/oauth/register`, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    body: JSON.stringify({
      client_name: 'attacker test',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
    }),
  });
  expect(reg.status).toBe(201);
  const { client_id: clientId } = (await reg.json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorizeUrl = new URL(`${issuer}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'st',
  }))
    authorizeUrl.searchParams.set(k, v);
  return { clientId, verifier, authorizeUrl };
}

/** Registers a public client by DCR and runs a sign-in to a code, by hand. */
export async function codeFor(world: World, issuer: string) {
  const client = await registerClient(issuer);
  const callback = await signInAsAlice(world, client.authorizeUrl);
  return { ...client, code: callback.searchParams.get('code')! };
}

export const tokenRequest = (
  issuer: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
) =>
  fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });

/** A sign-in to tokens: register, consent, Entra ID, code, token. */
export async function tokensFor(world: World, issuer: string) {
  const { clientId, verifier, code } = await codeFor(world, issuer);
  const res = await tokenRequest(issuer, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT_URI,
  });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as { access_token: string; refresh_token: string };
  return { clientId, code, verifier, ...tokens };
}

/** A tools/list with a bearer token: the HTTP status the MCP endpoint answers. */
export async function mcpStatus(mcpUrl: string, token: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
}
