// ARM's answers: its error shape, and the resources as the resource provider describes them.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../http.js';
import {
  type EmulatedConfiguration,
  type EmulatedFlexibleServer,
  PROVIDER,
  serverId,
} from './ArmEmulator.js';

/** An ARM error answer: status, ARM's `code`, its message, extra headers. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** ARM's answers carry a request id, as every ARM response does. */
export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, { 'x-ms-request-id': randomUUID(), ...headers });
}

export function serverResource(s: EmulatedFlexibleServer, tenantId: string) {
  return {
    id: serverId(s.subscriptionId, s.resourceGroup, s.name),
    name: s.name,
    type: `${PROVIDER}/flexibleServers`,
    location: s.location,
    sku: s.sku,
    properties: {
      fullyQualifiedDomainName: s.fullyQualifiedDomainName,
      version: s.version,
      state: 'Ready',
      storage: { ...s.storage, tier: 'P10', iops: 500, type: '' },
      backup: {
        ...s.backup,
        earliestRestoreDate: new Date(Date.now() - s.backup.backupRetentionDays * 86_400_000).toISOString(),
      },
      highAvailability: {
        ...s.highAvailability,
        state: s.highAvailability.mode === 'Disabled' ? 'NotEnabled' : 'Healthy',
      },
      network: s.network,
      authConfig: { activeDirectoryAuth: 'Enabled', passwordAuth: 'Disabled', tenantId },
      availabilityZone: '1',
    },
  };
}

export function configurationResource(s: EmulatedFlexibleServer, c: EmulatedConfiguration) {
  return {
    id: `${serverId(s.subscriptionId, s.resourceGroup, s.name)}/configurations/${c.name}`,
    name: c.name,
    type: `${PROVIDER}/flexibleServers/configurations`,
    properties: {
      value: c.value,
      description: c.description,
      defaultValue: c.defaultValue,
      dataType: c.dataType,
      allowedValues: c.allowedValues,
      source: c.source,
      isDynamicConfig: c.isDynamicConfig,
      isReadOnly: false,
      isConfigPendingRestart: c.isConfigPendingRestart,
      unit: c.unit,
      documentationLink: 'https://www.postgresql.org/docs/current/runtime-config.html',
    },
  };
}

export function validValue(c: EmulatedConfiguration, value: string): boolean {
  if (c.allowedValues === '') return true;
  if (c.dataType === 'Integer' || c.dataType === 'Numeric') {
    const m = /^(-?\d+)-(-?\d+)$/.exec(c.allowedValues);
    if (!m || !/^-?\d+$/.test(value)) return false;
    const n = Number(value);
    return n >= Number(m[1]) && n <= Number(m[2]);
  }
  const allowed = c.allowedValues.split(',');
  if (c.dataType === 'Set') return value === '' || value.split(',').every((v) => allowed.includes(v.trim()));
  return allowed.includes(value);
}
