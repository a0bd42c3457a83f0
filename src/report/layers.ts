/**
 * The layer model: one trace's ingress SERVER span duration split into
 * disjoint layers that add up to it, so "where did the time go" has one
 * answer per request.
 *
 * Every span's self time (its duration minus what its children cover) goes
 * to one layer:
 * - `nginx`: the ingress span before its first upstream attempt began — reading
 *   and buffering the request body, queueing (the sidecar starts the attempts
 *   at the moment NGINX built the upstream request);
 * - `upstream_connect`: the attempts' connect times (an attempt that never
 *   connected counts whole);
 * - `upstream_retry`: attempts that failed and were retried, beyond their
 *   connect time, with everything the application did under them;
 * - `upstream_ttfb` / `upstream_transfer`: the answering attempt's time to
 *   first byte and body transfer not covered by application spans — the
 *   network and the app's queueing; without application spans, the whole app;
 * - `app:<service>`: self time of an application's SERVER/INTERNAL spans;
 * - `call:<service>→<peer>`: self time of an application's CLIENT spans (a
 *   database query whole; an HTTP call minus the callee's own spans);
 * - `rest`: the ingress span after the first attempt began not covered by
 *   attempts (sending the response, gaps).
 *
 * `ingress` repeats the sidecar's njs_tracing_layer_duration_seconds figures
 * (src/sidecar/layer-latency.ts) from the CLIENT spans' NGINX timings, so the
 * report and the Prometheus histograms can be compared.
 */
import { coveredUs, type Interval } from './intervals.js';
import { durationMs, INGRESS_ATTR, isIngressAttempt, numberAttribute, stringAttribute, type Span } from './spans.js';
import { assignToAttempts, type Trace } from './trace.js';

export interface IngressLayers {
  total: number;
  nginx?: number;
  upstream_connect?: number;
  upstream_header?: number;
  upstream_response?: number;
}

export interface TraceBreakdown {
  traceId: string;
  route: string;
  totalMs: number;
  /** Layer key -> milliseconds; the values add up to totalMs. */
  layers: Record<string, number>;
  ingress: IngressLayers | null;
  services: string[];
  spanCount: number;
}

const US_PER_MS = 1000;

function interval(span: Span): Interval {
  return [span.startUs, Math.max(span.startUs, span.endUs)];
}

function peerOf(span: Span, children: Span[]): string {
  const callee = children.find((child) => (child.kind === 'server' || child.kind === 'consumer') && child.service !== span.service);
  if (callee) return callee.service;
  for (const key of ['db.system.name', 'db.system', 'messaging.system', 'rpc.service', 'server.address', 'net.peer.name']) {
    const value = stringAttribute(span, key);
    if (value) return value;
  }
  return span.name || 'unknown';
}

/** The layer an application span's self time belongs to. */
export function appLayerOf(span: Span, children: Span[]): string {
  if (span.kind === 'client' || span.kind === 'producer') return `call:${span.service}→${peerOf(span, children)}`;
  return `app:${span.service}`;
}

function sumOrNull(values: Array<number | null>): number | null {
  let total: number | null = null;
  for (const value of values) if (value !== null) total = (total ?? 0) + value;
  return total;
}

/** The sidecar's per-layer figures (layer-latency.ts), from the attempts' attributes. */
export function ingressLayers(root: Span, attempts: Span[]): IngressLayers {
  const total = durationMs(root);
  const out: IngressLayers = { total };
  if (attempts.length === 0) return out;
  const connect = attempts.map((a) => numberAttribute(a, INGRESS_ATTR.connectMs));
  const header = attempts.map((a) => numberAttribute(a, INGRESS_ATTR.headerMs));
  const response = attempts.map((a) => numberAttribute(a, INGRESS_ATTR.responseMs));
  const upstream = sumOrNull(attempts.map((_, i) => response[i] ?? header[i] ?? connect[i]));
  const put = (key: keyof IngressLayers, value: number | null) => {
    if (value !== null) out[key] = Math.max(0, value);
  };
  put('nginx', upstream === null ? null : total - upstream);
  put('upstream_connect', sumOrNull(connect));
  put('upstream_header', sumOrNull(header));
  put('upstream_response', sumOrNull(response));
  return out;
}

