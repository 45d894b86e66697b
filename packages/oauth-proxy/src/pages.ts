// The façade's two pages: consent (before anything is forwarded to Entra ID) and an error page.
// Plain HTML forms: they work without JavaScript, fit a phone screen, and name the client and
// the scopes it asks for.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:1.5rem auto;padding:0 1rem;line-height:1.5}' +
  'button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem 0 0}code{word-break:break-all}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function consentPage(params: {
  readonly clientName: string | undefined;
  readonly clientId: string;
  readonly redirectHost: string;
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly transaction: string;
  readonly csrf: string;
  readonly action: string;
}): string {
  // the name is isolated (<bdi>) so right-to-left text cannot reorder the sentence around it;
  // control and format characters were removed when the client was registered
  const name = `<bdi>${escapeHtml(params.clientName ?? params.clientId)}</bdi>`;
  const scopes = params.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('');
  return page(
    'Allow access?',
    `<h1>Allow ${name}?</h1>` +
      `<p><strong>${name}</strong> (<code><bdi>${escapeHtml(params.clientId)}</bdi></code>) asks to use <code>${escapeHtml(params.resource)}</code> as you, with:</p>` +
      `<ul>${scopes}</ul>` +
      `<p>After you allow it you sign in with your organisation, and the client receives access at <code>${escapeHtml(params.redirectHost)}</code>.</p>` +
      `<form method="post" action="${escapeHtml(params.action)}">` +
      `<input type="hidden" name="transaction" value="${escapeHtml(params.transaction)}">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(params.csrf)}">` +
      '<button type="submit" name="decision" value="allow">Allow</button>' +
      '<button type="submit" name="decision" value="deny">Deny</button>' +
      '</form>',
  );
}

export function errorPage(title: string, detail: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail.slice(0, 300))}</p>`);
}
