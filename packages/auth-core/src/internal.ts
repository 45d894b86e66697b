// `@mcp-auth-kit/auth-core/internal`: plumbing the kit's own packages share (telemetry, claims
// challenges between the On-Behalf-Of provider and the HTTP adapters, the metadata-document fetch
// of the façade and the emulator). Not part of the public API: it may change in any release.

export {
  recordClaimsChallenge,
  takeClaimsChallenge,
  watchClaimsChallenge,
} from './context/claimsChallenge.js';
export {
  embeddedIpv4,
  ipv6Bytes,
  isLoopbackAddress,
  isNonPublicAddress,
} from './net/addressGuard.js';
export { fetchMetadataDocument, type MetadataFetchOptions } from './net/fetchMetadataDocument.js';
export { readBounded } from './net/readBounded.js';
export { isTlsVerificationCode } from './net/tlsErrors.js';
export {
  observeGauge,
  recordIdpCall,
  recordInbound,
  recordTokenRequest,
  withSpan,
  withTraceContext,
} from './telemetry.js';
