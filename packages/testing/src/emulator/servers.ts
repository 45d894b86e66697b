// The emulator's two loopback listeners: https (Entra ID, Key Vault, ARM) from the emulator's CA,
// and plain http (managed identity, as on a real host). Open connections are tracked so that
// `stop()` ends them at once.
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { CertificateWithKey } from '../pki.js';
import { closeServer, listen } from './internals.js';

export class LoopbackServers {
  readonly #sockets = new Set<Socket>();
  readonly #https: Server;
  readonly #http: Server;
  httpsPort = 0;
  httpPort = 0;

  private constructor(tls: CertificateWithKey, handler: RequestListener) {
    this.#https = createHttpsServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, handler);
    this.#http = createHttpServer(handler);
    const track = (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    };
    this.#https.on('connection', track);
    this.#http.on('connection', track);
  }

  /** Both listeners on ephemeral ports of `host`, each request to `handler`. */
  static async start(
    host: string,
    tls: CertificateWithKey,
    handler: RequestListener,
  ): Promise<LoopbackServers> {
    const servers = new LoopbackServers(tls, handler);
    servers.httpsPort = await listen(servers.#https, host);
    servers.httpPort = await listen(servers.#http, host);
    return servers;
  }

  /** Ends open connections and closes both listeners. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([closeServer(this.#https), closeServer(this.#http)]);
  }
}
