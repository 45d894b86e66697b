import { createPublicKey, sign as cryptoSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { SigningKey } from './internals.js';

/**
 * The tenant's signing keys: the first signs, all are published (JWKS). Rotation puts a new key
 * first and keeps the old ones published unless they are retired.
 */
export class SigningKeys {
  #keys: SigningKey[] = [newSigningKey(), newSigningKey()];

  /** Every published key, the signing one first. */
  list(): readonly SigningKey[] {
    return this.#keys;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => ({ ...k.jwk })) };
  }

  get currentKeyId(): string {
    return this.#keys[0]!.kid;
  }

  rotate(retireOld: boolean): string {
    const key = newSigningKey();
    this.#keys = retireOld ? [key] : [key, ...this.#keys];
    return key.kid;
  }

  async sign(payload: JWTPayload, header: Readonly<Record<string, unknown>>): Promise<string> {
    const key = this.#keys[0]!;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  signRaw(header: Readonly<Record<string, unknown>>, payload: unknown): string {
    return signRawWith(this.#keys[0]!, header, payload);
  }

  verify(token: string, options: { audience?: string; ignoreExpiry?: boolean }): Promise<JWTPayload> {
    return verifyWithKeys(this.#keys, token, options);
  }
}

/** A fresh RS256 signing key and its public JWK. */
function newSigningKey(): SigningKey {
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

/** Signs exactly the given header and payload (RS256), with no checks at all. */
function signRawWith(key: SigningKey, header: Readonly<Record<string, unknown>>, payload: unknown): string {
  const encode = (v: unknown) =>
    Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const input = `${encode({ alg: 'RS256', kid: key.kid, ...header })}.${encode(payload)}`;
  const signature = cryptoSign('sha256', Buffer.from(input), key.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

/** Verifies a token signed with one of `keys` (audience and expiry as asked); throws when invalid. */
async function verifyWithKeys(
  keys: readonly SigningKey[],
  token: string,
  options: { audience?: string; ignoreExpiry?: boolean },
): Promise<JWTPayload> {
  const { kid } = decodeProtectedHeader(token);
  const key = keys.find((k) => k.kid === kid);
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
