export type { DocumentHost } from './documentHost.js';
export { startDocumentHost } from './documentHost.js';
export type { EntraEmulatorOptions, MintAppTokenOptions, MintUserTokenOptions } from './EntraEmulator.js';
export { EntraEmulator } from './EntraEmulator.js';
export type { ArmEmulator, ArmRole, EmulatedConfiguration, EmulatedFlexibleServer } from './emulator/arm.js';
export type { AgentIdentity, CimdSettings, ClientIdMetadataDocuments } from './emulator/cimd.js';
export type { EmulatorEndpoint, Fault } from './faults.js';
export { freePort } from './freePort.js';
export type { GateRefusal, PostgresTokenGateOptions } from './PostgresTokenGate.js';
export { POSTGRES_AAD_AUDIENCE, PostgresTokenGate } from './PostgresTokenGate.js';
export type { CertificateAuthority, CertificateWithKey } from './pki.js';
export {
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueServerCertificate,
  loadOrCreateCertificateAuthority,
  thumbprints,
  toPkcs12Base64,
} from './pki.js';
export type { TestPostgres } from './startPostgres.js';
export { startPostgres } from './startPostgres.js';
export type { TestRedis } from './startRedisServer.js';
export { findRedisServer, startRedisServer } from './startRedisServer.js';
export type { TokenGatedPostgres } from './startTokenGatedPostgres.js';
export { startTokenGatedPostgres } from './startTokenGatedPostgres.js';
export type { EmulatedApp, EmulatedManagedIdentity, EmulatedUser, RecordedRequest } from './types.js';
export { CA_DIR_ENV } from './vitestGlobalSetup.js';
