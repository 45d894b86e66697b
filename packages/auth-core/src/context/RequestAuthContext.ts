/** Who is calling, as established from a validated token. */
export interface CallerPrincipal {
  /**
   * `user` for a delegated token (it has `scp`), `app` for an application token (`roles` only, or
   * `idtyp` app, or the unscoped `scp` "/" of an agent acting on its own).
   */
  readonly kind: 'user' | 'app';
  /** The caller's tenant (`tid`), lower case. */
  readonly tenantId: string;
  /** The caller's object id (`oid`), lower case; for an app token, the service principal's. */
  readonly objectId: string;
  /** `upn`, else `preferred_username`; undefined for app tokens. */
  readonly userPrincipalName: string | undefined;
  /** The client application that obtained the token (`azp` in v2, `appid` in v1). */
  readonly appId: string | undefined;
  /** Display name (`name`), if the token carries one. */
  readonly name: string | undefined;
  /**
   * The client is an agent identity (`xms_act_fct` lists 11, AgentIdentity): a client signed in
   * with a Client ID Metadata Document, or an Entra Agent ID agent. `appId` is the agent's.
   */
  readonly agentIdentity?: boolean;
  /** The agent's parent application (`xms_par_app_azp`): for audit logs, never for authorization. */
  readonly parentAppId?: string;
  /** The client's metadata document URL, where the server's client policy names one for `appId`. */
  readonly clientDocumentUrl?: string;
}

/** The authenticated request: raw token, its validated claims and the principal derived from them. */
export interface RequestAuthContext {
  /** The bearer token as received. Never log it. */
  readonly rawToken: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly principal: CallerPrincipal;
  /** Delegated scopes (`scp`, space-separated in the token). */
  readonly scopes: readonly string[];
  /** App roles (`roles`). */
  readonly roles: readonly string[];
  /** The token's audience (`aud`). */
  readonly audience: string;
  /** The token's expiry (`exp`) in milliseconds since the epoch. */
  readonly expiresOnTimestampMs: number;
}
