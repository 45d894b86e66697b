import { randomBytes, randomUUID } from 'node:crypto';
import type { JWK, JWTPayload } from 'jose';
import { ArmEmulator } from './emulator/arm.js';
import { ClientIdMetadataDocuments } from './emulator/cimd.js';
import {
  type AppRegistrationOptions,
  type NewUserOptions,
  newApp,
  newIdentity,
  newUser,
} from './emulator/directory.js';
import { type EmulatorContext, hostForUrl, type KeyVaultSecret } from './emulator/internals.js';
import { certificateSecret, plainSecret } from './emulator/keyVault.js';
import type { EntraEmulatorOptions, MintAppTokenOptions, MintUserTokenOptions } from './emulator/options.js';
import { type RequestFilter, RequestLog } from './emulator/requestLog.js';
import { handleRequest } from './emulator/routes.js';
import { LoopbackServers } from './emulator/servers.js';
import { SigningKeys } from './emulator/signingKeys.js';
import { appTokenClaims, type ClaimsContext, userTokenClaims } from './emulator/tokens.js';
import type { EmulatorEndpoint, Fault } from './faults.js';
import { sendJson } from './http.js';
import {
  type CertificateAuthority,
  type CertificateWithKey,
  createCertificateAuthority,
  issueServerCertificate,
  loadOrCreateCertificateAuthority,
} from './pki.js';
import type { EmulatedApp, EmulatedManagedIdentity, EmulatedUser, RecordedRequest } from './types.js';
import { CA_DIR_ENV } from './vitestGlobalSetup.js';

