// Which client applications may call: the operator's allow list, by the app id Entra puts in the
// token (`azp` / `appid`). A Client ID Metadata Document client is an agent identity in the
// tenant; its tokens carry that identity's app id, not the document URL, so an entry names the app
// id and may add the document URL, which then describes the caller.
import { type CallerPrincipal, ConfigError, type RequestAuthContext } from '@mcp-auth-kit/auth-core';
import { InboundAuthError } from './errors.js';

/** An app id (GUID), or an app id with the metadata document URL of the client it represents. */
export type AllowedClient =
  | string
  | { readonly appId: string; readonly documentUrl?: string; readonly name?: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ClientPolicy {
  readonly #byAppId = new Map<string, { documentUrl?: string; name?: string }>();

  /** Checks every entry; a bad one is a `config_invalid` naming its index and what to write instead. */
  constructor(entries: readonly AllowedClient[], path = 'allowedClients') {
    entries.forEach((entry, i) => {
      const appId = typeof entry === 'string' ? entry : entry?.appId;
      if (typeof appId === 'string' && /^https?:\/\//i.test(appId)) {
        throw new ConfigError('config_invalid', [
          {
            path: `${path}[${i}]`,
            message:
              "a document URL alone cannot be matched: Entra ID's tokens carry the client's agent identity app id (azp), not its document URL; write { appId, documentUrl } with the app id the tenant gave the client (Entra admin center, Agent ID, the client's agent identity)",
          },
        ]);
      }
      if (typeof appId !== 'string' || !GUID.test(appId)) {
        throw new ConfigError('config_invalid', [
          { path: `${path}[${i}]`, message: 'must be an app id (a GUID) or { appId, documentUrl }' },
        ]);
      }
      const documentUrl = typeof entry === 'string' ? undefined : entry.documentUrl;
      if (documentUrl !== undefined && !/^https:\/\/[^/]+\/./.test(documentUrl)) {
        throw new ConfigError('config_invalid', [
          {
            path: `${path}[${i}].documentUrl`,
            message: 'must be the https URL of a client metadata document',
          },
        ]);
      }
      this.#byAppId.set(appId.toLowerCase(), {
        documentUrl,
        name: typeof entry === 'string' ? undefined : entry.name,
      });
    });
  }

  /** The caller, admitted and described (its document URL where the entry names one); a 403 otherwise. */
  admit(context: RequestAuthContext): RequestAuthContext {
    const { principal } = context;
    const entry = principal.appId ? this.#byAppId.get(principal.appId.toLowerCase()) : undefined;
    if (!entry) {
      const who = principal.agentIdentity ? 'agent identity' : 'application';
      throw new InboundAuthError(
        'insufficient_scope',
        `the calling client (${who} ${principal.appId ?? 'unknown'}) is not one this server admits; an administrator of this server can add its app id to allowedClients`,
      );
    }
    if (!entry.documentUrl) return context;
    const described: CallerPrincipal = Object.freeze({ ...principal, clientDocumentUrl: entry.documentUrl });
    return Object.freeze({ ...context, principal: described });
  }

  /** The admitted clients, for doctor and the start-up banner. */
  describe(): string[] {
    return [...this.#byAppId].map(([appId, e]) =>
      [e.name, appId, e.documentUrl ? `(${e.documentUrl})` : undefined].filter(Boolean).join(' '),
    );
  }
}
