import { createServer } from 'node:net';

/** A TCP port on `host` (default 127.0.0.1) that was free a moment ago (for servers that must be told their port). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