export type { EntraEmulatorOptions, MintAppTokenOptions, MintUserTokenOptions } from './emulator/options.js';

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
  #servers: LoopbackServers | undefined;

  readonly #keys = new SigningKeys();
  readonly #users = new Map<string, EmulatedUser>();
  readonly #revokedUsers = new Set<string>();
  readonly #mfaRequired = new Map<string, string>();
  readonly #apps = new Map<string, EmulatedApp>();
  readonly #identities = new Map<string, EmulatedManagedIdentity>();
  readonly #secrets = new Map<string, KeyVaultSecret>();
  readonly #log = new RequestLog();
  /** Azure Resource Manager (served on the https origin under `/subscriptions/`): subscriptions, flexible servers, role assignments. */
  readonly arm = new ArmEmulator();
  /** Client ID Metadata Documents (preview): off until `cimd.enable()`; agent identities and consent. */
  readonly cimd: ClientIdMetadataDocuments;
  /** The host's system-assigned managed identity. */
  readonly systemAssignedIdentity: EmulatedManagedIdentity;
  /** What the route handlers (emulator/*.ts) see. */
  readonly #ctx: EmulatorContext = {
    emulator: this,
    apps: this.#apps,
    users: this.#users,
    revokedUsers: this.#revokedUsers,
    mfaRequired: this.#mfaRequired,
    identities: this.#identities,
    secrets: this.#secrets,
    keys: () => this.#keys.list(),
    authorization: { codes: new Map(), refreshTokens: new Map() },
    get cimd() {
      return (this.emulator as EntraEmulator).cimd;
    },
  };

  private constructor(options: EntraEmulatorOptions, ca: CertificateAuthority) {
    this.tenantId = (options.tenantId ?? randomUUID()).toLowerCase();
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.#host = options.host ?? '127.0.0.1';
    this.ca = ca;
    this.#tls = issueServerCertificate(ca);
    this.cimd = new ClientIdMetadataDocuments(this.tenantId, () => ca.certificatePem);
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
    this.#servers = await LoopbackServers.start(this.#host, this.#tls, (req, res) => {
      handleRequest(
        this.#ctx,
        { faults: this.#log.faults, requests: this.#log.records, arm: this.arm },
        req,
        res,
      ).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.destroy();
      });
    });
  }

  /** Stops both servers and drops open connections. */
  async stop(): Promise<void> {
    await this.#servers?.stop();
  }

  // ---- addresses -------------------------------------------------------------------------------

  /** The https origin (Entra ID and Key Vault), e.g. `https://127.0.0.1:41234`. */
  get httpsUrl(): string {
    return `https://${hostForUrl(this.#host)}:${this.#servers?.httpsPort ?? 0}`;
  }

  /** The http origin (managed identity), e.g. `http://127.0.0.1:41235`. */
  get httpUrl(): string {
    return `http://${hostForUrl(this.#host)}:${this.#servers?.httpPort ?? 0}`;
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
  addUser(options: NewUserOptions): EmulatedUser {
    const user = newUser(options, this.tenantId);
    this.#users.set(user.objectId, user);
    return user;
  }

  /**
   * A Conditional Access policy requiring multi-factor authentication for this user at downstream
   * resources: On-Behalf-Of with a token whose `amr` lacks `mfa` fails with `interaction_required`,
   * AADSTS50076 and a `claims` value; signing in again with those claims completes it. `false`
   * lifts the policy.
   */
  requireMfa(user: EmulatedUser, required = true, policyId = randomUUID()): void {
    if (required) this.#mfaRequired.set(user.objectId, policyId);
    else this.#mfaRequired.delete(user.objectId);
  }

  /** Makes every later On-Behalf-Of exchange for this user fail with `invalid_grant` (session revoked). */
  revokeUser(user: EmulatedUser): void {
    this.#revokedUsers.add(user.objectId);
  }

  /** Registers an app. Give `secret`, `certificatePem`, and/or `federatedManagedIdentity` as its credentials. */
  registerApp(options: AppRegistrationOptions = {}): EmulatedApp {
    const app = newApp(options, this.tenantId);
    this.#apps.set(app.clientId, app);
    return app;
  }

  /** Adds a user-assigned managed identity to the emulated host. */
  addUserAssignedIdentity(name: string, clientId?: string): EmulatedManagedIdentity {
    return this.#addIdentity(name, 'user', clientId);
  }

  #addIdentity(name: string, kind: 'system' | 'user', clientId?: string): EmulatedManagedIdentity {
    const identity = newIdentity(name, kind, clientId, this.tenantId);
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

  /** The published signing keys (the JWKS). */
  jwks(): { keys: JWK[] } {
    return this.#keys.jwks();
  }

  /** The key id new tokens are signed with. */
  get currentKeyId(): string {
    return this.#keys.currentKeyId;
  }

  /**
   * Starts signing with a new key. The old keys stay published unless `retireOld` (then tokens
   * signed with them no longer verify once a client refetches the JWKS).
   */
  rotateKeys(options: { retireOld?: boolean } = {}): string {
    return this.#keys.rotate(options.retireOld ?? false);
  }

  /** Signs any payload with the current key (for hostile-input tests). Header fields override. */
  async sign(payload: JWTPayload, header: Readonly<Record<string, unknown>> = {}): Promise<string> {
    return this.#keys.sign(payload, header);
  }

  /**
   * Signs exactly the given header and payload with the current key (RS256), with no checks at all:
   * for tokens a JOSE library would refuse to produce (unknown `crit`, odd types).
   */
  signRaw(header: Readonly<Record<string, unknown>>, payload: unknown): string {
    return this.#keys.signRaw(header, payload);
  }

  /** Mints a delegated (user) access token with Entra's claims for the given version. */
  async mintUserToken(options: MintUserTokenOptions): Promise<string> {
    return this.sign(userTokenClaims(options, this.#claimsContext()), options.header);
  }

  /** Mints an application (app-only) access token: `roles`, no `scp`, `idtyp: app`. */
  async mintAppToken(options: MintAppTokenOptions): Promise<string> {
    return this.sign(appTokenClaims(options, this.#claimsContext()), options.header);
  }

  #claimsContext(): ClaimsContext {
    return {
      lifetimeSeconds: this.tokenLifetimeSeconds,
      issuerV1: (tid) => this.issuerV1(tid),
      issuerV2: (tid) => this.issuerV2(tid),
    };
  }

  /** Verifies a token the emulator issued (signature with any published key, audience, expiry); throws when invalid. */
  async verify(
    token: string,
    options: { audience?: string; ignoreExpiry?: boolean } = {},
  ): Promise<JWTPayload> {
    return this.#keys.verify(token, options);
  }

  // ---- Key Vault -------------------------------------------------------------------------------

  /** Stores a Key Vault secret. */
  setSecret(name: string, value: string, contentType?: string): void {
    this.#secrets.set(name, plainSecret(value, contentType));
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
    this.#secrets.set(name, certificateSecret(certificate, options));
  }

  // ---- faults and records ----------------------------------------------------------------------

  /** Faults an endpoint (or clears it with `undefined`). */
  setFault(endpoint: EmulatorEndpoint, fault: Fault | undefined): void {
    this.#log.setFault(endpoint, fault);
  }

  clearFaults(): void {
    this.#log.faults.clear();
  }

  /** Every request answered so far, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.#log.records;
  }

  /** How many recorded requests match every given field. */
  countRequests(filter: RequestFilter = {}): number {
    return this.#log.count(filter);
  }

  resetRequests(): void {
    this.#log.records.length = 0;
  }
}
