/**
 * Builds the SpanExporters OTEL_TRACES_EXPORTER names, each configured from
 * SidecarConfig only (explicit options, so what the docs say is what runs).
 */
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExporterName, SidecarConfig } from './config.js';
import { FileSpanExporter } from './file-span-exporter.js';

export function createExporter(name: ExporterName, config: SidecarConfig): SpanExporter {
  switch (name) {
    case 'otlp':
      return new OTLPTraceExporter({
        url: config.otlp.url,
        headers: config.otlp.headers,
        timeoutMillis: config.otlp.timeoutMs,
      });
    case 'jaeger':
      // With an endpoint the exporter POSTs Thrift batches to the collector
      // (/api/traces); without, it sends them over UDP to the agent.
      return new JaegerExporter({
        host: config.jaeger.host,
        port: config.jaeger.port,
        endpoint: config.jaeger.endpoint || undefined,
        username: config.jaeger.username || undefined,
        password: config.jaeger.password || undefined,
      });
    case 'console':
      return new ConsoleSpanExporter();
    case 'file':
      return new FileSpanExporter(config.fileExporterPath);
  }
}
