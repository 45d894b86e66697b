// Entra ID's Client ID Metadata Documents (preview): a client whose `client_id` is the https URL of
// its metadata document. Entra fetches and validates the document, represents the client as an
// agent identity in the tenant (a stable app id), and applies the tenant's consent policy. Where
// Microsoft's pages are silent the strict reading is taken; each choice is listed in the README.
import { randomUUID } from 'node:crypto';
import { AuthCoreError } from '@mcp-auth-kit/auth-core';
import { fetchMetadataDocument } from '@mcp-auth-kit/auth-core/internal';
import { entraError } from '../http.js';
import type { EmulatedApp, EmulatedUser } from '../types.js';

/** An agent identity Entra created for a metadata document (once per document URL, per tenant). */
export interface AgentIdentity {
  /** The agent identity's app id: `azp` of the tokens it obtains; stable for the document URL. */
  readonly appId: string;
  readonly objectId: string;
  readonly documentUrl: string;
  /** `client_name` of the document when Entra first saw it. */
  readonly displayName: string;
}

export interface CimdSettings {
  /** Users may consent for themselves (the tenant's user consent setting); default true. */
  readonly userConsent?: boolean;
  /**
   * Dev mode: documents on loopback addresses, over http or over https with a certificate from
   * the emulator's CA (SDK clients insist on https document URLs). Default false: public hosts only.
   */
  readonly allowLoopbackDocuments?: boolean;
}

const MAX_DOCUMENT_BYTES = 5 * 1024;
const MAX_REDIRECT_URIS = 20;
const MAX_AGENTS = 1_000;
const MAX_GRANTS = 10_000;

/** An answer Entra shows on its own page (the client is not trusted with it) or sends back. */
export class CimdRefusal extends Error {
  constructor(
    readonly aadsts: number,
    message: string,
    /** `page`: shown to the user, nothing goes to the client; `redirect`: sent to the redirect URI. */
    readonly where: 'page' | 'redirect' = 'page',
    readonly error = 'invalid_client',
  ) {
    super(`AADSTS${aadsts}: ${message}`);
  }
}

/** `emulator.cimd`: the tenant's CIMD switch, its agent identities and the consent granted to them. */
export class ClientIdMetadataDocuments {
  #enabled = false;
  #userConsent = true;
  #loopback = false;
  readonly #agents = new Map<string, AgentIdentity>();
  /** `{agent app id} {resource app id}` → scope names an administrator granted for every user. */
  readonly #adminGrants = new Map<string, Set<string>>();
  /** `{agent app id} {user object id} {resource app id}` → scope names the user consented to. */
  readonly #userGrants = new Map<string, Set<string>>();

  constructor(
    private readonly tenantId: string,
    private readonly caPem: () => string,
  ) {}

  /** Turns CIMD on for the tenant: discovery says `client_id_metadata_document_supported`. */
  enable(settings: CimdSettings = {}): void {
    this.#enabled = true;
    this.#userConsent = settings.userConsent ?? true;
    this.#loopback = settings.allowLoopbackDocuments ?? false;
  }

