#!/usr/bin/env node
// A person at a browser, for real MCP clients that open the authorization URL with the program
// named by BROWSER (mcp-remote, MCP Inspector through xdg-open, Python's webbrowser): follows the
// redirects, clicks Allow on the façade's consent page, picks the user (PERSON_USER, default
// alice@contoso.com) on Entra ID's sign-in page, and ends at the client's loopback callback. It
// detaches at once (clients may wait for the browser to exit) and logs each step to PERSON_LOG.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [mode, url] = process.argv[2] === '--run' ? ['run', process.argv[3]] : ['open', process.argv[2]];
const log = (line) => {
  if (process.env.PERSON_LOG) appendFileSync(process.env.PERSON_LOG, `${new Date().toISOString()} ${line}\n`);
};

if (mode === 'open') {
  spawn(process.execPath, [fileURLToPath(import.meta.url), '--run', url], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  }).unref();
  process.exit(0);
}

const user = process.env.PERSON_USER ?? 'alice@contoso.com';
const jar = new Map();
const decode = (s) => s.replaceAll('&#38;', '&').replaceAll('&amp;', '&');
async function go(target, init = {}) {
  const headers = new Headers(init.headers);
  const host = new URL(target).host;
  const cookies = [...jar]
    .filter(([k]) => k.startsWith(`${host} `))
    .map(([k, v]) => `${k.slice(host.length + 1)}=${v}`);
  if (cookies.length > 0) headers.set('cookie', cookies.join('; '));
  // a client may open the browser before its loopback callback listens (FastMCP does): retry a
  // refused connection for a while, as a person would reload the page
  let res;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(target, { ...init, headers, redirect: 'manual' });
      break;
    } catch (error) {
      if (attempt >= 100 || error?.cause?.code !== 'ECONNREFUSED') throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const at = pair.indexOf('=');
    jar.set(`${host} ${pair.slice(0, at)}`, pair.slice(at + 1));
  }
  return res;
}

try {
  let next = url;
  let init = {};
  for (let step = 0; step < 20 && next; step++) {
    const res = await go(next, init);
    // the path and the client it names: never a code, state or verifier
    const clientId = new URL(next).searchParams.get('client_id');
    log(
      `${init.method ?? 'GET'} ${new URL(next).origin}${new URL(next).pathname}${clientId ? ` (client_id ${clientId})` : ''} → ${res.status}`,
    );
    init = {};
    if (res.status >= 300 && res.status < 400) {
      next = new URL(res.headers.get('location'), next).href;
      continue;
    }
    const page = await res.text();
    const field = (name) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page)?.[1];
    if (field('transaction')) {
      // the façade's consent page: Allow
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          transaction: field('transaction'),
          csrf: field('csrf'),
          decision: 'allow',
        }),
      };
      next = new URL('/oauth/consent', next).href;
      continue;
    }
    const account = new RegExp(`href="([^"]+)">${user.replaceAll('.', '\\.')}<`).exec(page);
    if (account) {
      next = new URL(decode(account[1]), next).href;
      continue;
    }
    log(
      `done: ${res.status} ${page
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 200)}`,
    );
    break;
  }
} catch (error) {
  log(`failed: ${error?.message ?? error}`);
  process.exitCode = 1;
}
