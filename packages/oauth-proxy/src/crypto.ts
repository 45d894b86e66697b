// The façade's three small cryptographic helpers, in one place.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a text, base64url (PKCE S256, secret hashes, cache keys that must not hold a token). */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url');

/** 256 random bits, base64url: transactions, CSRF tokens, browser bindings, upstream state, ids. */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/** Compares two secrets in constant time (for equal lengths). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
