/**
 * The demo services' OpenTelemetry setup, preloaded with `node --require`
 * before the service's own code so the official instrumentations can patch
 * `http` and `pg` as they load. Spans continue the context NGINX injected
 * (W3C traceparent, the SDK's default propagator) and go where the sidecar's
 * go: OTEL_TRACES_EXPORTER lists `otlp-file` (the OTLP file format, through
 * the sidecar's own exporter module, to NJS_TRACING_OTLP_FILE_PATH) and/or
 * `otlp` (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. Jaeger's OTLP port).
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { OtlpFileSpanExporter } from '../../../src/sidecar/export/otlp-file-exporter.js';

const env = process.env;
const exporters = (env.OTEL_TRACES_EXPORTER || 'otlp-file').split(',').map((name) => name.trim());
const batch = { scheduledDelayMillis: 200, maxExportBatchSize: 512, maxQueueSize: 8192 };
const spanProcessors: SpanProcessor[] = [];
if (exporters.includes('otlp-file')) {
  spanProcessors.push(new BatchSpanProcessor(new OtlpFileSpanExporter(env.NJS_TRACING_OTLP_FILE_PATH || '/dev/stdout'), batch));
}
if (exporters.includes('otlp')) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter(), batch));

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'demo-service' }),
  spanProcessors,
});
provider.register();

registerInstrumentations({
  instrumentations: [
    new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' }),
    // Only queries made while serving a request; pool/connect spans add nothing to the picture.
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
  ],
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await provider.shutdown().catch(() => undefined);
  process.exit(0);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
