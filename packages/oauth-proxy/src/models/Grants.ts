// Sign-ins (grants) with the user's upstream tokens, the codes that start them and the refresh
// tokens that continue them. Codes and refresh tokens carry their grant's id and a MAC under the
// sealing key, so a code or refresh token presented again is recognised as genuine and ends the
// sign-in it belongs to (RFC 6749 §4.1.2, RFC 9700 §4.14.2), with no record kept per token.
import type { Logger } from '@mcp-auth-kit/auth-core';
import { randomToken, safeEqual, sha256 } from '../crypto.js';
import { OAuthError, SignInRevokedError } from '../errors.js';
import type { SealedStore } from '../store/SealedStore.js';
import type { UpstreamTokens } from '../upstream.js';

export interface Grant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly user: {
    readonly oid: string;
    readonly tid: string;
    readonly upn: string | undefined;
    readonly name: string | undefined;
  };
  readonly upstream: UpstreamTokens;
  /** Whether its code was redeemed (tokens were issued). */
  readonly redeemed: boolean;
  /** The live refresh token's generation; the one before it is still accepted within the grace window. */
  readonly generation: number;
  readonly rotatedAtMs: number;
}

interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly grantId: string;
}

/** How long a revocation mark outlives the sign-in: long enough for any write already under way. */
const REVOCATION_MARK_MS = 5 * 60_000;
const invalidGrant = (message: string) => new OAuthError(400, 'invalid_grant', message);

export class Grants {
  constructor(
    private readonly store: SealedStore,
    private readonly options: { lifetimeMs: number; codeMs: number; graceMs: number; logger: Logger },
  ) {}

  /** Stores a new sign-in and answers its single-use code, bound to client, redirect URI and PKCE challenge. */
  async begin(
    grant: Omit<Grant, 'redeemed' | 'generation' | 'rotatedAtMs'>,
    binding: { redirectUri: string; codeChallenge: string },
  ): Promise<string> {
    const grantId = randomToken();
    const record: Grant = { ...grant, redeemed: false, generation: 0, rotatedAtMs: 0 };
    // until its code is redeemed a sign-in lives only as long as the code (plus a margin)
    await this.store.set('grant', grantId, record, this.options.codeMs + 60_000);
    const code = this.#code(grantId);
    const issued: IssuedCode = { clientId: grant.clientId, ...binding, grantId };
    await this.store.set('code', code, issued, this.options.codeMs);
    return code;
  }

