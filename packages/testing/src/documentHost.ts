// A loopback https host for Client ID Metadata Documents, its certificate from the emulator's CA:
// what a client's publisher would serve on the internet, for tests and dev mode.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CertificateWithKey, issueServerCertificate } from './pki.js';

export interface DocumentHost {
  /** `https://127.0.0.1:{port}` */
  readonly origin: string;
  /**
   * Serves `body` (an object is sent as JSON) at `path` with these headers; the document's URL.
   * Publishing again at the same path replaces it.
   */
  publish(path: string, body: unknown, headers?: Readonly<Record<string, string>>): string;
  /** How many times each path was fetched. */
  fetches(path: string): number;
  stop(): Promise<void>;
}

/** Starts the host on an ephemeral loopback port; unknown paths answer 404. */
export async function startDocumentHost(ca: CertificateWithKey, host = '127.0.0.1'): Promise<DocumentHost> {
  const tls = issueServerCertificate(ca);
  const documents = new Map<string, { body: string; headers: Record<string, string> }>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://host').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const doc = documents.get(path);
    if (!doc || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...doc.headers }).end(doc.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const origin = `https://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    publish(path, body, headers = {}) {
      documents.set(path, {
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { ...headers },
      });
      return `${origin}${path}`;
    },
    fetches: (path) => counts.get(path) ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
