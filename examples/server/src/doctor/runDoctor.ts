// Runs every check in order (a failed configuration stops the rest), and prints the report.
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { checkAppCredential } from './appCredential.js';
import { outboundCause } from './causes.js';
import { checkConfig } from './checkConfig.js';
import { checkClients } from './clients.js';
import { checkCoherence } from './coherence.js';
import { checkDiscovery, checkSigningKeys } from './discovery.js';
import { checkEntraFrontCoherence, checkPublicClientAtEntra } from './entraFront.js';
import { checkManagedIdentity } from './managedIdentity.js';
import type { CheckResult, DoctorOptions, DoctorReport } from './types.js';
import { checkUserPath } from './userPath.js';

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const checks: CheckResult[] = [];
  const { result, config } = await checkConfig(options.configPath);
  checks.push(result);
  if (!config) return { ok: false, checks };
  const azureAd = config.auth.inboundAuthentication.azureAd;
  if (azureAd) {
    const discovery = await checkDiscovery(azureAd, timeoutMs);
    checks.push(discovery.result);
    checks.push(
      discovery.jwksUri
        ? await checkSigningKeys(discovery.jwksUri, timeoutMs)
        : { name: 'signing keys', status: 'skip', detail: 'needs OIDC discovery' },
    );
    checks.push(checkCoherence(azureAd, options.resourceUrl));
    const front = config.mcpServer.entraFront;
    if (front) {
      const coherence = checkEntraFrontCoherence(front, azureAd, options.resourceUrl);
      checks.push(coherence);
      if (coherence.status === 'pass' && options.resourceUrl) {
        checks.push(await checkPublicClientAtEntra(front, azureAd, options.resourceUrl, timeoutMs));
      }
    }
    // who may sign in: reported where there is something to say (CIMD, a policy, a front)
    if (
      discovery.document?.client_id_metadata_document_supported === true ||
      config.mcpServer.allowedClients ||
      front
    ) {
      checks.push(checkClients(discovery.document, config.mcpServer));
    }
  } else {
    checks.push({ name: 'identity provider (OIDC discovery)', status: 'skip', detail: 'inbound is None' });
  }
  checks.push(await checkManagedIdentity(config.auth, timeoutMs));
  let provider: ReturnType<ReturnType<typeof createCredentialProviderFactory>['create']> | undefined;
  try {
    provider = createCredentialProviderFactory().create(config.auth, { logger: { info() {}, warn() {} } });
  } catch (error) {
    checks.push({
      name: 'app credential (On-Behalf-Of)',
      status: 'fail',
      ...outboundCause(error),
      fix: outboundCause(error).fix ?? 'check clientCredential',
    });
  }
  const unreachable = checks.find(
    (c) => c.name === 'identity provider (OIDC discovery)' && c.status === 'fail',
  );
  if (provider && unreachable && config.auth.outboundAuthentication.type === 'JwtObo') {
    // the app credential is checked at the same identity provider: its failure would only repeat this one
    checks.push({
      name: 'app credential (On-Behalf-Of)',
      status: 'skip',
      detail: 'needs the identity provider, which could not be reached (see above)',
    });
    await provider.close?.();
  } else if (provider) {
    try {
      checks.push(await checkAppCredential(provider));
      const appOk = checks.at(-1)!.status !== 'fail';
      if (appOk) checks.push(...(await checkUserPath(config, provider, options.token, timeoutMs)));
    } finally {
      await provider.close?.();
    }
  }
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** One line per check: `PASS|FAIL|SKIP  name: detail`, and for a failure `  fix: …`. */
export function formatReport(report: DoctorReport): string {
  const lines = report.checks.map((c) => {
    const head = `${c.status.toUpperCase().padEnd(4)}  ${c.name}: ${c.detail}`;
    return c.fix && c.status === 'fail' ? `${head}\n      fix: ${c.fix}` : head;
  });
  lines.push(
    report.ok
      ? 'all checks passed'
      : `${report.checks.filter((c) => c.status === 'fail').length} check(s) failed`,
  );
  return `${lines.join('\n')}\n`;
}
