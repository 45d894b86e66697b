// HTTP helpers of the reliability suite: one tool call, classified (a lost call is status 0), and
// the tally of many.
import { parseMcpResponse } from './mcpResponse.mjs';

/** One tools/call over HTTP; never throws (no answer in time is `status: 0`, and is logged). */
export async function callTool(server, token, name, args, { logs = [], timeoutMs = 30_000 } = {}) {
  const t0 = Date.now();
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name, arguments: args },
  });
  try {
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const json = parseMcpResponse(text);
    return { status: res.status, json, text };
  } catch (error) {
    logs.push(`lost call after ${Date.now() - t0} ms: ${error?.name} ${error?.cause?.code ?? ''}`);
    process.stderr.write(
      `reliability: a call got no answer after ${Date.now() - t0} ms: ${error?.name} ${error?.cause?.code ?? ''}\n`,
    );
    return { status: 0, error: String(error?.name ?? error) };
  }
}

/** Counts what callers saw: ok, tool errors (with a few samples), statuses, 5xx other than 503, lost. */
export function tally(responses) {
  const t = { calls: responses.length, ok: 0, toolErrors: 0, http: {}, http5xx: 0, lost: 0, samples: [] };
  for (const r of responses) {
    if (r.status === 0) t.lost++;
    else if (r.status >= 500 && r.status !== 503) t.http5xx++;
    if (r.status === 200 && r.json?.result && !r.json.result.isError) t.ok++;
    else if (r.status === 200) {
      t.toolErrors++;
      const text = String(r.json?.result?.content?.[0]?.text ?? r.json?.error?.message ?? '')
        .replace(/\s+/g, ' ')
        .slice(0, 90);
      if (t.samples.length < 4 && !t.samples.includes(text)) t.samples.push(text);
    }
    if (r.status !== 200) t.http[r.status] = (t.http[r.status] ?? 0) + 1;
  }
  return t;
}
