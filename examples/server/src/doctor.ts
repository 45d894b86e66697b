// `mcp-auth-example doctor`: checks a deployment before it serves. One result per check (one check
// per file under doctor/), each failure with its cause (DNS, refused, TLS trust, HTTP status, AADSTS
// code) and the fix. No check prints a token, secret or private key.
export { checkAppCredential } from './doctor/appCredential.js';
export { AADSTS_FIXES, networkCause, networkCode } from './doctor/causes.js';
export { checkConfig } from './doctor/checkConfig.js';
export { checkCoherence } from './doctor/coherence.js';
export { checkDiscovery, checkSigningKeys } from './doctor/discovery.js';
export { checkEntraFrontCoherence, checkPublicClientAtEntra } from './doctor/entraFront.js';
export { checkManagedIdentity } from './doctor/managedIdentity.js';
export { formatReport, runDoctor } from './doctor/runDoctor.js';
export type { CheckResult, CheckStatus, DoctorOptions, DoctorReport } from './doctor/types.js';
export { checkUserPath } from './doctor/userPath.js';
