/**
 * Traces -> the report: per route, per layer distributions and shares of the
 * total time, the top bottlenecks with example trace ids, and a
 * representative trace per route for the waterfall. Plain data (JSON-able):
 * every renderer works from this.
 */
import { breakdown, layerLabel, type IngressLayers, type TraceBreakdown } from './layers.js';
import { distribution, type Distribution } from './stats.js';
import type { Span } from './spans.js';
import type { Trace } from './trace.js';

export interface LayerStats extends Distribution {
  layer: string;
  label: string;
  /** This layer's time over the route's total time, 0..1. */
  share: number;
}

export interface RouteReport {
  route: string;
  traces: number;
  /** Traces holding spans of a service other than the ingress (an instrumented app). */
  tracesWithApp: number;
  total: Distribution;
  layers: LayerStats[];
  /** The sidecar's njs_tracing_layer_duration_seconds layers, summed the same way. */
  ingress: Record<string, Distribution>;
  representativeTraceId: string;
}

export interface Bottleneck {
  route: string;
  layer: string;
  label: string;
  share: number;
  p95: number;
  /** Traces where this layer took longest. */
  exampleTraceIds: string[];
}

export interface Report {
  generatedAt: string;
  source: string;
  traces: number;
  spans: number;
  skippedInputs: number;
  routes: RouteReport[];
  bottlenecks: Bottleneck[];
  /** The representative traces' spans, for waterfalls. */
  waterfalls: Record<string, Span[]>;
}

const EXAMPLES = 3;

function routeReport(route: string, items: Array<{ trace: Trace; b: TraceBreakdown }>): RouteReport {
  const totalSum = items.reduce((sum, { b }) => sum + b.totalMs, 0);
  const keys = new Set(items.flatMap(({ b }) => Object.keys(b.layers)));
  const layers: LayerStats[] = [...keys]
    .map((layer) => {
      const stats = distribution(items.map(({ b }) => b.layers[layer] ?? 0));
      return { layer, label: layerLabel(layer), ...stats, share: totalSum > 0 ? stats.sum / totalSum : 0 };
    })
    .sort((a, b) => b.share - a.share);
  const ingress: Record<string, Distribution> = {};
  for (const key of ['total', 'nginx', 'upstream_connect', 'upstream_header', 'upstream_response'] as Array<keyof IngressLayers>) {
    const values = items.map(({ b }) => b.ingress?.[key]).filter((v): v is number => v !== undefined);
    if (values.length > 0) ingress[key] = distribution(values);
  }
  const total = distribution(items.map(({ b }) => b.totalMs));
  const ingressService = items[0]?.trace.root.service;
  const withApp = items.filter(({ b }) => b.services.some((s) => s !== ingressService));
  return {
    route,
    traces: items.length,
    tracesWithApp: withApp.length,
    total,
    layers,
    ingress,
    representativeTraceId: representative(withApp.length > 0 ? withApp : items, total.p50).trace.traceId,
  };
}

/** The most complete trace (most services, then spans) whose total is nearest the median. */
function representative(items: Array<{ trace: Trace; b: TraceBreakdown }>, median: number) {
  const most = Math.max(...items.map(({ b }) => b.services.length));
  const complete = items.filter(({ b }) => b.services.length === most);
  const spans = Math.max(...complete.map(({ b }) => b.spanCount));
  return complete
    .filter(({ b }) => b.spanCount === spans)
    .reduce((best, item) => (Math.abs(item.b.totalMs - median) < Math.abs(best.b.totalMs - median) ? item : best));
}

export function analyze(traces: Trace[], source: string, skippedInputs = 0): Report {
  const byRoute = new Map<string, Array<{ trace: Trace; b: TraceBreakdown }>>();
  for (const trace of traces) {
    const b = breakdown(trace);
    let list = byRoute.get(b.route);
    if (!list) byRoute.set(b.route, (list = []));
    list.push({ trace, b });
  }
  const routes = [...byRoute].map(([route, items]) => routeReport(route, items)).sort((a, b) => b.total.sum - a.total.sum);
  const bottlenecks: Bottleneck[] = [];
  for (const route of routes) {
    const items = byRoute.get(route.route)!;
    for (const layer of route.layers.slice(0, 3)) {
      const examples = [...items]
        .sort((a, b) => (b.b.layers[layer.layer] ?? 0) - (a.b.layers[layer.layer] ?? 0))
        .slice(0, EXAMPLES)
        .map(({ trace }) => trace.traceId);
      bottlenecks.push({ route: route.route, layer: layer.layer, label: layer.label, share: layer.share, p95: layer.p95, exampleTraceIds: examples });
    }
  }
  // Ranked by time spent: a layer's share of its route times the route's total time.
  const weight = (b: Bottleneck) => b.share * (routes.find((r) => r.route === b.route)?.total.sum ?? 0);
  bottlenecks.sort((a, b) => weight(b) - weight(a));
  const waterfalls: Record<string, Span[]> = {};
  for (const route of routes) {
    waterfalls[route.representativeTraceId] = traces.find((t) => t.traceId === route.representativeTraceId)!.spans;
  }
  return {
    generatedAt: new Date().toISOString(),
    source,
    traces: traces.length,
    spans: traces.reduce((n, t) => n + t.spans.length, 0),
    skippedInputs,
    routes,
    bottlenecks,
    waterfalls,
  };
}
