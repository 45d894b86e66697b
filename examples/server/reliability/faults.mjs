// Faults under load: each fault hits the assembled server while six workers keep calling, then
// every caller (and one never seen before) must be served again without a restart.
import { randomBytes } from 'node:crypto';
import { createSelfSignedCertificate } from '@mcp-auth-kit/testing';
import { tally } from './http.mjs';

export async function faultsUnderLoad({
  emulator,
  db,
  obo,
  api,
  azureAd,
  start,
  query,
  tokenFor,
  users,
  newcomers,
  results,
  progress,
  healthy,
}) {
  const USERS = users.length;
  let newcomerIndex = 0;
  async function underLoad(name, server, { apply, clear, faultMs = 1500, freshTokenShare = 0.5 }) {
    progress(`fault: ${name}`);
    const responses = [];
    let stop = false;
    const workers = Array.from({ length: 6 }, async (_, w) => {
      let i = 0;
      while (!stop) {
        const user = users[(w * 7 + i++) % USERS];
        const token =
          Math.random() < freshTokenShare
            ? await tokenFor(user, api.clientId, { claims: { uti: randomBytes(6).toString('hex') } })
            : await cachedToken(user);
        responses.push(await query(server, token));
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    await apply();
    await new Promise((r) => setTimeout(r, faultMs));
    await clear();
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(workers);
    // recovered without restart: the next calls all succeed, for known callers and for a caller
    // never seen before
    const newcomer = newcomers[newcomerIndex++ % newcomers.length];
    let recovered = false;
    for (let attempt = 0; attempt < 120 && !recovered; attempt++) {
      const after = await Promise.all(
        [...users.slice(0, 5), newcomer].map(async (u) => query(server, await tokenFor(u))),
      );
      recovered = after.every((r) => r.status === 200 && r.json?.result && !r.json.result.isError);
      if (!recovered) await new Promise((r) => setTimeout(r, 250));
    }
    const t = tally(responses);
    progress(`fault: ${name}: recovered=${recovered}`);
    results.push({ scenario: `fault: ${name}`, ...t, up: await healthy(server), recovered, crossings: 0 });
  }
  const tokenCache = new Map();
  async function cachedToken(user) {
    if (!tokenCache.has(user.objectId)) tokenCache.set(user.objectId, await tokenFor(user));
    return tokenCache.get(user.objectId);
  }

  await underLoad('identity provider down', obo, {
    apply: () => emulator.setFault('token', { kind: 'down' }),
    clear: () => emulator.clearFaults(),
  });
  await underLoad('identity provider slow (1.5 s)', obo, {
    apply: () => emulator.setFault('token', { kind: 'slow', delayMs: 1500 }),
    clear: () => emulator.clearFaults(),
    faultMs: 3000,
  });
  await underLoad('identity provider 5xx', obo, {
    apply: () => emulator.setFault('token', { kind: 'status', status: 503 }),
    clear: () => emulator.clearFaults(),
  });
  await underLoad('JWKS rotates keys', obo, {
    apply: () => {
      emulator.rotateKeys();
      tokenCache.clear();
    },
    clear: () => {},
  });
  await underLoad('PostgreSQL restarted', obo, {
    apply: async () => {
      const t0 = Date.now();
      await db.postgres.restart();
      progress(`PostgreSQL is back after ${Date.now() - t0} ms`);
    },
    clear: () => {},
    freshTokenShare: 0.1,
  });

  // Key Vault down at start-up: the server starts, On-Behalf-Of fails clearly, then works without a restart.
  {
    progress('fault: Key Vault down at start-up');
    const cert = createSelfSignedCertificate();
    const certApp = emulator.registerApp({ certificatePem: cert.certificatePem });
    emulator.setCertificate('obo-cert', cert, { format: 'pkcs12' });
    Object.assign(process.env, emulator.appServiceEnvironment());
    emulator.setFault('keyVault', { kind: 'down' });
    const kvServer = await start({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: { ...azureAd, clientId: certApp.clientId } },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: {
          kind: 'CertificateKeyVault',
          keyVaultUrl: emulator.keyVaultUrl,
          certificateName: 'obo-cert',
        },
      },
    });
    const responses = [];
    const user = users[0];
    const token = await tokenFor(user, certApp.clientId);
    for (let i = 0; i < 5; i++) responses.push(await query(kvServer, token));
    const whileDown = tally(responses);
    emulator.clearFaults();
    let recovered = false;
    for (let i = 0; i < 40 && !recovered; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      const r = await query(kvServer, token);
      responses.push(r);
      recovered =
        r.status === 200 && r.json?.result?.structuredContent?.rows?.[0]?.[0] === user.userPrincipalName;
    }
    results.push({
      scenario: 'fault: Key Vault down at start-up',
      ...tally(responses),
      up: await healthy(kvServer),
      recovered,
      crossings: 0,
      note: `${whileDown.toolErrors} tool errors while down`,
    });
    await kvServer.close();
  }
}
