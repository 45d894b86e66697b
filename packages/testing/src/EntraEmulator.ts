import {
  createPublicKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { compactVerify, decodeProtectedHeader, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { EmulatorEndpoint, Fault } from './faults.js';
import { entraError, HttpError, readBody, sendJson } from './http.js';
import {
  type CertificateAuthority,
  type CertificateWithKey,
  createCertificateAuthority,
  issueServerCertificate,
  loadOrCreateCertificateAuthority,
  thumbprints,
  toPkcs12Base64,
} from './pki.js';
import type { EmulatedApp, EmulatedManagedIdentity, EmulatedUser, RecordedRequest } from './types.js';
import { CA_DIR_ENV } from './vitestGlobalSetup.js';

export interface EntraEmulatorOptions {
  /**
   * The CA to issue the TLS certificate from. Absent: the one in `$MCP_AUTH_KIT_CA_DIR` (set by the
   * vitest global setup), else a new one in memory.
   */
  readonly ca?: CertificateAuthority;
  /** The default tenant's id; random when absent. */
  readonly tenantId?: string;
  /** Lifetime of issued tokens; default 3600. */
  readonly tokenLifetimeSeconds?: number;
  /** Host to listen on; default 127.0.0.1. */
  readonly host?: string;
}

export interface MintUserTokenOptions {
  readonly user: EmulatedUser;
  /** `aud`: the MCP server's client id (v2) or `api://{clientId}` (v1), for example. */
  readonly audience: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  readonly version?: '1.0' | '2.0';
  /** The client app that obtained the token (`azp` / `appid`). */
  readonly clientAppId?: string;
  readonly lifetimeSeconds?: number;
  /** Claims merged last: override anything, or set a claim to `undefined` to drop it. */
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly header?: Readonly<Record<string, unknown>>;
}

export interface MintAppTokenOptions {
  readonly app: EmulatedApp | EmulatedManagedIdentity;
  readonly audience: string;
  readonly roles?: readonly string[];
  readonly version?: '1.0' | '2.0';
  readonly lifetimeSeconds?: number;
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly header?: Readonly<Record<string, unknown>>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: JWK;
}

interface KeyVaultSecret {
  readonly value: string;
  readonly contentType: string | undefined;
  readonly version: string;
  readonly exportable: boolean;
  readonly managed: boolean;
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const FIC_AUDIENCE = 'api://AzureADTokenExchange';
const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

function resourceOf(scopeOrResource: string): string {
  const first = scopeOrResource
    .split(' ')
    .find((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
  if (!first) return '';
  return first.endsWith('/.default')
    ? first.slice(0, -'/.default'.length)
    : first.replace(/\/[^/]*$/, '') || first;
}

/**
 * A loopback emulator of Entra ID (OIDC discovery, JWKS, On-Behalf-Of and client credentials),
 * managed identity (App Service and IMDS styles) and Key Vault secrets. Entra ID and Key Vault are
 * served over TLS from a CA of its own; managed identity over plain HTTP, as on a real host.
 */
export class EntraEmulator {
  readonly tenantId: string;
  readonly ca: CertificateAuthority;
  /** Sent by managed identity clients in `X-IDENTITY-HEADER` (App Service style). */
  readonly identityHeader = randomBytes(16).toString('hex');
  tokenLifetimeSeconds: number;

  readonly #host: string;
  readonly #tls: CertificateWithKey;
  #httpsServer: Server | undefined;
  #httpServer: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #httpsPort = 0;
  #httpPort = 0;

  #keys: SigningKey[] = [];
  readonly #users = new Map<string, EmulatedUser>();
  readonly #revokedUsers = new Set<string>();
  readonly #apps = new Map<string, EmulatedApp>();
  readonly #identities = new Map<string, EmulatedManagedIdentity>();
  readonly #secrets = new Map<string, KeyVaultSecret>();
  readonly #faults = new Map<EmulatorEndpoint, Fault>();
  readonly #requests: RecordedRequest[] = [];
  /** The host's system-assigned managed identity. */
  readonly systemAssignedIdentity: EmulatedManagedIdentity;

  private constructor(options: EntraEmulatorOptions, ca: CertificateAuthority) {
    this.tenantId = (options.tenantId ?? randomUUID()).toLowerCase();
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.#host = options.host ?? '127.0.0.1';
    this.ca = ca;
    this.#tls = issueServerCertificate(ca);
    this.#keys = [this.#newKey(), this.#newKey()];
    this.systemAssignedIdentity = this.#addIdentity('system-assigned-identity', 'system');
  }

  /** Starts the emulator on two ephemeral loopback ports (https for Entra ID and Key Vault, http for managed identity). */
  static async start(options: EntraEmulatorOptions = {}): Promise<EntraEmulator> {
    const caDirectory = process.env[CA_DIR_ENV];
    const ca =
      options.ca ??
      (caDirectory
        ? await loadOrCreateCertificateAuthority(caDirectory)
        : await createCertificateAuthority());
    const emulator = new EntraEmulator(options, ca);
    await emulator.#listen();
    return emulator;
  }

  async #listen(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.destroy();
      });
    };
    const track = (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    };
    this.#httpsServer = createHttpsServer(
      { cert: this.#tls.certificatePem, key: this.#tls.privateKeyPem },
      handler,
    );
    this.#httpServer = createHttpServer(handler);
    this.#httpsServer.on('connection', track);
    this.#httpServer.on('connection', track);
    this.#httpsPort = await listen(this.#httpsServer, this.#host);
    this.#httpPort = await listen(this.#httpServer, this.#host);
  }

  /** Stops both servers and drops open connections. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([closeServer(this.#httpsServer), closeServer(this.#httpServer)]);
  }

  // ---- addresses -------------------------------------------------------------------------------

  /** The https origin (Entra ID and Key Vault), e.g. `https://127.0.0.1:41234`. */
  get httpsUrl(): string {
    return `https://${hostForUrl(this.#host)}:${this.#httpsPort}`;
  }

  /** The http origin (managed identity), e.g. `http://127.0.0.1:41235`. */
  get httpUrl(): string {
    return `http://${hostForUrl(this.#host)}:${this.#httpPort}`;
  }

  /** The value for `azureAd.instance`, with a trailing slash. */
  get instance(): string {
    return `${this.httpsUrl}/`;
  }

  /** The authority for msal-node: `{instance}{tenantId}`. */
  authority(tenantId = this.tenantId): string {
    return `${this.instance}${tenantId}`;
  }

  /** v2 issuer `{instance}{tid}/v2.0`. */
  issuerV2(tenantId = this.tenantId): string {
    return `${this.instance}${tenantId}/v2.0`;
  }

  /** v1 issuer, as Entra ID writes it whatever the instance. */
  issuerV1(tenantId = this.tenantId): string {
    return `https://sts.windows.net/${tenantId}/`;
  }

  /** The Key Vault URL for SecretClient. */
  get keyVaultUrl(): string {
    return `${this.httpsUrl}/`;
  }

  /** Environment for App Service style managed identity (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`). */
  appServiceEnvironment(): Record<string, string> {
    return { IDENTITY_ENDPOINT: `${this.httpUrl}/msi/token`, IDENTITY_HEADER: this.identityHeader };
  }

  /** Environment for IMDS style managed identity (`AZURE_POD_IDENTITY_AUTHORITY_HOST`). */
  imdsEnvironment(): Record<string, string> {
    return { AZURE_POD_IDENTITY_AUTHORITY_HOST: this.httpUrl };
  }

  // ---- directory -------------------------------------------------------------------------------

  /** Adds a user; `name` defaults to the part of the UPN before `@`. */
  addUser(options: {
    userPrincipalName: string;
    name?: string;
    objectId?: string;
    tenantId?: string;
  }): EmulatedUser {
    const user: EmulatedUser = {
      objectId: (options.objectId ?? randomUUID()).toLowerCase(),
      tenantId: (options.tenantId ?? this.tenantId).toLowerCase(),
      userPrincipalName: options.userPrincipalName,
      name: options.name ?? options.userPrincipalName.split('@')[0]!,
    };
    this.#users.set(user.objectId, user);
    return user;
  }

  /** Makes every later On-Behalf-Of exchange for this user fail with `invalid_grant` (session revoked). */
  revokeUser(user: EmulatedUser): void {
    this.#revokedUsers.add(user.objectId);
  }

  /** Registers an app. Give `secret`, `certificatePem`, and/or `federatedManagedIdentity` as its credentials. */
  registerApp(
    options: {
      clientId?: string;
      displayName?: string;
      secret?: string;
      certificatePem?: string;
      federatedManagedIdentity?: EmulatedManagedIdentity;
      roles?: readonly string[];
      tenantId?: string;
    } = {},
  ): EmulatedApp {
    const app: EmulatedApp = {
      clientId: (options.clientId ?? randomUUID()).toLowerCase(),
      tenantId: (options.tenantId ?? this.tenantId).toLowerCase(),
      objectId: randomUUID(),
      displayName: options.displayName ?? 'app',
      secret: options.secret,
      certificatePem: options.certificatePem,
      certificateThumbprintSha256: options.certificatePem
        ? thumbprints(options.certificatePem).thumbprintSha256
        : undefined,
      federatedManagedIdentityObjectId: options.federatedManagedIdentity?.objectId,
      roles: options.roles ?? [],
    };
    this.#apps.set(app.clientId, app);
    return app;
  }

  /** Adds a user-assigned managed identity to the emulated host. */
  addUserAssignedIdentity(name: string, clientId?: string): EmulatedManagedIdentity {
    return this.#addIdentity(name, 'user', clientId);
  }

  #addIdentity(name: string, kind: 'system' | 'user', clientId?: string): EmulatedManagedIdentity {
    const identity: EmulatedManagedIdentity = {
      name,
      kind,
      clientId: (clientId ?? randomUUID()).toLowerCase(),
      objectId: randomUUID(),
      tenantId: this.tenantId,
    };
    this.#identities.set(identity.clientId, identity);
    return identity;
  }

  /** The user or managed identity with this object id. */
  principal(objectId: string): EmulatedUser | EmulatedManagedIdentity | undefined {
    const id = objectId.toLowerCase();
    return this.#users.get(id) ?? [...this.#identities.values()].find((i) => i.objectId === id);
  }

  /** Every user and managed identity (for mapping database roles to principals). */
  principals(): Array<EmulatedUser | EmulatedManagedIdentity> {
    return [...this.#users.values(), ...this.#identities.values()];
  }

  // ---- keys and tokens -------------------------------------------------------------------------

  #newKey(): SigningKey {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(12).toString('base64url');
    const jwk = {
      ...(createPublicKey(privateKey).export({ format: 'jwk' }) as JWK),
      kid,
      use: 'sig',
      alg: 'RS256',
    };
    return { kid, privateKey, jwk };
  }

  /** The published signing keys (the JWKS). */
  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => ({ ...k.jwk })) };
  }

  /** The key id new tokens are signed with. */
  get currentKeyId(): string {
    return this.#keys[0]!.kid;
  }

  /**
   * Starts signing with a new key. The old keys stay published unless `retireOld` (then tokens
   * signed with them no longer verify once a client refetches the JWKS).
   */
  rotateKeys(options: { retireOld?: boolean } = {}): string {
    const key = this.#newKey();
    this.#keys = options.retireOld ? [key] : [key, ...this.#keys];
    return key.kid;
  }

  /** Signs any payload with the current key (for hostile-input tests). Header fields override. */
  async sign(payload: JWTPayload, header: Readonly<Record<string, unknown>> = {}): Promise<string> {
    const key = this.#keys[0]!;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  /**
   * Signs exactly the given header and payload with the current key (RS256), with no checks at all:
   * for tokens a JOSE library would refuse to produce (unknown `crit`, odd types).
   */
  signRaw(header: Readonly<Record<string, unknown>>, payload: unknown): string {
    const key = this.#keys[0]!;
    const encode = (v: unknown) =>
      Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const input = `${encode({ alg: 'RS256', kid: key.kid, ...header })}.${encode(payload)}`;
    const signature = cryptoSign('sha256', Buffer.from(input), key.privateKey).toString('base64url');
    return `${input}.${signature}`;
  }

  /** Mints a delegated (user) access token with Entra's claims for the given version. */
  async mintUserToken(options: MintUserTokenOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = options.lifetimeSeconds ?? this.tokenLifetimeSeconds;
    const version = options.version ?? '2.0';
    const user = options.user;
    const clientAppId = options.clientAppId ?? '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
    const common: Record<string, unknown> = {
      aud: options.audience,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      tid: user.tenantId,
      oid: user.objectId,
      sub: `sub-${user.objectId}`,
      name: user.name,
      scp: (options.scopes ?? ['access_as_user']).join(' ') || undefined,
      roles: options.roles && options.roles.length > 0 ? [...options.roles] : undefined,
      uti: randomBytes(16).toString('base64url'),
      ver: version,
    };
    const versioned =
      version === '2.0'
        ? {
            iss: this.issuerV2(user.tenantId),
            azp: clientAppId,
            azpacr: '0',
            preferred_username: user.userPrincipalName,
          }
        : {
            iss: this.issuerV1(user.tenantId),
            appid: clientAppId,
            appidacr: '0',
            upn: user.userPrincipalName,
            unique_name: user.userPrincipalName,
          };
    return this.sign(compact({ ...common, ...versioned, ...options.claims }), options.header);
  }

  /** Mints an application (app-only) access token: `roles`, no `scp`, `idtyp: app`. */
  async mintAppToken(options: MintAppTokenOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = options.lifetimeSeconds ?? this.tokenLifetimeSeconds;
    const version = options.version ?? '2.0';
    const app = options.app;
    const common: Record<string, unknown> = {
      aud: options.audience,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      tid: app.tenantId,
      oid: app.objectId,
      sub: app.objectId,
      idtyp: 'app',
      roles: options.roles && options.roles.length > 0 ? [...options.roles] : undefined,
      uti: randomBytes(16).toString('base64url'),
      ver: version,
    };
    const versioned =
      version === '2.0'
        ? { iss: this.issuerV2(app.tenantId), azp: app.clientId, azpacr: '1' }
        : { iss: this.issuerV1(app.tenantId), appid: app.clientId, appidacr: '1' };
    return this.sign(compact({ ...common, ...versioned, ...options.claims }), options.header);
  }

  /** Verifies a token the emulator issued (signature with any published key, audience, expiry); throws when invalid. */
  async verify(
    token: string,
    options: { audience?: string; ignoreExpiry?: boolean } = {},
  ): Promise<JWTPayload> {
    const { kid } = decodeProtectedHeader(token);
    const key = this.#keys.find((k) => k.kid === kid);
    if (!key) throw new Error('unknown signing key');
    const { payload: bytes } = await compactVerify(token, createPublicKey(key.privateKey), {
      algorithms: ['RS256'],
    });
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as JWTPayload;
    if (options.audience !== undefined) {
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!audiences.includes(options.audience)) throw new Error('wrong audience');
    }
    if (!options.ignoreExpiry && (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now())) {
      throw new Error('expired');
    }
    return payload;
  }

  // ---- Key Vault -------------------------------------------------------------------------------

  /** Stores a Key Vault secret. */
  setSecret(name: string, value: string, contentType?: string): void {
    this.#secrets.set(name, {
      value,
      contentType,
      version: randomBytes(16).toString('hex'),
      exportable: true,
      managed: false,
    });
  }

  /**
   * Stores a certificate as Key Vault does: its secret holds the certificate and private key, as
   * PEM (`application/x-pem-file`) or base64 PKCS#12 (`application/x-pkcs12`, Key Vault's default).
   * A non-exportable certificate's secret answers 403.
   */
  setCertificate(
    name: string,
    certificate: CertificateWithKey,
    options: { format?: 'pem' | 'pkcs12'; exportable?: boolean } = {},
  ): void {
    const format = options.format ?? 'pkcs12';
    const value =
      format === 'pem'
        ? `${certificate.privateKeyPem.trim()}\n${certificate.certificatePem.trim()}\n`
        : toPkcs12Base64(certificate);
    this.#secrets.set(name, {
      value,
      contentType: format === 'pem' ? 'application/x-pem-file' : 'application/x-pkcs12',
      version: randomBytes(16).toString('hex'),
      exportable: options.exportable ?? true,
      managed: true,
    });
  }

  // ---- faults and records ----------------------------------------------------------------------

  /** Faults an endpoint (or clears it with `undefined`). */
  setFault(endpoint: EmulatorEndpoint, fault: Fault | undefined): void {
    if (fault) this.#faults.set(endpoint, fault);
    else this.#faults.delete(endpoint);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Every request answered so far, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** How many recorded requests match every given field. */
  countRequests(
    filter: Partial<
      Pick<RecordedRequest, 'endpoint' | 'grant' | 'clientId' | 'objectId' | 'scope' | 'status'>
    > = {},
  ): number {
    return this.#requests.filter((r) =>
      Object.entries(filter).every(([k, v]) => v === undefined || r[k as keyof RecordedRequest] === v),
    ).length;
  }

  resetRequests(): void {
    this.#requests.length = 0;
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const endpoint = classify(url.pathname);
    const record: { grant?: string; clientId?: string; objectId?: string; scope?: string } = {};
    const fault = endpoint === 'other' ? undefined : this.#faults.get(endpoint);
    if (fault?.kind === 'down') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    let status = 200;
    try {
      if (fault?.kind === 'status') {
        throw new HttpError(
          fault.status,
          {
            error: 'temporarily_unavailable',
            error_description: `AADSTS90033: A transient error has occurred (emulated ${fault.status}).`,
          },
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
        );
      }
      const body = await this.#route(req, method, url, endpoint, record);
      sendJson(res, 200, body);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      status = error.status;
      sendJson(res, error.status, error.body, error.headers);
    } finally {
      this.#requests.push({
        endpoint,
        method,
        path: url.pathname,
        status,
        grant: record.grant,
        clientId: record.clientId,
        objectId: record.objectId,
        scope: record.scope,
        atMs: Date.now(),
      });
    }
  }

  async #route(
    req: IncomingMessage,
    method: string,
    url: URL,
    endpoint: RecordedRequest['endpoint'],
    record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
  ): Promise<unknown> {
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const notFound = () =>
      new HttpError(404, { error: 'not_found', error_description: `no route for ${method} ${url.pathname}` });
    switch (endpoint) {
      case 'discovery': {
        const tenant = this.#tenantFromPath(parts[0]!);
        return url.pathname.includes('/v2.0/') ? this.#discoveryV2(tenant) : this.#discoveryV1(tenant);
      }
      case 'jwks':
        return this.jwks();
      case 'token': {
        if (method !== 'POST') throw notFound();
        const tenant = this.#tenantFromPath(parts[0]!);
        const form = new URLSearchParams(await readBody(req));
        return this.#token(tenant, form, url, record);
      }
      case 'managedIdentity':
        return this.#managedIdentityToken(req, url, record);
      case 'keyVault':
        return this.#keyVault(req, parts, record);
      default:
        throw notFound();
    }
  }

  #tenantFromPath(segment: string): string {
    const tenant = segment.toLowerCase();
    if (tenant === this.tenantId || tenant === 'organizations' || tenant === 'common') return tenant;
    if ([...this.#users.values()].some((u) => u.tenantId === tenant)) return tenant;
    throw entraError(400, 'invalid_tenant', 90002, `Tenant '${segment}' not found.`);
  }

  #discoveryV2(tenant: string): Record<string, unknown> {
    const base = `${this.httpsUrl}/${tenant}`;
    const issuerTenant = tenant === 'organizations' || tenant === 'common' ? '{tenantid}' : tenant;
    return {
      issuer: `${this.httpsUrl}/${issuerTenant}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'nbf',
        'name',
        'oid',
        'tid',
        'ver',
        'preferred_username',
      ],
      tenant_region_scope: 'NA',
      cloud_instance_name: 'emulator',
      request_uri_parameter_supported: false,
    };
  }

  #discoveryV1(tenant: string): Record<string, unknown> {
    const base = `${this.httpsUrl}/${tenant}`;
    const issuerTenant = tenant === 'organizations' || tenant === 'common' ? '{tenantid}' : tenant;
    return {
      issuer: `https://sts.windows.net/${issuerTenant}/`,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      jwks_uri: `${this.httpsUrl}/common/discovery/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      cloud_instance_name: 'emulator',
    };
  }

  async #authenticateClient(form: URLSearchParams, tokenUrl: string): Promise<EmulatedApp> {
    const clientId = (form.get('client_id') ?? '').toLowerCase();
    const app = this.#apps.get(clientId);
    if (!app) {
      throw entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory.`,
      );
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (app.secret === undefined || secret !== app.secret) {
        throw entraError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      }
      return app;
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        throw entraError(400, 'invalid_request', 50027, 'Invalid client_assertion_type.');
      }
      await this.#verifyClientAssertion(app, assertion, tokenUrl);
      return app;
    }
    throw entraError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain 'client_assertion' or 'client_secret'.",
    );
  }

  async #verifyClientAssertion(app: EmulatedApp, assertion: string, tokenUrl: string): Promise<void> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      throw entraError(401, 'invalid_client', 50012, 'Client assertion is not a valid JWT.');
    }
    const fail = (why: string) =>
      entraError(401, 'invalid_client', 700027, `Client assertion failed signature validation. ${why}`);
    if (header.kid && this.#keys.some((k) => k.kid === header.kid)) {
      // A federated credential: a token the emulator issued to the app's trusted managed identity.
      if (!app.federatedManagedIdentityObjectId)
        throw fail('No federated identity credential is configured.');
      let payload: JWTPayload;
      try {
        payload = await this.verify(assertion, { audience: FIC_AUDIENCE });
      } catch {
        throw entraError(
          400,
          'invalid_client',
          700024,
          'Client assertion is not within its valid time range or has the wrong audience.',
        );
      }
      if (payload.sub !== app.federatedManagedIdentityObjectId) {
        throw entraError(
          400,
          'invalid_client',
          70021,
          'No matching federated identity record found for presented assertion.',
        );
      }
      return;
    }
    if (!app.certificatePem || !app.certificateThumbprintSha256) throw fail('No certificate is registered.');
    const x5tS256 = header['x5t#S256'];
    const x5t = header.x5t;
    const { thumbprintSha1 } = thumbprints(app.certificatePem);
    const sha256 = Buffer.from(app.certificateThumbprintSha256, 'hex').toString('base64url');
    const sha1 = Buffer.from(thumbprintSha1, 'hex').toString('base64url');
    if (x5tS256 !== sha256 && x5t !== sha1) throw fail('Key was not found (thumbprint mismatch).');
    try {
      const key = createPublicKey(app.certificatePem);
      await jwtVerify(assertion, key, {
        algorithms: ['PS256', 'RS256'],
        audience: [tokenUrl, tokenUrl.replace('/oauth2/v2.0/token', '/oauth2/token')],
        issuer: app.clientId,
        subject: app.clientId,
        clockTolerance: 5,
      });
    } catch {
      throw fail('Signature, audience, issuer or lifetime is invalid.');
    }
  }

  async #token(
    tenant: string,
    form: URLSearchParams,
    url: URL,
    record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
  ): Promise<Record<string, unknown>> {
    const grantType = form.get('grant_type') ?? '';
    const scope = form.get('scope') ?? '';
    record.clientId = form.get('client_id')?.toLowerCase();
    // Recorded without the OIDC scopes msal-node adds, so tests can count per resource scope.
    record.scope = scope
      .split(' ')
      .filter((s) => s !== '' && !OIDC_SCOPES.has(s))
      .join(' ');
    record.grant =
      grantType === JWT_BEARER && form.get('requested_token_use') === 'on_behalf_of'
        ? 'on_behalf_of'
        : grantType;
    const tokenUrl = `${this.httpsUrl}${url.pathname}`;
    if (grantType === JWT_BEARER && form.get('requested_token_use') === 'on_behalf_of') {
      const assertion = form.get('assertion') ?? '';
      // Who the assertion names is recorded before any check, so refusals are counted per user too.
      try {
        const claims = JSON.parse(
          Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8'),
        ) as JWTPayload;
        if (typeof claims.oid === 'string') record.objectId = claims.oid;
      } catch {
        // not a JWT; refused below
      }
      const app = await this.#authenticateClient(form, tokenUrl);
      return this.#onBehalfOf(tenant, app, assertion, scope);
    }
    if (grantType === 'client_credentials') {
      const app = await this.#authenticateClient(form, tokenUrl);
      record.objectId = app.objectId;
      const resource = resourceOf(scope);
      const token = await this.mintAppToken({ app, audience: resource, roles: app.roles, version: '1.0' });
      return tokenResponse(token, scope, this.tokenLifetimeSeconds);
    }
    throw entraError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    );
  }

  async #onBehalfOf(
    tenant: string,
    app: EmulatedApp,
    assertion: string,
    scope: string,
  ): Promise<Record<string, unknown>> {
    let claims: JWTPayload;
    try {
      claims = await this.verify(assertion, { ignoreExpiry: true });
    } catch {
      throw entraError(400, 'invalid_grant', 50013, 'Assertion failed signature validation.');
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) {
      throw entraError(400, 'invalid_grant', 500133, 'Assertion is not within its valid time range.');
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(app.clientId) && !audiences.includes(`api://${app.clientId}`)) {
      throw entraError(
        400,
        'invalid_grant',
        50013,
        'Assertion audience does not match the Client app presenting the assertion.',
      );
    }
    if (typeof claims.scp !== 'string' || claims.scp === '') {
      throw entraError(
        400,
        'invalid_request',
        7000114,
        `Application '${app.clientId}' is not allowed to make application on-behalf-of calls.`,
      );
    }
    const oid = String(claims.oid ?? '');
    const tid = String(claims.tid ?? '');
    if (tenant !== 'organizations' && tenant !== 'common' && tenant !== tid) {
      throw entraError(400, 'invalid_grant', 50020, 'The user is not from the tenant the request is for.');
    }
    if (this.#revokedUsers.has(oid)) {
      throw entraError(
        400,
        'invalid_grant',
        50173,
        'The provided grant has expired due to it being revoked, a fresh auth token is needed.',
      );
    }
    const user = this.#users.get(oid) ?? {
      objectId: oid,
      tenantId: tid,
      userPrincipalName: String(claims.upn ?? claims.preferred_username ?? ''),
      name: String(claims.name ?? ''),
    };
    const resource = resourceOf(scope);
    if (!resource)
      throw entraError(
        400,
        'invalid_scope',
        70011,
        "The provided value for the input parameter 'scope' is not valid.",
      );
    const token = await this.mintUserToken({
      user,
      audience: resource,
      scopes: ['user_impersonation'],
      version: '1.0',
      clientAppId: app.clientId,
    });
    return tokenResponse(token, scope, this.tokenLifetimeSeconds);
  }

  async #managedIdentityToken(
    req: IncomingMessage,
    url: URL,
    record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
  ): Promise<Record<string, unknown>> {
    const appService = url.pathname === '/msi/token';
    record.grant = appService ? 'app_service' : 'imds';
    if (appService) {
      if (req.headers['x-identity-header'] !== this.identityHeader) {
        throw new HttpError(401, {
          error: 'unauthorized',
          error_description: 'X-IDENTITY-HEADER is missing or wrong',
        });
      }
    } else if (req.headers.metadata !== 'true') {
      throw new HttpError(400, {
        error: 'invalid_request',
        error_description: 'Required metadata header not specified',
      });
    }
    const resource = url.searchParams.get('resource') ?? '';
    record.scope = resource;
    if (!resource)
      throw new HttpError(400, { error: 'invalid_request', error_description: 'resource is required' });
    const clientId = (url.searchParams.get('client_id') ?? '').toLowerCase();
    const objectId = (
      url.searchParams.get('object_id') ??
      url.searchParams.get('principal_id') ??
      ''
    ).toLowerCase();
    const identity = clientId
      ? this.#identities.get(clientId)
      : objectId
        ? [...this.#identities.values()].find((i) => i.objectId === objectId)
        : this.systemAssignedIdentity;
    if (!identity) {
      throw new HttpError(400, { error: 'invalid_request', error_description: 'Identity not found' });
    }
    record.clientId = identity.clientId;
    record.objectId = identity.objectId;
    const audience = resource.replace(/\/\.default$/, '');
    const token = await this.mintAppToken({
      app: identity,
      audience,
      version: audience === FIC_AUDIENCE ? '2.0' : '1.0',
    });
    const expiresOn = Math.floor(Date.now() / 1000) + this.tokenLifetimeSeconds;
    return {
      access_token: token,
      expires_on: String(expiresOn),
      expires_in: String(this.tokenLifetimeSeconds),
      resource,
      token_type: 'Bearer',
      client_id: identity.clientId,
    };
  }

  async #keyVault(
    req: IncomingMessage,
    parts: string[],
    record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
  ): Promise<Record<string, unknown>> {
    const challenge = {
      'www-authenticate': `Bearer authorization="${this.authority()}", resource="${KEY_VAULT_RESOURCE}"`,
    };
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ')) {
      throw new HttpError(
        401,
        { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        challenge,
      );
    }
    let claims: JWTPayload;
    try {
      claims = await this.verify(auth.slice('Bearer '.length), { audience: KEY_VAULT_RESOURCE });
    } catch {
      throw new HttpError(
        401,
        {
          error: {
            code: 'Unauthorized',
            message: 'AKV10022: Invalid audience, issuer, signature or lifetime.',
          },
        },
        challenge,
      );
    }
    record.objectId = typeof claims.oid === 'string' ? claims.oid : undefined;
    const name = parts[1] ?? '';
    record.scope = name;
    const secret = this.#secrets.get(name);
    if (!secret) {
      throw new HttpError(404, {
        error: {
          code: 'SecretNotFound',
          message: `A secret with (name/id) ${name} was not found in this key vault.`,
        },
      });
    }
    if (!secret.exportable) {
      throw new HttpError(403, {
        error: { code: 'Forbidden', message: `The private key of certificate ${name} is not exportable.` },
      });
    }
    return {
      value: secret.value,
      contentType: secret.contentType,
      id: `${this.httpsUrl}/secrets/${name}/${secret.version}`,
      attributes: {
        enabled: true,
        created: 1_700_000_000,
        updated: 1_700_000_000,
        recoveryLevel: 'Recoverable+Purgeable',
      },
      ...(secret.managed ? { managed: true, kid: `${this.httpsUrl}/keys/${name}/${secret.version}` } : {}),
    };
  }
}

function classify(pathname: string): RecordedRequest['endpoint'] {
  if (pathname.endsWith('/.well-known/openid-configuration')) return 'discovery';
  if (pathname.endsWith('/discovery/v2.0/keys') || pathname.endsWith('/discovery/keys')) return 'jwks';
  if (pathname === '/msi/token' || pathname.startsWith('/metadata/identity/oauth2/token'))
    return 'managedIdentity';
  if (pathname.endsWith('/oauth2/v2.0/token') || pathname.endsWith('/oauth2/token')) return 'token';
  if (pathname.startsWith('/secrets/')) return 'keyVault';
  return 'other';
}

function tokenResponse(accessToken: string, scope: string, lifetimeSeconds: number): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    scope,
    expires_in: lifetimeSeconds,
    ext_expires_in: lifetimeSeconds,
    access_token: accessToken,
  };
}

function compact(record: Record<string, unknown>): JWTPayload {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as JWTPayload;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
