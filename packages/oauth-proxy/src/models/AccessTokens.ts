// The façade's own access tokens: ES256 JWTs for the resource, naming the sign-in they belong to.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { sha256 } from '../crypto.js';
import { OAuthProxyConfigError } from '../errors.js';
import type { Grant } from './Grants.js';

const MAX_VERIFIED = 10_000;

export class AccessTokens {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  #jwk: JWK | undefined;
  readonly #verified = new Map<string, JWTPayload>();

  constructor(
    private readonly options: {
      issuer: string;
      resource: string;
      lifetimeSeconds: number;
      signingKeyPem?: string;
    },
  ) {
    this.#privateKey = options.signingKeyPem
      ? createPrivateKey(options.signingKeyPem)
      : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    if (
      this.#privateKey.asymmetricKeyType !== 'ec' ||
      this.#privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
    ) {
      throw new OAuthProxyConfigError('OAuthProxy: the signing key must be an EC P-256 key');
    }
    this.#publicKey = createPublicKey(this.#privateKey);
  }

  get lifetimeSeconds(): number {
    return this.options.lifetimeSeconds;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    if (!this.#jwk) {
      const jwk = await exportJWK(this.#publicKey);
      this.#jwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
    }
    return { keys: [this.#jwk] };
  }

  async issue(grantId: string, grant: Grant): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { keys } = await this.jwks();
    return new SignJWT({
      oid: grant.user.oid,
      tid: grant.user.tid,
      ...(grant.user.upn ? { preferred_username: grant.user.upn } : {}),
      ...(grant.user.name ? { name: grant.user.name } : {}),
      scp: grant.scopes.join(' '),
      azp: grant.clientId,
      grant: grantId,
      idtyp: 'user',
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: keys[0]!.kid! })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.resource)
      .setSubject(grant.user.oid)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.options.lifetimeSeconds)
      .sign(this.#privateKey);
  }

  /**
   * Signature, issuer, audience, type and lifetime, checked once per token (a bounded cache keyed
   * by its SHA-256, never the token itself). Throws jose's errors for a token that is not valid.
   */
  async verify(token: string): Promise<JWTPayload> {
    const key = sha256(token);
    const cached = this.#verified.get(key);
    if (cached && (cached.exp as number) * 1000 + 60_000 > Date.now()) return cached;
    this.#verified.delete(key);
    const { payload } = await jwtVerify(token, this.#publicKey, {
      issuer: this.options.issuer,
      audience: this.options.resource,
      algorithms: ['ES256'],
      typ: 'at+jwt',
      clockTolerance: 60,
      requiredClaims: ['exp', 'oid', 'tid', 'grant'],
    });
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(key, payload);
    return payload;
  }

  /** The payload of a token this façade issued to `clientId` (expired ones too), for revocation; undefined otherwise (expired included). */
  async issuedTo(token: string, clientId: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, {
        issuer: this.options.issuer,
        algorithms: ['ES256'],
      });
      return payload.azp === clientId ? payload : undefined;
    } catch {
      return undefined;
    }
  }
}
