import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

/** A PEM certificate with its PEM (PKCS#8) private key. */
export interface CertificateWithKey {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** A certificate authority the emulator issues its TLS certificates from. */
export interface CertificateAuthority extends CertificateWithKey {
  /** Where the CA certificate is written: pass it to NODE_EXTRA_CA_CERTS of the processes that call the emulator. */
  readonly certificatePath: string | undefined;
}

function newRsaKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function buildCertificate(options: {
  subjectCn: string;
  keyPem: string;
  issuer?: CertificateWithKey;
  isCa: boolean;
  ipAddresses?: readonly string[];
  dnsNames?: readonly string[];
  validDays: number;
}): string {
  const key = forge.pki.privateKeyFromPem(options.keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + options.validDays * 24 * 60 * 60 * 1000);
  const subject = [{ name: 'commonName', value: options.subjectCn }];
  cert.setSubject(subject);
  const issuerCert = options.issuer ? forge.pki.certificateFromPem(options.issuer.certificatePem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: options.isCa, critical: true },
    options.isCa
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (!options.isCa) extensions.push({ name: 'extKeyUsage', serverAuth: true, clientAuth: true });
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  const signer = options.issuer ? forge.pki.privateKeyFromPem(options.issuer.privateKeyPem) : key;
  cert.sign(signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Creates a new certificate authority in memory (and on disk when `directory` is given). */
export async function createCertificateAuthority(directory?: string): Promise<CertificateAuthority> {
  const privateKeyPem = newRsaKeyPem();
  const certificatePem = buildCertificate({
    subjectCn: 'mcp-auth-kit emulator CA',
    keyPem: privateKeyPem,
    isCa: true,
    validDays: 365,
  });
  let certificatePath: string | undefined;
  if (directory) {
    await mkdir(directory, { recursive: true });
    certificatePath = join(directory, 'ca.pem');
    await writeFile(join(directory, 'ca-key.pem'), privateKeyPem, { mode: 0o600 });
    await writeFile(certificatePath, certificatePem);
  }
  return { certificatePem, privateKeyPem, certificatePath };
}

/**
 * Loads the CA kept in `directory`, or creates it there. Test runners call this once before their
 * workers start and set NODE_EXTRA_CA_CERTS to `certificatePath` (Node reads it at process start).
 */
export async function loadOrCreateCertificateAuthority(directory: string): Promise<CertificateAuthority> {
  const certificatePath = join(directory, 'ca.pem');
  const keyPath = join(directory, 'ca-key.pem');
  if (existsSync(certificatePath) && existsSync(keyPath)) {
    const certificatePem = await readFile(certificatePath, 'utf8');
    const cert = new X509Certificate(certificatePem);
    if (new Date(cert.validTo).getTime() > Date.now() + 24 * 60 * 60 * 1000) {
      return { certificatePem, privateKeyPem: await readFile(keyPath, 'utf8'), certificatePath };
    }
  }
  return createCertificateAuthority(directory);
}

/** Issues a TLS server certificate for loopback (127.0.0.1, ::1, localhost) signed by `ca`. */
export function issueServerCertificate(ca: CertificateWithKey): CertificateWithKey {
  const privateKeyPem = newRsaKeyPem();
  const certificatePem = buildCertificate({
    subjectCn: 'localhost',
    keyPem: privateKeyPem,
    issuer: ca,
    isCa: false,
    ipAddresses: ['127.0.0.1', '::1'],
    dnsNames: ['localhost'],
    validDays: 30,
  });
  return { certificatePem, privateKeyPem };
}

/** A self-signed certificate for an app registration's client credential. */
export function createSelfSignedCertificate(subjectCn = 'mcp-auth-kit app'): CertificateWithKey & {
  readonly thumbprintSha256: string;
  readonly thumbprintSha1: string;
} {
  const privateKeyPem = newRsaKeyPem();
  const certificatePem = buildCertificate({ subjectCn, keyPem: privateKeyPem, isCa: false, validDays: 365 });
  return { certificatePem, privateKeyPem, ...thumbprints(certificatePem) };
}

/** SHA-256 and SHA-1 thumbprints (hex, upper case) of a PEM certificate's DER encoding. */
export function thumbprints(certificatePem: string): { thumbprintSha256: string; thumbprintSha1: string } {
  const der = new X509Certificate(certificatePem).raw;
  return {
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    thumbprintSha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
  };
}

/** PKCS#12 (base64) of a certificate and key, as Key Vault serves a certificate's secret (empty password). */
export function toPkcs12Base64(cert: CertificateWithKey): string {
  const key = forge.pki.privateKeyFromPem(cert.privateKeyPem);
  const certificate = forge.pki.certificateFromPem(cert.certificatePem);
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [certificate], '', { algorithm: '3des' });
  return forge.util.encode64(forge.asn1.toDer(asn1).getBytes());
}
