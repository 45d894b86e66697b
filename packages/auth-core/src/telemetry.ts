// OpenTelemetry through `@opentelemetry/api`, an optional peer: when it is not installed nothing
// is loaded and every call here is a plain function call that does nothing; when it is installed
// without an SDK, the API's own no-op tracer and meter answer. Attributes never carry a token, a
// secret or query text: callers pass names, codes and outcomes only.
import { createRequire } from 'node:module';

/** The parts of `@opentelemetry/api` used here (typed locally: the kit's types never need the package). */
interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException?(exception: { name: string; message: string }): unknown;
  end(): void;
  isRecording(): boolean;
}
interface OtelTracer {
  startActiveSpan<T>(
    name: string,
    options: { attributes?: Attributes; kind?: number },
    fn: (span: OtelSpan) => T,
  ): T;
}
interface OtelCounter {
  add(value: number, attributes?: Attributes): void;
}
interface OtelHistogram {
  record(value: number, attributes?: Attributes): void;
}
interface OtelObservable {
  addCallback(cb: (result: { observe(value: number, attributes?: Attributes): void }) => void): void;
}
interface OtelMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): OtelCounter;
  createHistogram(name: string, options?: { description?: string; unit?: string }): OtelHistogram;
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): OtelObservable;
}
interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    getTracerProvider(): { getDelegate?(): unknown };
  };
  ProxyTracerProvider: new () => { getDelegate(): unknown };
  metrics: { getMeterProvider(): object; getMeter(name: string, version?: string): OtelMeter };
  context: { active(): unknown; with<T>(ctx: unknown, fn: () => T): T };
  propagation: {
    extract(ctx: unknown, carrier: Record<string, string>, getter?: unknown): unknown;
  };
  SpanStatusCode: { ERROR: number };
  createNoopMeter(): object;
}

export type Attributes = Record<string, string | number | boolean>;

const NAME = 'mcp-auth-kit';
let api: OtelApi | null | undefined;
/** The API's no-op tracer provider: what a proxy delegates to while no SDK is registered. */
let noopTracerProvider: unknown;

/** `@opentelemetry/api` if the application installed it, else null (looked up once). */
function otel(): OtelApi | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
      noopTracerProvider = new api.ProxyTracerProvider().getDelegate();
    } catch {
      api = null;
    }
  }
  return api;
}

/**
 * Runs `fn` inside a span named `name` (a child of the active context). The span records the
 * outcome: an error's name (never its message, which may quote input) sets status ERROR.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: { setAttribute(key: string, value: string | number | boolean): void }) => Promise<T>,
): Promise<T> {
  const o = otel();
  if (!o || !tracing(o)) return fn(NO_SPAN);
  return o.trace.getTracer(NAME).startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span as never);
    } catch (error) {
      const e = error as { name?: string; code?: unknown };
      span.setStatus({
        code: o.SpanStatusCode.ERROR,
        message: typeof e?.code === 'string' ? e.code : (e?.name ?? 'error'),
      });
      if (typeof e?.code === 'string') span.setAttribute('error.type', e.code);
      else span.setAttribute('error.type', e?.name ?? 'Error');
      throw error;
    } finally {
      span.end();
    }
  });
}

const NO_SPAN = { setAttribute() {} };

/** Whether an SDK registered a tracer provider (else spans would be the API's no-op ones: skip them). */
function tracing(o: OtelApi): boolean {
  const provider = o.trace.getTracerProvider();
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate !== noopTracerProvider;
}

/**
 * Runs `fn` with the trace context a request carried (`_meta.traceparent` / `tracestate` of the
 * 2026-07-28 protocol) as the parent, so the server's spans join the client's trace.
 */
export function withTraceContext<T>(meta: unknown, fn: () => T): T {
  const o = otel();
  const m = meta as { traceparent?: unknown; tracestate?: unknown } | undefined;
  if (!o || typeof m?.traceparent !== 'string' || !tracing(o)) return fn();
  const carrier: Record<string, string> = { traceparent: m.traceparent.slice(0, 256) };
  if (typeof m.tracestate === 'string') carrier.tracestate = m.tracestate.slice(0, 512);
  return o.context.with(o.propagation.extract(o.context.active(), carrier), fn);
}

