// 7. Hostile queries: the server's memory while 10 callers at once send the result shapes that
// used to exhaust its heap (and the other hostile shapes), with 4 other callers served meanwhile.
// The scenario is the reliability suite's (examples/server/reliability/hostile.mjs), which asserts
// the same bound; here it is repeated and reported.
import { randomBytes } from 'node:crypto';
import { EntraEmulator, startTokenGatedPostgres } from '@mcp-auth-kit/testing';
import { runHostileQueries } from '../examples/server/reliability/hostile.mjs';
import { report, smoke } from './lib.mjs';

const emulator = await EntraEmulator.start();
const db = await startTokenGatedPostgres(emulator);
const clientSecret = `bench-${randomBytes(12).toString('base64url')}`;
const api = emulator.registerApp({ secret: clientSecret });
const users = Array.from({ length: 14 }, (_, i) =>
  emulator.addUser({ userPrincipalName: `h${i}@contoso.com` }),
);
await db.admin('CREATE DATABASE demo');
await db.admin(users.map((u) => `CREATE ROLE "${u.userPrincipalName}" LOGIN;`).join(' '));
await db.admin(
  `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);
   ${users.map((u) => `GRANT SELECT ON t TO "${u.userPrincipalName}";`).join(' ')}`,
  'demo',
);
const runs = [];
for (let i = 0; i < (smoke ? 1 : 3); i++) {
  runs.push(
    await runHostileQueries({
      emulator,
      gate: db.gate,
      admin: db.admin,
      api,
      clientSecret,
      hostile: users.slice(0, 10),
      regular: users.slice(10),
      tokenFor: (user) => emulator.mintUserToken({ user, audience: api.clientId, scopes: ['mcp.tools'] }),
      rounds: smoke ? 1 : 3,
    }),
  );
}
await db.stop();
await emulator.stop();
report({ results: { runs } });
