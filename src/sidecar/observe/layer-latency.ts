/**
 * Per-layer latency from one record, so /metrics shows which layer is slow
 * without opening a trace:
 * - total: the whole request as the ingress saw it ($request_time);
 * - nginx: total minus the time the upstream attempts took, i.e. what NGINX
 *   itself added (reading the request, picking an upstream, sending the reply);
 * - upstream_connect / upstream_header (time to first byte) / upstream_response:
 *   summed over the attempts of the request.
 */
import type { SpanRecord } from '../../record/parse.js';
import type { HistogramSeries } from './fast-histogram.js';
import type { SidecarMetrics } from './metrics.js';

const NONE = 'none';

function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'unknown';
}

function sum(values: Array<number | null>): number | null {
  let total: number | null = null;
  for (const value of values) if (value !== null) total = (total ?? 0) + value;
  return total;
}

const LAYERS = ['total', 'nginx', 'upstream_connect', 'upstream_header', 'upstream_response'] as const;
type LayerSeries = Record<(typeof LAYERS)[number], HistogramSeries>;

/**
 * The five series of one (namespace, ingress, service, status class), looked
 * up once per record instead of once per observation. As bounded as the
 * label sets themselves (BoundedLabels caps the tuples; a few status classes each).
 */
const seriesCache = new WeakMap<SidecarMetrics, Map<string, LayerSeries>>();

function layerSeries(metrics: SidecarMetrics, record: SpanRecord): LayerSeries {
  let cache = seriesCache.get(metrics);
  if (!cache) seriesCache.set(metrics, (cache = new Map()));
  const base = {
    namespace: record.kubernetes.namespace || NONE,
    ingress: record.kubernetes.ingress || NONE,
    service: record.kubernetes.service || NONE,
    status_class: statusClass(record.status),
  };
  const key = `${base.namespace}\u0000${base.ingress}\u0000${base.service}\u0000${base.status_class}`;
  let series = cache.get(key);
  if (!series) {
    series = {} as LayerSeries;
    for (const layer of LAYERS) series[layer] = metrics.layers.get({ layer, ...base });
    cache.set(key, series);
  }
  return series;
}

export function observeLayerLatency(metrics: SidecarMetrics, record: SpanRecord): void {
  const series = layerSeries(metrics, record);
  const observe = (layer: (typeof LAYERS)[number], ms: number | null) => {
    if (ms !== null) series[layer].observe(Math.max(0, ms) / 1000);
  };
  const totalMs = record.endMs - record.startMs;
  observe('total', totalMs);
  if (record.upstream.length === 0) return;
  const upstreamMs = sum(record.upstream.map((a) => a.responseMs ?? a.headerMs ?? a.connectMs));
  observe('nginx', upstreamMs === null ? null : totalMs - upstreamMs);
  observe('upstream_connect', sum(record.upstream.map((a) => a.connectMs)));
  observe('upstream_header', sum(record.upstream.map((a) => a.headerMs)));
  observe('upstream_response', sum(record.upstream.map((a) => a.responseMs)));
}
