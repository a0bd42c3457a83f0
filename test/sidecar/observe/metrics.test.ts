import { describe, expect, it } from 'vitest';
import { SidecarMetrics } from '../../../src/sidecar/observe/metrics.js';
import { observeLayerLatency } from '../../../src/sidecar/observe/layer-latency.js';
import { metricValue } from '../support/sidecar-process.js';
import { record } from '../support/spans.js';

const LAYERS = ['total', 'nginx', 'upstream_connect', 'upstream_header', 'upstream_response'];

describe('layer latency label cap', () => {
  it('caps (namespace, ingress, service) tuples, not label sets: every layer and status class of a kept service stays', async () => {
    const metrics = new SidecarMetrics(2, false);
    for (const service of ['cart', 'items']) {
      for (const status of ['200', '404', '503']) observeLayerLatency(metrics, record({ k_svc: service, st: status }));
    }
    observeLayerLatency(metrics, record({ k_svc: 'search', st: '200' }));
    const text = await metrics.registry.metrics();
    const count = (labels: Record<string, string>) => metricValue(text, 'njs_tracing_layer_duration_seconds_count', labels);
    for (const service of ['cart', 'items']) {
      for (const layer of LAYERS) {
        for (const status_class of ['2xx', '4xx', '5xx']) expect(count({ service, layer, status_class }), `${service} ${layer} ${status_class}`).toBe(1);
      }
    }
    // The third service overflows, per layer and status class, into "other".
    expect(count({ service: 'search' })).toBe(0);
    for (const layer of LAYERS) expect(count({ namespace: 'other', ingress: 'other', service: 'other', layer, status_class: '2xx' })).toBe(1);
  });

  it('keeps 200 services with all their layers and status classes at the default cap', async () => {
    const metrics = new SidecarMetrics(200, false);
    for (let i = 0; i < 200; i++) {
      for (const status of ['200', '500']) observeLayerLatency(metrics, record({ k_svc: `svc-${i}`, st: status }));
    }
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'njs_tracing_layer_duration_seconds_count', { service: 'other' })).toBe(0);
    expect(metricValue(text, 'njs_tracing_layer_duration_seconds_count', { service: 'svc-199', status_class: '5xx', layer: 'nginx' })).toBe(1);
  });
});
