import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The lowest port the system hands out for outgoing connections (Linux: ip_local_port_range).
 * A port chosen below it cannot be taken, between the check and the listen, by some other test's
 * outgoing connection (a client socket's ephemeral port), which is what made `EADDRINUSE` flaky
 * when a port was taken from the ephemeral range.
 */
function ephemeralFloor(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    return Number.isInteger(n) && n > 12_000 ? n : 32_768;
  } catch {
    return 32_768;
  }
}

function tryPort(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port on `host` (default 127.0.0.1) that was free a moment ago (for servers that must be
 * told their port): a random one below the ephemeral range when one is free, else any.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const floor = ephemeralFloor();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryPort(randomInt(10_000, floor), host);
    if (port !== undefined) return port;
  }
  const any = await tryPort(0, host);
  if (any === undefined) throw new Error(`freePort: no port could be bound on ${host}`);
  return any;
}