export function breakdown(trace: Trace): TraceBreakdown {
  const layers: Record<string, number> = {};
  const add = (layer: string, us: number) => {
    if (us > 0) layers[layer] = (layers[layer] ?? 0) + us / US_PER_MS;
  };
  const kidsOf = (span: Span) => trace.children.get(span.spanId) ?? [];
  const selfUs = (span: Span, kids: Span[]) => {
    const [from, to] = interval(span);
    return to - from - coveredUs(from, to, kids.map(interval));
  };
  const walkApp = (span: Span, forced: string | null, depth: number) => {
    const kids = kidsOf(span);
    add(forced ?? appLayerOf(span, kids), selfUs(span, kids));
    if (depth < 64) for (const kid of kids) walkApp(kid, forced, depth + 1);
  };

  const { root } = trace;
  const rootKids = kidsOf(root);
  const attempts = trace.hasIngress ? rootKids.filter(isIngressAttempt) : [];
  if (!trace.hasIngress) {
    walkApp(root, null, 0);
  } else {
    const [from, to] = interval(root);
    const firstStart = attempts.length > 0 ? Math.min(to, Math.max(from, attempts[0].startUs)) : to;
    const kidIntervals = rootKids.map(interval);
    const before = firstStart - from - coveredUs(from, firstStart, kidIntervals);
    add('nginx', before);
    add('rest', selfUs(root, rootKids) - before);
    const owned = assignToAttempts(trace, attempts);
    attempts.forEach((attempt, index) => {
      const kids = owned.get(attempt)!;
      const failed = index < attempts.length - 1;
      const self = selfUs(attempt, kids);
      const connectMs = numberAttribute(attempt, INGRESS_ATTR.connectMs);
      const connectUs = Math.min(self, connectMs === null ? (failed ? self : 0) : connectMs * US_PER_MS);
      add('upstream_connect', connectUs);
      if (failed) {
        add('upstream_retry', self - connectUs);
        for (const kid of kids) walkApp(kid, 'upstream_retry', 1);
        return;
      }
      const [aFrom, aTo] = interval(attempt);
      const coveredByApp = coveredUs(aFrom, aTo, kids.map(interval));
      const headerMs = numberAttribute(attempt, INGRESS_ATTR.headerMs) ?? durationMs(attempt);
      const ttfbUs = Math.min(self - connectUs, Math.max(0, headerMs * US_PER_MS - connectUs - coveredByApp));
      add('upstream_ttfb', ttfbUs);
      add('upstream_transfer', self - connectUs - ttfbUs);
      for (const kid of kids) walkApp(kid, null, 1);
    });
    // Other children of the ingress span (none today) are application spans.
    for (const kid of rootKids) if (!isIngressAttempt(kid)) walkApp(kid, null, 1);
  }
  return {
    traceId: trace.traceId,
    route: trace.route,
    totalMs: durationMs(root),
    layers,
    ingress: trace.hasIngress ? ingressLayers(root, attempts) : null,
    services: [...new Set(trace.spans.map((span) => span.service))],
    spanCount: trace.spans.length,
  };
}

/** Human names for the layer keys. */
export function layerLabel(key: string): string {
  const fixed: Record<string, string> = {
    nginx: 'nginx before upstream (buffering, queueing)',
    upstream_connect: 'upstream connect',
    upstream_retry: 'failed upstream attempts (retried)',
    upstream_ttfb: 'upstream time to first byte (outside app)',
    upstream_transfer: 'upstream response transfer',
    rest: 'rest (nginx after upstream, gaps)',
  };
  if (fixed[key]) return fixed[key];
  if (key.startsWith('app:')) return `app ${key.slice(4)}`;
  if (key.startsWith('call:')) return `call ${key.slice(5).replace('→', ' → ')}`;
  return key;
}
