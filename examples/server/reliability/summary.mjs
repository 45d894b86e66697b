// The reliability suite's closing: the secrets scan of every captured log line, and the summary
// table with its "N passed, N failed" line.

/** One result row: did any log line carry a JWT, the client secret, a private key or an issued token's signature? */
export function secretsScan(logs, { clientSecret, issuedTokens }) {
  const text = logs.join('\n');
  const leaks = [];
  if (/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(text)) leaks.push('a JWT');
  if (text.includes(clientSecret)) leaks.push('the client secret');
  if (/PRIVATE KEY/.test(text)) leaks.push('a private key');
  for (const token of issuedTokens) {
    if (text.includes(token.split('.')[2])) {
      leaks.push('an issued token signature');
      break;
    }
  }
  return {
    scenario: `secrets: ${logs.length} log lines at verbose level`,
    calls: 0,
    ok: 0,
    toolErrors: 0,
    http5xx: 0,
    lost: 0,
    up: true,
    recovered: true,
    crossings: 0,
    leaks: leaks.length,
    note: leaks.join(', '),
  };
}

/** Prints the table and the closing line; returns the exit code (1 on any failure). */
export function printSummary(results, { crashes, mismatches, refusedHostileUser, started, logs, print }) {
  const rows = results.map((r) => ({ ...r, leaks: r.leaks ?? 0 }));
  const totalCalls = rows.reduce((n, r) => n + r.calls, 0);
  print(
    '\n| scenario | calls | ok | errors seen by callers | HTTP 5xx (not 503) | lost | crashes | leaks | crossings | server up | recovered |',
  );
  print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const examples = (r.samples ?? []).map((x) => `"${x.replace(/\|/g, '/')}"`).join('; ');
    const seen =
      [
        r.toolErrors ? `${r.toolErrors} tool errors${examples ? ` (e.g. ${examples})` : ''}` : '',
        ...Object.entries(r.http ?? {}).map(([s, n]) => `${n}×${s}`),
        r.note ?? '',
      ]
        .filter(Boolean)
        .join(', ') || 'none';
    print(
      `| ${r.scenario} | ${r.calls} | ${r.ok} | ${seen} | ${r.http5xx} | ${r.lost} | 0 | ${r.leaks} | ${r.crossings} | ${r.up ? 'yes' : 'NO'} | ${r.recovered ? 'yes' : 'NO'} |`,
    );
  }
  const failed = rows.filter(
    (r) => r.http5xx > 0 || r.lost > 0 || r.leaks > 0 || r.crossings > 0 || !r.up || !r.recovered,
  );
  print(
    `\ncrashes (uncaught exceptions / unhandled rejections): ${crashes}; database logins refused for a role mismatch: ${mismatches} (besides ${refusedHostileUser} refused, as they should be, for a hostile "user" argument)`,
  );
  print(`reliability: ${totalCalls} calls in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const passed = rows.length - failed.length;
  print(`${passed} passed, ${failed.length + (crashes > 0 ? 1 : 0)} failed`);
  if (failed.length > 0 || crashes > 0 || mismatches > 0) {
    for (const f of failed) print(`FAILED: ${f.scenario}`);
    for (const line of logs.filter((l) => l.startsWith('fuzz ')).slice(0, 5)) print(line);
    return 1;
  }
  return 0;
}
