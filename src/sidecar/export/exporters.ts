/**
 * Builds the exporters OTEL_TRACES_EXPORTER names, each configured from
 * SidecarConfig only (explicit options, so what the docs say is what runs).
 * Every request is ended by the export pipeline's AbortSignal at
 * OTEL_BSP_EXPORT_TIMEOUT (and for OTLP at OTEL_EXPORTER_OTLP_TIMEOUT, when
 * shorter), so no request outlives the batch's place in the queue.
 */
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExporterName, SidecarConfig } from '../config.js';
import { FileSpanExporter } from './file-span-exporter.js';
import { JaegerCollectorExporter } from './jaeger-collector-exporter.js';
import { OtlpHttpExporter } from './otlp-exporter.js';
import { OtlpFileSpanExporter } from './otlp-file-exporter.js';
import type { BatchExporter } from './outcome.js';
import { SdkExporter } from './sdk-exporter.js';

/**
 * Requests one exporter may have in flight. The Jaeger agent exporter (UDP)
 * appends every export into one shared sender buffer, so concurrent exports
 * would mix their spans and their results: one at a time.
 */
export function exportConcurrency(name: ExporterName, config: SidecarConfig): number {
  return name === 'jaeger' && !config.jaeger.endpoint ? 1 : 4;
}

/** The per-request time limit: OTLP also honours OTEL_EXPORTER_OTLP_TIMEOUT when it is shorter. */
export function requestTimeoutMs(name: ExporterName, config: SidecarConfig): number {
  return name === 'otlp' ? Math.min(config.otlp.timeoutMs, config.batch.exportTimeoutMs) : config.batch.exportTimeoutMs;
}

export function createExporter(name: ExporterName, config: SidecarConfig): BatchExporter {
  switch (name) {
    case 'otlp':
      return new OtlpHttpExporter({ url: config.otlp.url, headers: config.otlp.headers });
    case 'jaeger':
      // With an endpoint: Thrift batches POSTed to the collector (/api/traces); without: UDP to the agent.
      if (config.jaeger.endpoint) return new JaegerCollectorExporter(config.jaeger);
      return new SdkExporter(new JaegerExporter({ host: config.jaeger.host, port: config.jaeger.port }));
    case 'console':
      return new SdkExporter(new ConsoleSpanExporter());
    case 'file':
      return new SdkExporter(new FileSpanExporter(config.fileExporterPath));
    case 'otlp-file':
      return new SdkExporter(new OtlpFileSpanExporter(config.otlpFilePath));
  }
}
