/**
 * Runs one demo scenario with the demo's own pieces (scripts/demo/stack.ts:
 * PostgreSQL, the instrumented services, the sidecar, the fault) behind a
 * real NGINX started by the test harness, drives load, and returns what the
 * spans say. Everything is stopped before it returns, so the OTLP file holds
 * every span that will ever be written.
 */
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driveLoad, type LoadResult } from '../../scripts/demo/load.js';
import { startStack, waitForRecords, type Fault } from '../../scripts/demo/stack.js';
import { parseOtlpJson } from '../../src/report/read-otlp-json.js';
import type { Span } from '../../src/report/spans.js';
import { startNginx } from '../support/nginx.js';
import { runtime, type Runtime } from '../support/runtimes.js';

export interface ScenarioResult {
  load: LoadResult;
  spans: Span[];
  otlpFile: string;
  /** The sidecar's /metrics text after it read every record. */
  metrics: string;
  /** Removes the temp dir holding the OTLP file. */
  cleanup(): void;
}

/** NGINX logs these when the fault works as meant; anything else at [error] fails the test. */
const EXPECTED_ERRORS: Partial<Record<Fault, RegExp[]>> = {
  'slow-connect': [/upstream timed out \(110: Connection timed out\) while connecting to upstream/],
};

export interface ScenarioOptions {
  /** The NGINX runtime (default: nginx 1.22 + njs 0.7.9 on the host). */
  runtime?: Runtime;
  /** OTEL_TRACES_EXPORTER for the sidecar and services (default otlp-file) and more environment for them. */
  exporters?: string;
  env?: Record<string, string>;
}

export async function runScenario(fault: Fault, requests: number, concurrency: number, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const rt = options.runtime ?? runtime('njs-0.7.9');
  const dir = mkdtempSync(join(tmpdir(), 'njs-tracing-demo-test-'));
  chmodSync(dir, 0o755);
  const otlpFile = join(dir, 'spans.jsonl');
  const stack = await startStack({ fault, dir, otlpFile, exporters: options.exporters, env: options.env });
  try {
    const nginx = await startNginx({
      runtime: rt,
      http: stack.nginxHttpConfig('127.0.0.1:{{port:main}}', '{{conf}}'),
      allowErrors: EXPECTED_ERRORS[fault],
    });
    const metricsUrl = await stack.startSidecar(join(nginx.prefix, 'logs', 'spans.log'));
    const load = await driveLoad({ port: nginx.port('main'), requests, concurrency, slowUpload: fault === 'slow-upload' });
    await nginx.stop(); // flushes the buffered records; fails on unexpected error.log lines
    await waitForRecords(metricsUrl, requests);
    const metrics = await (await fetch(metricsUrl)).text();
    await stack.stop();
    return {
      load,
      spans: parseOtlpJson(readFileSync(otlpFile, 'utf8')).spans,
      otlpFile,
      metrics,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
