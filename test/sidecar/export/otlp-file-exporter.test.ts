/**
 * OTEL_TRACES_EXPORTER=otlp-file: one OTLP/JSON ExportTraceServiceRequest per
 * line (hex ids, nanosecond strings), appended, readable by the report.
 * End to end through NGINX it runs in test/demo/trace-continuation.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sidecar/config.js';
import { createExporter } from '../../../src/sidecar/export/exporters.js';
import { SdkExporter } from '../../../src/sidecar/export/sdk-exporter.js';
import { OtlpFileSpanExporter } from '../../../src/sidecar/export/otlp-file-exporter.js';
import { parseOtlpJson } from '../../../src/report/read-otlp-json.js';
import { ms, spans } from '../support/spans.js';

const dir = mkdtempSync(join(tmpdir(), 'njs-tracing-otlp-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function exportTo(exporter: OtlpFileSpanExporter, batch: ReturnType<typeof spans>): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

describe('otlp-file exporter', () => {
  it('appends one ExportTraceServiceRequest per export as a JSON line, in the OTLP/JSON encoding', async () => {
    const path = join(dir, 'a.jsonl');
    const exporter = new OtlpFileSpanExporter(path);
    const first = spans();
    const second = spans();
    expect(await exportTo(exporter, first)).toMatchObject({ code: ExportResultCode.SUCCESS });
    expect(await exportTo(exporter, second)).toMatchObject({ code: ExportResultCode.SUCCESS });
    await exporter.shutdown();

    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2);
    const request = JSON.parse(lines[0]);
    const resource = request.resourceSpans[0].resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'ingress-nginx' } });
    const server = request.resourceSpans[0].scopeSpans[0].spans[0];
    const expected = first[0];
    expect(server).toMatchObject({
      traceId: expected.spanContext().traceId, // hex, as OTLP/JSON requires (not base64)
      spanId: expected.spanContext().spanId,
      kind: 2,
      name: expected.name,
      startTimeUnixNano: String(BigInt(expected.startTime[0]) * 1_000_000_000n + BigInt(expected.startTime[1])),
    });
    expect(typeof server.startTimeUnixNano).toBe('string');
  });

  it('round-trips through the report reader: ids, parents, kinds and times', async () => {
    const path = join(dir, 'b.jsonl');
    const exporter = new OtlpFileSpanExporter(path);
    const batch = spans();
    await exportTo(exporter, batch);
    await exporter.shutdown();
    const read = parseOtlpJson(readFileSync(path, 'utf8'));
    expect(read.skipped).toBe(0);
    expect(read.spans.map((s) => [s.spanId, s.parentSpanId, s.kind, s.startUs / 1000])).toEqual(
      batch.map((s) => [s.spanContext().spanId, s.parentSpanContext?.spanId ?? '', s.kind === 1 ? 'server' : 'client', ms(s.startTime)]),
    );
  });

  it('is what OTEL_TRACES_EXPORTER=otlp-file makes, writing to NJS_TRACING_OTLP_FILE_PATH', async () => {
    const path = join(dir, 'c.jsonl');
    const config = loadConfig({ OTEL_TRACES_EXPORTER: 'otlp-file,otlp', NJS_TRACING_OTLP_FILE_PATH: path });
    expect(config.exporters).toEqual(['otlp-file', 'otlp']);
    // Run as the export pipeline runs every exporter (an SDK SpanExporter wrapped as a BatchExporter).
    const exporter = createExporter('otlp-file', config);
    expect(exporter).toBeInstanceOf(SdkExporter);
    expect(await exporter.export(spans(), new AbortController().signal)).toEqual({ kind: 'ok', rejected: 0 });
    await exporter.shutdown();
    expect(parseOtlpJson(readFileSync(path, 'utf8')).spans.length).toBeGreaterThan(0);
  });

  it('fails the export, without throwing, when the file cannot be written', async () => {
    const exporter = new OtlpFileSpanExporter(join(dir, 'missing-dir', 'x.jsonl'));
    const result = await exportTo(exporter, spans());
    expect(result.code).toBe(ExportResultCode.FAILED);
  });
});
