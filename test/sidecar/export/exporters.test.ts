import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sidecar/config.js';
import { createExporter, exportConcurrency } from '../../../src/sidecar/export/exporters.js';
import { FakeJaeger } from '../../support/fake-jaeger.js';
import { spans } from '../support/spans.js';

/** A backend that accepts requests and never answers; it notes when the client gives up on one. */
async function silentBackend() {
  const closedAfterMs: number[] = [];
  const server: Server = createServer((request) => {
    const started = Date.now();
    request.resume();
    request.socket.once('close', () => closedAfterMs.push(Date.now() - started));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { port, closedAfterMs, stop: () => (server.closeAllConnections(), new Promise((resolve) => server.close(resolve))) };
}

let backend: Awaited<ReturnType<typeof silentBackend>> | null = null;
let exporter: SpanExporter | null = null;
afterEach(async () => {
  await exporter?.shutdown().catch(() => undefined);
  await backend?.stop();
  exporter = backend = null;
});

/** Exports one record's spans; resolves with the result and how long it took. */
function exportOnce(target: SpanExporter): Promise<{ result: ExportResult; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => target.export(spans(), (result) => resolve({ result, ms: Date.now() - started })));
}

describe('exporter request timeouts never exceed OTEL_BSP_EXPORT_TIMEOUT', () => {
  it('OTLP: ends the request after the export timeout when it is shorter than OTEL_EXPORTER_OTLP_TIMEOUT', async () => {
    backend = await silentBackend();
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${backend.port}/v1/traces`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '10000',
      OTEL_BSP_EXPORT_TIMEOUT: '300',
    });
    exporter = createExporter('otlp', config);
    const { result, ms } = await exportOnce(exporter);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(ms).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(backend.closedAfterMs.length).toBeGreaterThanOrEqual(1); // aborted, not left running
  });

  it('Jaeger collector: aborts a request the collector never answers after the export timeout', async () => {
    backend = await silentBackend();
    const config = loadConfig({
      OTEL_EXPORTER_JAEGER_ENDPOINT: `http://127.0.0.1:${backend.port}/api/traces`,
      OTEL_BSP_EXPORT_TIMEOUT: '300',
    });
    exporter = createExporter('jaeger', config);
    const { result, ms } = await exportOnce(exporter);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(backend.closedAfterMs).toHaveLength(1);
    // The next export gets a fresh deadline, not the spent one.
    const again = await exportOnce(exporter);
    expect(again.ms).toBeGreaterThanOrEqual(250);
  });

  it('Jaeger collector: a deadline passing after a request ended harms no later request on the kept-alive connection', async () => {
    const jaeger = await new FakeJaeger().start();
    try {
      exporter = createExporter('jaeger', loadConfig({ OTEL_EXPORTER_JAEGER_ENDPOINT: jaeger.collectorUrl, OTEL_BSP_EXPORT_TIMEOUT: '100' }));
      for (let i = 0; i < 4; i++) {
        expect((await exportOnce(exporter)).result.code, `export ${i}`).toBe(ExportResultCode.SUCCESS);
        await new Promise((resolve) => setTimeout(resolve, 60)); // the previous request's deadline passes mid-way
      }
      expect(jaeger.spans).toHaveLength(8);
    } finally {
      await jaeger.stop();
    }
  });

  it('exports one Jaeger batch at a time: its sender buffer is shared between exports', () => {
    expect(exportConcurrency('jaeger')).toBe(1);
    expect(exportConcurrency('otlp')).toBeGreaterThan(1);
  });
});
