import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCertificateAuthority } from './pki.js';

/** Environment variable naming the directory that holds the emulator CA (`ca.pem`, `ca-key.pem`). */
export const CA_DIR_ENV = 'MCP_AUTH_KIT_CA_DIR';

/**
 * A vitest `globalSetup`: makes (or reuses) the emulator CA and sets NODE_EXTRA_CA_CERTS before the
 * test workers start, so msal-node, @azure/identity and fetch in every worker trust the emulator.
 */
export default async function setup(): Promise<void> {
  const directory = process.env[CA_DIR_ENV] ?? join(tmpdir(), 'mcp-auth-kit-ca');
  const ca = await loadOrCreateCertificateAuthority(directory);
  process.env[CA_DIR_ENV] = directory;
  process.env.NODE_EXTRA_CA_CERTS = ca.certificatePath;
}
