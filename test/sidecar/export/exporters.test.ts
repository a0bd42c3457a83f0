/**
 * The exporters' requests against real HTTP servers on loopback: how each
 * answer is read (OTLP specification rules, also for the Jaeger collector),
 * partial success, and that an abort really ends the request.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/sidecar/config.js';
import { createExporter, exportConcurrency, requestTimeoutMs } from '../../../src/sidecar/export/exporters.js';
import { parseRetryAfter } from '../../../src/sidecar/export/outcome.js';
import { FakeJaeger } from '../../support/fake-jaeger.js';
import { countOtlpSpans, decodeOtlpTraces, FakeOtlpReceiver } from '../../support/fake-otlp.js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { spans } from '../support/spans.js';

/** A backend that answers every request with `status` (or never, when null); it notes when a connection closes. */
async function backend(status: number | null, headers: Record<string, string> = {}) {
  const closed: number[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.socket.once('close', () => closed.push(Date.now()));
    if (status !== null) request.on('end', () => response.writeHead(status, headers).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { port, closed, stop: () => (server.closeAllConnections(), new Promise((resolve) => server.close(resolve))) };
}

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const otlpAt = (port: number) => createExporter('otlp', loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces` }));
const jaegerAt = (url: string) => createExporter('jaeger', loadConfig({ OTEL_EXPORTER_JAEGER_ENDPOINT: url }));
const never = () => new AbortController().signal;

describe('OTLP exporter reads answers as the OTLP specification says', () => {
  it.each([
    [429, { kind: 'retry', retryAfterMs: 7000 }],
    [502, { kind: 'retry' }],
    [503, { kind: 'retry', retryAfterMs: 7000 }],
    [504, { kind: 'retry' }],
    [400, { kind: 'drop', reason: 'http_400' }],
    [401, { kind: 'drop', reason: 'http_401' }],
    [404, { kind: 'drop', reason: 'http_404' }],
    [413, { kind: 'drop', reason: 'http_413' }],
    [500, { kind: 'drop', reason: 'http_500' }],
  ])('HTTP %i', async (status, expected) => {
    const server = await backend(status, status === 429 || status === 503 ? { 'retry-after': '7' } : {});
    stops.push(server.stop);
    expect(await otlpAt(server.port).export(spans(), never())).toMatchObject(expected);
  });

  it('retries when nothing listens', async () => {
    const server = await backend(200);
    await server.stop();
    expect(await otlpAt(server.port).export(spans(), never())).toMatchObject({ kind: 'retry', error: expect.stringContaining('ECONNREFUSED') });
  });

  it('delivers the spans, and counts a partial success', async () => {
    const receiver = await new FakeOtlpReceiver().start();
    stops.push(() => receiver.stop());
    const exporter = otlpAt(receiver.port);
    expect(await exporter.export(spans(), never())).toEqual({ kind: 'ok', rejected: 0 });
    receiver.rejectSpans = 1;
    expect(await exporter.export(spans(), never())).toEqual({ kind: 'ok', rejected: 1, message: 'rejected by the test' });
    expect(receiver.spans).toHaveLength(4);
  });

  it('ends the request on the wire when aborted', async () => {
    const server = await backend(null);
    stops.push(server.stop);
    const controller = new AbortController();
    const exporting = otlpAt(server.port).export(spans(), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const abortedAt = Date.now();
    controller.abort(new Error('deadline'));
    expect(await exporting).toMatchObject({ kind: 'retry' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.closed.length).toBe(1);
    expect(server.closed[0]).toBeGreaterThanOrEqual(abortedAt);
  });
});

describe('Jaeger collector exporter: one request per export, same answer rules', () => {
  it('POSTs one Thrift batch the collector decodes', async () => {
    const jaeger = await new FakeJaeger().start();
    stops.push(() => jaeger.stop());
    const exporter = jaegerAt(jaeger.collectorUrl);
    const many = Array.from({ length: 150 }, () => spans()).flat(); // over jaeger-client's 100-span sender flushes
    expect(await exporter.export(many, never())).toEqual({ kind: 'ok', rejected: 0 });
    expect(jaeger.spans).toHaveLength(300);
  });

  it.each([
    [503, 'retry'],
    [400, 'drop'],
    [500, 'drop'],
  ])('HTTP %i -> %s', async (status, kind) => {
    const server = await backend(status);
    stops.push(server.stop);
    expect(await jaegerAt(`http://127.0.0.1:${server.port}/api/traces`).export(spans(), never())).toMatchObject({ kind });
  });

  it('ends the request on the wire when aborted', async () => {
    const server = await backend(null);
    stops.push(server.stop);
    const controller = new AbortController();
    const exporting = jaegerAt(`http://127.0.0.1:${server.port}/api/traces`).export(spans(), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect(await exporting).toMatchObject({ kind: 'retry' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.closed.length).toBe(1);
  });
});

describe('exporter settings', () => {
  it('reads Retry-After as seconds or as an HTTP date, capped', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(parseRetryAfter('86400')).toBe(300_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('bounds each request by the export timeout, and OTLP also by its own timeout', () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_TIMEOUT: '10000', OTEL_BSP_EXPORT_TIMEOUT: '300' });
    expect(requestTimeoutMs('otlp', config)).toBe(300);
    expect(requestTimeoutMs('otlp', loadConfig({ OTEL_EXPORTER_OTLP_TIMEOUT: '200' }))).toBe(200);
    expect(requestTimeoutMs('jaeger', config)).toBe(300);
  });

  it('runs one Jaeger agent export at a time (its UDP sender buffer is shared), several collector and OTLP requests', () => {
    expect(exportConcurrency('jaeger', loadConfig({}))).toBe(1);
    expect(exportConcurrency('jaeger', loadConfig({ OTEL_EXPORTER_JAEGER_ENDPOINT: 'http://j:14268/api/traces' }))).toBe(4);
    expect(exportConcurrency('otlp', loadConfig({}))).toBe(4);
  });
});

describe('benchmark receiver', () => {
  it('counts the spans of a request without decoding them, as many as decoding finds', () => {
    const body = ProtobufTraceSerializer.serializeRequest(Array.from({ length: 300 }, () => spans()).flat())!;
    expect(countOtlpSpans(body)).toBe(decodeOtlpTraces(body).length);
    expect(countOtlpSpans(body)).toBe(600);
  });
});
