export type { EntraEmulatorOptions, MintAppTokenOptions, MintUserTokenOptions } from './EntraEmulator.js';
export { EntraEmulator } from './EntraEmulator.js';
export type { EmulatorEndpoint, Fault } from './faults.js';
export type { CertificateAuthority, CertificateWithKey } from './pki.js';
export {
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueServerCertificate,
  loadOrCreateCertificateAuthority,
  thumbprints,
  toPkcs12Base64,
} from './pki.js';
export type { EmulatedApp, EmulatedManagedIdentity, EmulatedUser, RecordedRequest } from './types.js';
export { CA_DIR_ENV } from './vitestGlobalSetup.js';
