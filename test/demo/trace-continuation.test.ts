/**
 * End to end through real NGINX with the demo's instrumented app: every
 * request yields one trace holding the ingress SERVER span, its CLIENT span
 * and the application's spans as children of the context NGINX injected,
 * with children inside their parents; and the report's ingress figures equal
 * the sidecar's per-layer Prometheus histograms on the same traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/report/analyze.js';
import { isIngressAttempt, type Span } from '../../src/report/spans.js';
import { buildTraces, descendants, type Trace } from '../../src/report/trace.js';
import { runScenario, type ScenarioResult } from './scenario.js';

const REQUESTS = 30;
/**
 * One request at a time: a SERVER span ends when Node emits the response's
 * 'close', a tick after the write; with other requests queued on that event
 * loop the tick can come after the caller already read the answer, so a busy
 * service's span would end after its caller's span for reasons that are not
 * clock granularity. The fault scenarios (faults.test.ts) run concurrently.
 */
const CONCURRENCY = 1;
/**
 * Clock granularity, per pair of spans. The OpenTelemetry JS SDK takes a
 * span's start from Date.now() (whole milliseconds) and adds a precise
 * duration, so each app span may sit up to 1 ms early: 2 ms between two app
 * spans. NGINX's times are whole milliseconds of a clock it caches once per
 * event-loop turn, and the sidecar lays the attempt out from them: 1 ms more.
 */
const APP_GRANULARITY_US = 2000;
const NGINX_GRANULARITY_US = 3000;
/**
 * One more allowance, for the end of a SERVER span whose caller is another
 * process: the HTTP instrumentation ends it at the response's 'close' event,
 * a tick after the bytes left. On a machine whose cores are busy the process
 * can be descheduled for a time slice in between, so the callee's recorded
 * end may pass its caller's by a few ms (seen: 2.3 ms running the whole
 * suite on 2 busy cores). Starts are causal and get no such allowance.
 */
const CROSS_PROCESS_END_US = 5000;

describe('the demo app continues the trace NGINX started', () => {
  let run: ScenarioResult;
  let traces: Trace[];

  beforeAll(async () => {
    run = await runScenario('none', REQUESTS, CONCURRENCY);
    traces = buildTraces(run.spans);
  }, 120_000);
  afterAll(() => run?.cleanup());

  it('answers every request', () => {
    expect(run.load.statuses).toEqual({ 200: REQUESTS });
  });

  it('yields exactly one trace per request, each rooted at the ingress SERVER span', () => {
    expect(traces).toHaveLength(REQUESTS);
    for (const trace of traces) {
      expect(trace.root, trace.traceId).toMatchObject({ service: 'ingress-nginx', kind: 'server', parentSpanId: '' });
      expect(['GET /cart/{id}', 'POST /checkout/{id}']).toContain(trace.route);
    }
  });

  it('puts the app spans under the CLIENT span whose id NGINX injected', () => {
    for (const trace of traces) {
      const attempts = (trace.children.get(trace.root.spanId) ?? []).filter(isIngressAttempt);
      expect(attempts, trace.traceId).toHaveLength(1);
      const [frontend, ...others] = trace.children.get(attempts[0].spanId) ?? [];
      expect(others, `${trace.traceId}: one app SERVER span under the attempt`).toEqual([]);
      expect(frontend).toMatchObject({ service: 'frontend', kind: 'server', name: trace.route });
      const below = descendants(trace, frontend);
      const orders = below.find((s) => s.service === 'orders' && s.kind === 'server');
      expect(orders, `${trace.traceId}: orders SERVER span`).toBeDefined();
      const call = trace.spans.find((s) => s.spanId === orders!.parentSpanId)!;
      expect(call).toMatchObject({ service: 'frontend', kind: 'client' });
      const query = descendants(trace, orders!).find((s) => s.kind === 'client');
      expect(query, `${trace.traceId}: the PostgreSQL query span`).toMatchObject({ service: 'orders' });
      expect(query!.attributes['db.system.name'] ?? query!.attributes['db.system']).toBe('postgresql');
      // Nothing is left outside the tree.
      expect(new Set([trace.root, ...descendants(trace, trace.root)]).size, trace.traceId).toBe(trace.spans.length);
    }
  });

  it('keeps every child inside its parent, up to clock granularity (and a callee’s end-recording delay)', () => {
    const bad: string[] = [];
    for (const trace of traces) {
      const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
      for (const child of trace.spans) {
        const parent = byId.get(child.parentSpanId);
        if (!parent) continue;
        const nginxTimed = parent.service === 'ingress-nginx' || child.service === 'ingress-nginx';
        const slack = nginxTimed ? NGINX_GRANULARITY_US : APP_GRANULARITY_US;
        const endSlack = slack + (child.service !== parent.service && child.kind === 'server' ? CROSS_PROCESS_END_US : 0);
        const describe = (s: Span) => `${s.service} ${s.name} [${s.startUs}, ${s.endUs}]`;
        if (child.startUs < parent.startUs - slack || child.endUs > parent.endUs + endSlack) {
          bad.push(`${trace.traceId}: ${describe(child)} outside ${describe(parent)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('reports the same per-layer ingress latency as the sidecar histograms', () => {
    const report = analyze(traces, run.otlpFile);
    for (const layer of ['total', 'nginx', 'upstream_connect', 'upstream_header', 'upstream_response']) {
      let sum = 0;
      let count = 0;
      for (const line of run.metrics.split('\n')) {
        if (!line.includes(`layer="${layer}"`)) continue;
        if (line.startsWith('njs_tracing_layer_duration_seconds_sum{')) sum += Number(line.split(' ').pop());
        if (line.startsWith('njs_tracing_layer_duration_seconds_count{')) count += Number(line.split(' ').pop());
      }
      const fromReport = report.routes.map((route) => route.ingress[layer]).filter(Boolean);
      const reportCount = fromReport.reduce((n, d) => n + d.count, 0);
      const reportSumSeconds = fromReport.reduce((n, d) => n + d.sum, 0) / 1000;
      expect(reportCount, `${layer}: observations`).toBe(count);
      expect(count, `${layer}: observed at all`).toBeGreaterThan(0);
      expect(Math.abs(reportSumSeconds - sum), `${layer}: seconds, report ${reportSumSeconds} vs /metrics ${sum}`).toBeLessThan(1e-6 * count + 1e-9);
    }
  });
});
