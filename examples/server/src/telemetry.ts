// OpenTelemetry export for the example server: on when the standard OTEL_EXPORTER_OTLP_ENDPOINT
// (or its traces / metrics variants) is set. The OpenTelemetry Node SDK reads the rest of the
// standard variables itself: OTEL_EXPORTER_OTLP_PROTOCOL (grpc, http/protobuf, http/json),
// OTEL_SERVICE_NAME, OTEL_METRIC_EXPORT_INTERVAL, OTEL_BSP_SCHEDULE_DELAY. The kit's spans and
// metrics come through @opentelemetry/api; without this, they cost nothing but a no-op call.

/** Starts the SDK when an OTLP endpoint is configured; returns the function that flushes and stops it. */
export async function startTelemetry(
  env: NodeJS.ProcessEnv = process.env,
): Promise<(() => Promise<void>) | undefined> {
  if (
    !env.OTEL_EXPORTER_OTLP_ENDPOINT &&
    !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT &&
    !env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
  ) {
    return undefined;
  }
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'mcp-auth-kit-example',
    // the kit's own spans only; add instrumentations (http, pg) in your server if you want them
    instrumentations: [],
  });
  sdk.start();
  return () => sdk.shutdown();
}
