/**
 * The pieces of the no-loss tests: real NGINX writing the span file, the real
 * sidecar bin following it, and an OTLP receiver counting SERVER spans per
 * trace id; a bounded load loop whose every request carries a trace id of
 * its own, so "sent" and "received" compare exactly.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
import { FakeOtlpReceiver, OTLP_KIND } from '../../support/fake-otlp.js';
import { startNginx, type Nginx } from '../../support/nginx.js';
import type { Runtime } from '../../support/runtimes.js';
import { SidecarProcess } from './sidecar-process.js';

export function startFileNginx(runtime: Runtime): Promise<Nginx> {
  return startNginx({
    runtime,
    http: `
      include tracing-http.conf;
      server {
          listen 127.0.0.1:{{port:main}};
          location / { include tracing-location.conf; proxy_pass http://{{upstream:echo}}; }
      }`,
  });
}

export const spanFile = (nginx: Nginx) => join(nginx.prefix, 'logs', 'spans.log');

/** The sidecar on NGINX's span file only, exporting OTLP to `otlp`, with quick polling and batching. */
export function startFileSidecar(nginx: Nginx, otlp: FakeOtlpReceiver, env: Record<string, string> = {}): Promise<SidecarProcess> {
  return SidecarProcess.start({
    NJS_TRACING_UDP_ADDRESS: '',
    NJS_TRACING_FILE: spanFile(nginx),
    NJS_TRACING_FILE_START: 'beginning',
    NJS_TRACING_FILE_POLL_MS: '50',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_BSP_MAX_QUEUE_SIZE: '400',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100',
    NJS_TRACING_EXPORT_MAX_BACKOFF_MS: '200',
    OTEL_BSP_EXPORT_TIMEOUT: '2000',
    ...env,
  });
}

/**
 * Sends `count` requests through NGINX, `concurrency` at a time, each with a
 * fresh sampled traceparent; resolves with the trace ids of those answered.
 * `onProgress` runs after each answer (to rotate or kill mid-load).
 */
export async function load(nginx: Nginx, count: number, onProgress: (done: number) => void = () => undefined, concurrency = 8): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = nginx.url('/load');
  const ids: string[] = [];
  let next = 0;
  const one = (traceId: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { agent, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (next < count) {
      next++;
      const traceId = randomBytes(16).toString('hex');
      await one(traceId);
      ids.push(traceId);
      onProgress(ids.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return ids;
}

/** SERVER spans received per trace id. */
export function serverSpansByTrace(otlp: FakeOtlpReceiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const span of otlp.spans) if (span.kind === OTLP_KIND.SERVER) counts.set(span.traceId, (counts.get(span.traceId) ?? 0) + 1);
  return counts;
}

/** Waits until every id arrived (or `timeoutMs`), then returns what is missing and what came twice. */
export async function delivery(otlp: FakeOtlpReceiver, sent: string[], timeoutMs = 20_000): Promise<{ missing: string[]; duplicated: string[]; unexpected: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = serverSpansByTrace(otlp);
    const missing = sent.filter((id) => !counts.has(id));
    if (missing.length === 0 || Date.now() > deadline) {
      const sentSet = new Set(sent);
      return {
        missing,
        duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
        unexpected: [...counts.keys()].filter((id) => !sentSet.has(id)),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Exactly once: nothing missing, nothing twice, nothing we did not send. */
export async function expectExactlyOnce(otlp: FakeOtlpReceiver, sent: string[]): Promise<void> {
  const result = await delivery(otlp, sent);
  expect({ missing: result.missing.length, duplicated: result.duplicated.length, unexpected: result.unexpected.length }).toEqual({
    missing: 0,
    duplicated: 0,
    unexpected: 0,
  });
}

/** `nginx -s reopen`: USR1 to the master. */
export function reopenLogs(nginx: Nginx): void {
  const pid = Number(readFileSync(join(nginx.prefix, 'nginx.pid'), 'utf8').trim());
  process.kill(pid, 'SIGUSR1');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
