import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

/** A throwaway `redis-server` on loopback (no persistence). */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (as an outage would); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Where `redis-server` is, or why it cannot be used (the Debian package `redis-server` provides it). */
export function findRedisServer(): { path: string } | { reason: string } {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { reason: 'redis-server is not installed (Debian: apt-get install redis-server)' };
  }
  return { path: 'redis-server' };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
}

/** Starts `redis-server` on a free loopback port; throws with the reason when it is not installed. */
export async function startRedisServer(): Promise<TestRedis> {
  const found = findRedisServer();
  if (!('path' in found)) throw new Error(found.reason);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mcp-auth-kit-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      found.path,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(port, 10_000);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  process.once('exit', () => child?.kill('SIGKILL'));
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      await stop();
    },
  };
}
