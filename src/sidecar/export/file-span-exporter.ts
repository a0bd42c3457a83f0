/**
 * OTEL_TRACES_EXPORTER=file: one JSON object per span per line, appended to
 * NJS_TRACING_FILE_EXPORTER_PATH (default /dev/stdout). For local use and
 * debugging; the shape is compact and meant for humans and jq, not a standard.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export function spanToJson(span: ReadableSpan): Record<string, unknown> {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    name: span.name,
    kind: SpanKind[span.kind],
    startUs: hrTimeToMicroseconds(span.startTime),
    durationUs: hrTimeToMicroseconds(span.duration),
    status: span.status.code,
    attributes: span.attributes,
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
    service: span.resource.attributes['service.name'],
  };
}

export class FileSpanExporter implements SpanExporter {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const text = spans.map((span) => JSON.stringify(spanToJson(span))).join('\n') + '\n';
    this.stream.write(text, (error) => done(error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS }));
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
