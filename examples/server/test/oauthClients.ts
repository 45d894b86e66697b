// The OAuth client providers the e2e tests give the real SDK clients (v2; v1 takes the same
// object): what an MCP client application keeps between the steps of its own sign-in.
import type { OAuthClientProvider } from '@modelcontextprotocol/client';

type Tokens = Awaited<ReturnType<OAuthClientProvider['tokens']>>;
type ClientInfo = Awaited<ReturnType<OAuthClientProvider['clientInformation']>>;

/** Tokens, PKCE verifier and the last authorization URL the SDK asked the user to open. */
abstract class RecordingProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  #tokens: Tokens;
  #verifier = '';
  constructor(readonly redirectUrl: string) {}
  get clientMetadata() {
    return {
      client_name: 'Self-registering e2e client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  abstract clientInformation(): ClientInfo;
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: Tokens) {
    this.#tokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
}

/** A pre-registered public client with a loopback redirect (signing in at Entra ID directly). */
export class LoopbackProvider extends RecordingProvider {
  /**
   * Entra ID requires `scope` on every token request (AADSTS900144; on refresh AADSTS90009), and
   * the SDK client sends none there: the SDK's `addClientAuthentication` hook adds it (and, for a
   * public client, the client id the hook now owns).
   */
  addClientAuthentication?: (headers: Headers, params: URLSearchParams) => void;
  constructor(
    readonly clientId: string,
    scope?: string,
    redirectUrl = 'http://localhost:49999/callback',
  ) {
    super(redirectUrl);
    if (scope) {
      this.addClientAuthentication = (_headers, params) => {
        params.set('client_id', this.clientId);
        if (!params.has('scope')) params.set('scope', scope);
      };
    }
  }
  clientInformation() {
    return { client_id: this.clientId };
  }
}

/** A client that registers itself: by DCR (no client id of its own), or with a metadata document URL. */
export class SelfRegisteringProvider extends RecordingProvider {
  #client: ClientInfo;
  constructor(
    readonly clientMetadataUrl?: string,
    redirectUrl = 'http://localhost:53682/callback',
  ) {
    super(redirectUrl);
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info: ClientInfo) {
    this.#client = info;
  }
}
