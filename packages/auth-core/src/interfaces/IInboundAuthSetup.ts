import type { AuthContextAccessor } from '../context/AuthContextAccessor.js';
import type { RequestAuthContext } from '../context/RequestAuthContext.js';

/** The parts of an HTTP request that authentication reads (node:http and express both fit). */
export interface InboundRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly method?: string | undefined;
  readonly url?: string | undefined;
}

/** What an inbound setup decided; the HTTP adapter turns it into a response. */
export type InboundOutcome =
  | { readonly kind: 'authenticated'; readonly context: RequestAuthContext }
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'challenge';
      readonly status: 401 | 403;
      /** Absent when no token was presented (RFC 6750 §3.1). */
      readonly error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
      readonly errorDescription?: string;
      /** Scopes needed, for `insufficient_scope`. */
      readonly scope?: string;
    }
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds: number; readonly errorDescription: string };

/** Turns an HTTP request into an authenticated context or a challenge (the source's IHttpHostAuthSetup). */
export interface IInboundAuthSetup {
  /** The configuration `type` this setup implements, e.g. `JwtBearerScheme`. */
  readonly type: string;
  authenticate(request: InboundRequest): Promise<InboundOutcome>;
  /**
   * The outcome when it is known at once (a token validated before), else undefined: the adapters
   * try it first, so a request with a known token costs no promise. Optional.
   */
  authenticateCached?(request: InboundRequest): InboundOutcome | undefined;
  /** The canonical MCP URL it protects, when configured; the adapters use it over the request's own. */
  readonly resourceUrl?: string | undefined;
  /** Where it carries the authenticated caller; the adapters use it unless given another. */
  readonly accessor?: AuthContextAccessor;
  /** The scopes a 401 tells clients to ask for at `resource` (space-separated); undefined for none. */
  challengeScope?(resource: URL): string | undefined;
  /**
   * Settles while tokens can be validated (signing keys usable); rejects with the reason (no
   * secret, no token) when they cannot. Readiness probes call it.
   */
  ready?(): Promise<void>;
  /** Releases timers and sockets. */
  close?(): Promise<void>;
}
