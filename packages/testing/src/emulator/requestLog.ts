import type { EmulatorEndpoint, Fault } from '../faults.js';
import type { RecordedRequest } from '../types.js';

/** The faults set on endpoints and every request answered, for tests to inject failures and count calls. */
export class RequestLog {
  readonly faults = new Map<EmulatorEndpoint, Fault>();
  readonly records: RecordedRequest[] = [];

  setFault(endpoint: EmulatorEndpoint, fault: Fault | undefined): void {
    if (fault) this.faults.set(endpoint, fault);
    else this.faults.delete(endpoint);
  }

  /** How many recorded requests match every given field. */
  count(filter: RequestFilter): number {
    return this.records.filter((r) =>
      Object.entries(filter).every(([k, v]) => v === undefined || r[k as keyof RecordedRequest] === v),
    ).length;
  }
}

/** The fields a count can be filtered by. */
export type RequestFilter = Partial<
  Pick<RecordedRequest, 'endpoint' | 'grant' | 'clientId' | 'objectId' | 'scope' | 'status'>
>;