  disable(): void {
    this.#enabled = false;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Whether users may consent for themselves; false: an administrator has to grant first. */
  set userConsent(allowed: boolean) {
    this.#userConsent = allowed;
  }

  /** The agent identity representing this document URL, once the client has been seen. */
  agent(documentUrl: string): AgentIdentity | undefined {
    return this.#agents.get(documentUrl);
  }

  agents(): AgentIdentity[] {
    return [...this.#agents.values()];
  }

  /**
   * An administrator adds the client and grants delegated permissions for every user (what
   * "Grant admin consent" does): `scopes` are the resource app's scope names.
   */
  grantAdminConsent(documentUrl: string, resourceAppId: string, scopes: readonly string[]): AgentIdentity {
    const agent = this.#agentFor(documentUrl, 'Added by an administrator');
    this.#grant(this.#adminGrants, `${agent.appId} ${resourceAppId.toLowerCase()}`, scopes);
    return agent;
  }

  /**
   * The client behind an https `client_id`: the document fetched (the façade's SSRF guards, one
   * 5 s deadline, 5 KiB) and validated, the agent identity created on first sight.
   */
  async resolve(clientId: string): Promise<{ app: EmulatedApp; agent: AgentIdentity }> {
    if (!this.#enabled) {
      throw new CimdRefusal(
        700016,
        `Application with identifier '${clientId.slice(0, 200)}' was not found in the directory (Client ID Metadata Documents are not available in this tenant).`,
      );
    }
    let document: unknown;
    try {
      ({ document } = await fetchMetadataDocument(clientId, {
        allowLoopback: this.#loopback,
        ca: this.#loopback ? this.caPem() : undefined,
        maxBytes: MAX_DOCUMENT_BYTES,
        timeoutMs: 5_000,
      }));
    } catch (error) {
      if (!(error instanceof AuthCoreError)) throw error;
      throw new CimdRefusal(700016, `The client metadata document could not be used: ${error.message}.`);
    }
    const doc = validateDocument(clientId, document);
    const agent = this.#agentFor(clientId, doc.name);
    return {
      agent,
      app: {
        clientId: agent.appId,
        tenantId: this.tenantId,
        objectId: agent.objectId,
        displayName: agent.displayName,
        secret: undefined,
        certificatePem: undefined,
        certificateThumbprintSha256: undefined,
        federatedManagedIdentityObjectId: undefined,
        roles: [],
        identifierUris: [],
        exposedScopes: [],
        redirectUris: doc.redirectUris,
        publicClient: true,
        accessTokenVersion: 2,
      },
    };
  }

  /** Whether the user may use these scopes through this agent now; records the user's consent when the tenant lets users consent. */
  consent(
    agent: AgentIdentity,
    user: EmulatedUser,
    resourceApp: EmulatedApp,
    scopes: readonly string[],
  ): boolean {
    const admin = this.#adminGrants.get(`${agent.appId} ${resourceApp.clientId}`);
    const userKey = `${agent.appId} ${user.objectId} ${resourceApp.clientId}`;
    const own = this.#userGrants.get(userKey);
    if (scopes.every((s) => admin?.has(s) || own?.has(s))) return true;
    if (!this.#userConsent) return false;
    this.#grant(this.#userGrants, userKey, scopes);
    return true;
  }

  #grant(map: Map<string, Set<string>>, key: string, scopes: readonly string[]): void {
    if (!map.has(key) && map.size >= MAX_GRANTS) map.delete(map.keys().next().value!);
    const set = map.get(key) ?? new Set<string>();
    for (const s of scopes) set.add(s);
    map.set(key, set);
  }

  #agentFor(documentUrl: string, name: string): AgentIdentity {
    const known = this.#agents.get(documentUrl);
    if (known) return known;
    if (this.#agents.size >= MAX_AGENTS) {
      throw new CimdRefusal(
        700016,
        'The tenant cannot add more agent identities (AgentIdentity_LimitExceeded).',
      );
    }
    const agent: AgentIdentity = {
      appId: randomUUID(),
      objectId: randomUUID(),
      documentUrl,
      displayName: name,
    };
    this.#agents.set(documentUrl, agent);
    return agent;
  }
}

/** Whether a `client_id` names a metadata document (an http(s) URL) rather than an app id. */
export function isDocumentClientId(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

/**
 * The document's rules (draft-ietf-oauth-client-id-metadata-document, strict reading): a JSON
 * object whose `client_id` is exactly the URL it was fetched from, 1 to 20 absolute redirect URIs,
 * a public client (`token_endpoint_auth_method` absent or `none`, no `client_secret`: CIMD clients
 * cannot use client credentials), the authorization code grant and the `code` response type.
 */
function validateDocument(clientId: string, document: unknown): { redirectUris: string[]; name: string } {
  const bad = (why: string) => new CimdRefusal(700016, `The client metadata document is not valid: ${why}.`);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw bad('it is not a JSON object');
  }
  const doc = document as Record<string, unknown>;
  if (doc.client_id !== clientId) throw bad('its client_id is not the URL it was fetched from');
  const uris = doc.redirect_uris;
  if (
    !Array.isArray(uris) ||
    uris.length === 0 ||
    uris.length > MAX_REDIRECT_URIS ||
    !uris.every((u) => typeof u === 'string' && u.length <= 2_000 && URL.canParse(u))
  ) {
    throw bad(`redirect_uris must list 1 to ${MAX_REDIRECT_URIS} absolute URIs`);
  }
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (method !== 'none' || 'client_secret' in doc) {
    throw bad('only public clients (token_endpoint_auth_method none, no client_secret) are supported');
  }
  const grants = doc.grant_types ?? ['authorization_code'];
  if (
    !Array.isArray(grants) ||
    !grants.includes('authorization_code') ||
    grants.some((g) => g !== 'authorization_code' && g !== 'refresh_token')
  ) {
    throw bad('grant_types must be authorization_code (and refresh_token)');
  }
  const responses = doc.response_types ?? ['code'];
  if (!Array.isArray(responses) || responses.length !== 1 || responses[0] !== 'code') {
    throw bad('response_types must be ["code"]');
  }
  const name =
    typeof doc.client_name === 'string' ? doc.client_name.replace(/[\p{Cc}\p{Cf}]/gu, '').slice(0, 256) : '';
  return { redirectUris: uris as string[], name: name || new URL(clientId).host };
}

/** The claims Entra documents for a token an agent identity obtains for a signed-in user (agent-token-claims). */
export const AGENT_USER_TOKEN_CLAIMS = { idtyp: 'user', xms_act_fct: '11', xms_idrel: '1' } as const;

/** A `client_credentials` request from a metadata-document client. */
export function refuseClientCredentials(clientId: string): never {
  throw entraError(
    400,
    'unauthorized_client',
    70003,
    `The client '${clientId.slice(0, 200)}' is identified by a Client ID Metadata Document; such clients can't use the client credentials grant.`,
  );
}
