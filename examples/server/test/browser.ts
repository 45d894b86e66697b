// A real browser for the sign-in pages: Debian's Chromium (`apt-get install chromium`; `.ci/run`
// installs it), driven by playwright-core with its executable path. Where no Chromium is installed
// the browser tests are skipped with that reason, except under CI, where they fail instead.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { type Browser, chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(chromiumPath)
  ? undefined
  : `no Chromium at ${chromiumPath} (install Debian's chromium package, or set CHROMIUM_PATH)`;
/** Run the browser tests: always under CI (where a missing Chromium fails them), else when installed. */
export const runBrowserTests = chromiumMissing === undefined || Boolean(process.env.CI);

/**
 * The base64 SHA-256 of the SubjectPublicKeyInfo of the certificate an https origin presents: the
 * form Chromium's `--ignore-certificate-errors-spki-list` takes, so the browser trusts exactly the
 * emulator's certificate and nothing else.
 */
export async function spkiHash(origin: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      resolve(certificate.raw);
    });
    socket.once('error', reject);
  });
  const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Headless Chromium that trusts the given https origins' certificates; flags as this machine needs. */
export async function launchChromium(trustOrigins: string[] = []): Promise<Browser> {
  if (chromiumMissing) throw new Error(`the browser tests need Chromium: ${chromiumMissing}`);
  const hashes = await Promise.all(trustOrigins.map(spkiHash));
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(hashes.length > 0 ? [`--ignore-certificate-errors-spki-list=${hashes.join(',')}`] : []),
    ],
  });
}