// ---- metrics -----------------------------------------------------------------------------------

interface Instruments {
  readonly provider: object;
  readonly inbound: OtelCounter;
  readonly tokenRequests: OtelCounter;
  readonly idpDuration: OtelHistogram;
  readonly idpErrors: OtelCounter;
}
let instruments: Instruments | undefined;
/** Gauges by name, each read from every source registered under it (one per tool pack, say). */
const gauges = new Map<string, { description: string; sources: Set<() => Array<[number, Attributes]>> }>();

/** The API's no-op meter provider, once seen: compared by identity on every later call. */
let noopProvider: unknown;

/** The instruments of the meter provider registered now (an SDK registered later gets new ones). */
function meters(): Instruments | undefined {
  const o = otel();
  if (!o) return undefined;
  const provider = o.metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  if (provider === noopProvider) return undefined;
  const meter = o.metrics.getMeter(NAME);
  // no SDK registered: the API's no-op meter (the one createNoopMeter answers) would swallow
  // everything; remembered, and a provider registered later is seen on the next call
  if (meter === o.createNoopMeter()) {
    noopProvider = provider;
    return undefined;
  }
  instruments = {
    provider,
    inbound: meter.createCounter('mcp_auth.inbound.requests', {
      description: 'Inbound authentication outcomes, by outcome and reason',
    }),
    tokenRequests: meter.createCounter('mcp_auth.token.requests', {
      description: 'Outbound token requests, by provider and cache result (hit, miss)',
    }),
    idpDuration: meter.createHistogram('mcp_auth.idp.duration', {
      description: 'Identity provider request latency, by grant and outcome',
      unit: 's',
    }),
    idpErrors: meter.createCounter('mcp_auth.idp.errors', {
      description: 'Identity provider request failures, by grant and error code',
    }),
  };
  for (const [name, gauge] of gauges) registerGauge(meter, name, gauge);
  return instruments;
}

function registerGauge(
  meter: OtelMeter,
  name: string,
  gauge: { description: string; sources: Set<() => Array<[number, Attributes]>> },
): void {
  meter.createObservableGauge(name, { description: gauge.description }).addCallback((result) => {
    for (const source of gauge.sources)
      for (const [value, attributes] of source()) result.observe(value, attributes);
  });
}

/** Counts one inbound authentication outcome (`authenticated`, `invalid_token`, …) with its reason. */
export function recordInbound(outcome: string, reason?: string): void {
  meters()?.inbound.add(1, reason ? { outcome, reason } : { outcome });
}

/** Counts one outbound token request and whether a cache answered it. */
export function recordTokenRequest(provider: string, cache: 'hit' | 'miss'): void {
  meters()?.tokenRequests.add(1, { provider, cache });
}

/** Records one identity provider round trip: its latency and, on failure, its error code. */
export function recordIdpCall(grant: string, seconds: number, errorCode?: string): void {
  const m = meters();
  if (!m) return;
  m.idpDuration.record(seconds, { grant, outcome: errorCode ? 'error' : 'ok' });
  if (errorCode) m.idpErrors.add(1, { grant, code: errorCode });
}

/**
 * A gauge read at each export (pools and connections, say), from this source beside any other
 * registered under the same name. Returns the function that removes the source (call it on close).
 */
export function observeGauge(
  name: string,
  description: string,
  observe: () => Array<[number, Attributes]>,
): () => void {
  let gauge = gauges.get(name);
  const fresh = gauge === undefined;
  if (!gauge) {
    gauge = { description, sources: new Set() };
    gauges.set(name, gauge);
  }
  gauge.sources.add(observe);
  const o = otel();
  if (o && instruments && fresh) registerGauge(o.metrics.getMeter(NAME), name, gauge);
  else meters();
  return () => {
    gauge.sources.delete(observe);
  };
}
