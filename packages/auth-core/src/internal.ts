// `@mcp-auth-kit/auth-core/internal`: plumbing the kit's own packages share (the façade, the Entra
// front, the emulator). Not part of the public API: it may change in any release.

export { watchClaimsChallenge } from './context/claimsChallenge.js';
export {
  embeddedIpv4,
  ipv6Bytes,
  isLoopbackAddress,
  isNonPublicAddress,
} from './net/addressGuard.js';
export { fetchMetadataDocument, type MetadataFetchOptions } from './net/fetchMetadataDocument.js';
export { isTlsVerificationCode } from './net/tlsErrors.js';
