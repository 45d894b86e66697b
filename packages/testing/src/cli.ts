#!/usr/bin/env node
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EntraEmulator } from './EntraEmulator.js';
import { loadOrCreateCertificateAuthority } from './pki.js';

const USAGE = `Usage: mcp-auth-emulator [--json] [--ca-dir DIR] [--tenant-id GUID]

Starts the loopback Entra ID / managed identity / Key Vault emulator and prints its URLs.
Processes that call it need NODE_EXTRA_CA_CERTS set to the printed CA file.`;

async function main(): Promise<void> {
  let values: { json?: boolean; 'ca-dir'?: string; 'tenant-id'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean' },
        'ca-dir': { type: 'string' },
        'tenant-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const ca = await loadOrCreateCertificateAuthority(values['ca-dir'] ?? join(tmpdir(), 'mcp-auth-kit-ca'));
  const emulator = await EntraEmulator.start({ ca, tenantId: values['tenant-id'] });
  const info = {
    instance: emulator.instance,
    tenantId: emulator.tenantId,
    authority: emulator.authority(),
    keyVaultUrl: emulator.keyVaultUrl,
    managedIdentity: { ...emulator.appServiceEnvironment(), ...emulator.imdsEnvironment() },
    caPath: ca.certificatePath,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
  } else {
    process.stdout.write(
      [
        'mcp-auth-emulator running',
        `  instance (azureAd.instance): ${info.instance}`,
        `  tenant id:                   ${info.tenantId}`,
        `  Key Vault URL:               ${info.keyVaultUrl}`,
        `  IDENTITY_ENDPOINT:           ${info.managedIdentity.IDENTITY_ENDPOINT}`,
        `  IDENTITY_HEADER:             ${info.managedIdentity.IDENTITY_HEADER}`,
        `  AZURE_POD_IDENTITY_AUTHORITY_HOST: ${info.managedIdentity.AZURE_POD_IDENTITY_AUTHORITY_HOST}`,
        `  CA file (NODE_EXTRA_CA_CERTS): ${info.caPath}`,
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
  }
  const stop = () => {
    emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`mcp-auth-emulator: ${(error as Error).message}\n`);
  process.exit(1);
});
