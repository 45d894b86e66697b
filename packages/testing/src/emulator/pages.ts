// The emulated Entra ID's HTML pages: the sign-in page (one link per user) and error pages (what
// Entra shows when it will not send anything back to the client).
import type { ServerResponse } from 'node:http';
import type { EmulatorContext } from './internals.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(res: ServerResponse, status: number, title: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in error</title></head><body><h1>Sorry, but we’re having trouble signing you in.</h1><p>${escapeHtml(title)}</p><p><code>${escapeHtml(detail.slice(0, 300))}</code></p></body></html>`,
  );
}

/** The sign-in page: one link per emulated user (the same request with its login_hint); no JavaScript. */
export function signInPage(ctx: EmulatorContext, res: ServerResponse, url: URL): void {
  const links = [...ctx.users.values()]
    .map((u) => {
      const next = new URL(url.href);
      next.searchParams.set('login_hint', u.userPrincipalName);
      return `<li><a href="${escapeHtml(`${next.pathname}${next.search}`)}">${escapeHtml(u.userPrincipalName)}</a></li>`;
    })
    .join('');
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in</title></head><body><h1>Sign in (emulated Entra ID)</h1><p>Pick an account:</p><ul>${links}</ul></body></html>`,
  );
}
