/**
 * Pointing the environment at an OTLP endpoint sends every span there as
 * well: the demo's sidecar and services with OTEL_TRACES_EXPORTER=otlp-file,otlp
 * and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT at a test receiver that decodes
 * OTLP/protobuf (a stand-in for Jaeger's or a Collector's OTLP port).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOtlpReceiver } from '../support/fake-otlp.js';
import { runScenario, type ScenarioResult } from './scenario.js';

const REQUESTS = 10;

describe('demo spans to an OTLP endpoint as well as the file', () => {
  const receiver = new FakeOtlpReceiver();
  let run: ScenarioResult;

  beforeAll(async () => {
    await receiver.start();
    run = await runScenario('none', REQUESTS, 2, {
      exporters: 'otlp-file,otlp',
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url },
    });
  }, 120_000);
  afterAll(async () => {
    run?.cleanup();
    await receiver.stop();
  });

  it('delivers the same spans, from the sidecar and every service, to both', () => {
    const key = (traceId: string, spanId: string) => `${traceId}/${spanId}`;
    const inFile = new Set(run.spans.map((s) => key(s.traceId, s.spanId)));
    const received = new Set(receiver.spans.map((s) => key(s.traceId, s.spanId)));
    expect(inFile.size).toBe(REQUESTS * 6);
    expect(received).toEqual(inFile);
    const services = new Set(receiver.spans.map((s) => s.resource['service.name']));
    expect(services).toEqual(new Set(['ingress-nginx', 'frontend', 'orders']));
  });
});