  /** Redeems a code: once, by its client, with its redirect URI and PKCE verifier. A replay revokes what it issued. */
  async redeem(
    code: string,
    check: { clientId: string; redirectUri: string | null; verifier: string },
  ): Promise<{ grantId: string; grant: Grant; refreshToken: string }> {
    const issued = await this.store.take<IssuedCode>('code', code);
    if (!issued) {
      const grantId = this.#grantOfCode(code);
      const grant = grantId ? await this.get(grantId) : undefined;
      if (grantId && grant?.redeemed) {
        await this.revoke(grantId, 'its code was presented again');
        throw invalidGrant('the code was already used; the tokens issued for it are revoked');
      }
      throw invalidGrant('the code is invalid, expired or already used');
    }
    const refuse = async (message: string) => {
      // the code is consumed: the sign-in it started can never be completed
      await this.revoke(issued.grantId);
      return invalidGrant(message);
    };
    if (issued.clientId !== check.clientId)
      throw await refuse('the code is invalid, expired or already used');
    if ((check.redirectUri ?? issued.redirectUri) !== issued.redirectUri) {
      throw await refuse('redirect_uri does not match the authorization request');
    }
    if (!safeEqual(sha256(check.verifier), issued.codeChallenge)) {
      throw await refuse('the code_verifier does not match the code_challenge');
    }
    const grant = await this.get(issued.grantId);
    if (!grant) throw invalidGrant('the sign-in behind this code has ended');
    const redeemed: Grant = { ...grant, redeemed: true, generation: 0, rotatedAtMs: Date.now() };
    await this.update(issued.grantId, redeemed);
    return { grantId: issued.grantId, grant: redeemed, refreshToken: this.#refreshToken(issued.grantId, 0) };
  }

  /**
   * Rotates a refresh token. The previous generation presented again by the same client within the
   * grace window (clients refresh in parallel) gets the current one; any older one, or one
   * presented by another client, revokes the sign-in.
   */
  async rotate(
    token: string,
    clientId: string,
  ): Promise<{ grantId: string; grant: Grant; refreshToken: string }> {
    const parsed = this.#parseRefreshToken(token);
    const grant = parsed ? await this.get(parsed.grantId) : undefined;
    if (!parsed || !grant?.redeemed) throw invalidGrant('the refresh token is invalid, expired or revoked');
    const { grantId, generation } = parsed;
    if (grant.clientId !== clientId) {
      await this.revoke(grantId, 'its refresh token was presented by another client');
      throw invalidGrant('the refresh token was issued to another client');
    }
    if (generation === grant.generation) {
      const next: Grant = { ...grant, generation: generation + 1, rotatedAtMs: Date.now() };
      await this.update(grantId, next);
      return { grantId, grant: next, refreshToken: this.#refreshToken(grantId, next.generation) };
    }
    if (generation === grant.generation - 1 && Date.now() - grant.rotatedAtMs <= this.options.graceMs) {
      return { grantId, grant, refreshToken: this.#refreshToken(grantId, grant.generation) };
    }
    await this.revoke(grantId, 'a rotated refresh token was presented again');
    throw invalidGrant('the refresh token was already used; the sign-in is revoked');
  }

  get(grantId: string): Promise<Grant | undefined> {
    return this.store.get<Grant>('grant', grantId);
  }

  /** Writes a sign-in back, unless it was revoked meanwhile (then it is deleted again and this throws). */
  async update(grantId: string, grant: Grant): Promise<void> {
    await this.store.set('grant', grantId, grant, this.options.lifetimeMs);
    // a revocation marks, then deletes; a writer writes, then looks for the mark: whichever comes
    // second sees the other, so a revoked sign-in is never written back to life
    if (await this.store.get('revoked', grantId)) {
      await this.store.delete('grant', grantId);
      throw new SignInRevokedError();
    }
  }

  /** Ends a sign-in on every replica; `reason` (no token in it) is logged when the revocation answers an attack. */
  async revoke(grantId: string, reason?: string): Promise<void> {
    if (reason) this.options.logger.warn(`OAuth proxy: a sign-in was revoked: ${reason}`);
    try {
      await this.store.set('revoked', grantId, { atMs: Date.now() }, REVOCATION_MARK_MS);
    } finally {
      await this.store.delete('grant', grantId);
    }
  }

  /** RFC 7009: a refresh token ends its sign-in when the client it was issued to presents it. */
  async revokeByRefreshToken(token: string, clientId: string): Promise<boolean> {
    const parsed = this.#parseRefreshToken(token);
    if (!parsed) return false;
    const grant = await this.get(parsed.grantId);
    if (grant?.clientId === clientId) await this.revoke(parsed.grantId);
    return true;
  }

  #refreshToken(grantId: string, generation: number): string {
    return `${grantId}.${generation}.${this.store.mac(`refresh:${grantId}:${generation}`)}`;
  }

  #parseRefreshToken(token: string): { grantId: string; generation: number } | undefined {
    const match = /^([A-Za-z0-9_-]{43})\.(\d{1,9})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return undefined;
    const [, grantId, generation] = match as unknown as [string, string, string];
    return safeEqual(token, this.#refreshToken(grantId, Number(generation)))
      ? { grantId, generation: Number(generation) }
      : undefined;
  }

  /** The sign-in a genuine code names (its MAC checked), for a code presented after it was taken. */
  #grantOfCode(code: string): string | undefined {
    const match = /^([A-Za-z0-9_-]{43})\.[A-Za-z0-9_-]{43}$/.exec(code);
    if (!match) return undefined;
    return safeEqual(code, this.#code(match[1]!)) ? match[1] : undefined;
  }

  #code(grantId: string): string {
    return `${grantId}.${this.store.mac(`code:${grantId}`)}`;
  }
}
