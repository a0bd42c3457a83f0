/**
 * Builds the SpanExporters OTEL_TRACES_EXPORTER names, each configured from
 * SidecarConfig only (explicit options, so what the docs say is what runs).
 *
 * Every network request ends within OTEL_BSP_EXPORT_TIMEOUT: the export queue
 * retries a batch whose export timed out, so a request still running after
 * that could deliver the batch a second time.
 */
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExporterName, SidecarConfig } from '../config.js';
import { FileSpanExporter } from './file-span-exporter.js';
import { OtlpFileSpanExporter } from './otlp-file-exporter.js';

/**
 * Batches one exporter may have in flight. The Jaeger exporter appends every
 * export into one shared sender buffer, so concurrent exports would mix their
 * spans and their results: one at a time.
 */
export function exportConcurrency(name: ExporterName): number {
  return name === 'jaeger' ? 1 : 4;
}

export function createExporter(name: ExporterName, config: SidecarConfig): SpanExporter {
  const requestTimeoutMs = Math.min(config.otlp.timeoutMs, config.batch.exportTimeoutMs);
  switch (name) {
    case 'otlp':
      return new OTLPTraceExporter({
        url: config.otlp.url,
        headers: config.otlp.headers,
        timeoutMillis: requestTimeoutMs,
      });
    case 'jaeger':
      // With an endpoint the exporter POSTs Thrift batches to the collector
      // (/api/traces); without, it sends them over UDP to the agent (a send
      // that never waits for an answer, so it needs no timeout).
      return boundCollectorRequests(
        new JaegerExporter({
          host: config.jaeger.host,
          port: config.jaeger.port,
          endpoint: config.jaeger.endpoint || undefined,
          username: config.jaeger.username || undefined,
          password: config.jaeger.password || undefined,
        }),
        config.batch.exportTimeoutMs,
      );
    case 'console':
      return new ConsoleSpanExporter();
    case 'file':
      return new FileSpanExporter(config.fileExporterPath);
    case 'otlp-file':
      return new OtlpFileSpanExporter(config.otlpFilePath);
  }
}

interface JaegerInternals {
  _getSender(span: unknown): { _httpOptions?: Record<string, unknown> };
}

/**
 * jaeger-client's HTTPSender passes its timeout to http.request as `timeout`,
 * which only reports an idle socket and never ends the request, so a collector
 * that accepts and never answers would hold an export forever. Give each
 * collector request its own AbortSignal instead (http.request copies the
 * options, reading the getter once per request). This reaches into private
 * fields; test/sidecar/exporters.test.ts fails if an upgrade moves them.
 */
function boundCollectorRequests(exporter: JaegerExporter, timeoutMs: number): JaegerExporter {
  const internals = exporter as unknown as JaegerInternals;
  const getSender = internals._getSender.bind(exporter);
  internals._getSender = (span) => {
    const sender = getSender(span);
    const options = sender._httpOptions;
    if (options && !Object.prototype.hasOwnProperty.call(options, 'signal')) {
      Object.defineProperty(options, 'signal', { enumerable: true, get: () => AbortSignal.timeout(timeoutMs) });
    }
    return sender;
  };
  return exporter;
}
