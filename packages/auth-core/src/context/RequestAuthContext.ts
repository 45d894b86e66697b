/** Who is calling, as established from a validated token. */
export interface CallerPrincipal {
  /** `user` for a delegated token (it has `scp`), `app` for an application token (`roles` only). */
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
