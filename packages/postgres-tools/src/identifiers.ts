import { z } from 'zod';

/** PostgreSQL keeps names to NAMEDATALEN - 1 bytes and cuts longer ones (on a character boundary). */
const MAX_IDENTIFIER_BYTES = 63;
// NUL would end a startup parameter early (and inject another); other control characters have no
// place in a name and only serve to make the same login look like many.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A name the model passes (database, role, schema, table, setting): non-empty, no NUL or control
 * characters, at most `maxLength` characters.
 */
export function identifierArg(what: string, maxLength = 128) {
  return z
    .string()
    .min(1, `${what} must not be empty`)
    .max(maxLength, `${what} is longer than ${maxLength} characters`)
    .refine((s) => !CONTROL.test(s), `${what} must not contain NUL or control characters`);
}

/** The name PostgreSQL will use for `name`: cut to 63 bytes of UTF-8 without splitting a character. */
export function clipIdentifier(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES) return name;
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > MAX_IDENTIFIER_BYTES) break;
    out += ch;
    bytes += n;
  }
  return out;
}
