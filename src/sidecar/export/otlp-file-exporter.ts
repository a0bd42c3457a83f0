/**
 * OTEL_TRACES_EXPORTER=otlp-file: the OpenTelemetry "OTLP file" format, one
 * ExportTraceServiceRequest in OTLP/JSON per line (ids in hex, times as
 * decimal strings), appended to NJS_TRACING_OTLP_FILE_PATH. The OpenTelemetry
 * Collector's file receiver, `njs-tracing report` and jq read it. The JSON
 * comes from @opentelemetry/otlp-transformer, the same encoder the OTLP/JSON
 * exporters use, so it is the wire format and not our own shape.
 *
 * Several processes may append to one file (the demo's sidecar and services):
 * each export is one write of whole lines to a file opened with O_APPEND,
 * which Linux never interleaves on a local file system.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Spans per line: a line holds one request; bounded so a reader never meets a huge line. */
const MAX_SPANS_PER_LINE = 512;

/** One OTLP/JSON ExportTraceServiceRequest line (newline-terminated) per chunk of spans. */
export function otlpJsonLines(spans: ReadableSpan[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < spans.length; i += MAX_SPANS_PER_LINE) {
    parts.push(Buffer.from(JsonTraceSerializer.serializeRequest(spans.slice(i, i + MAX_SPANS_PER_LINE)) ?? new Uint8Array()));
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export class OtlpFileSpanExporter implements SpanExporter {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
    // An error (disk full, path gone) fails the exports that follow; it must not crash the process.
    this.stream.on('error', () => {});
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (spans.length === 0 || this.stream.destroyed) {
      done(this.stream.destroyed ? { code: ExportResultCode.FAILED, error: new Error('file closed') } : { code: ExportResultCode.SUCCESS });
      return;
    }
    this.stream.write(otlpJsonLines(spans), (error) =>
      done(error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS }),
    );
  }

  forceFlush(): Promise<void> {
    return new Promise((resolve) => (this.stream.writableLength === 0 ? resolve() : this.stream.once('drain', resolve)));
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => (this.stream.closed ? resolve() : this.stream.end(resolve)));
  }
}
