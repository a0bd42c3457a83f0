/**
 * The Grafana dashboard asks only for what the sidecar exports: every metric
 * a query names is one the sidecar's registry has (histograms with their
 * _bucket/_sum/_count series), every label it selects or groups by exists
 * on that metric, and every `layer` value it picks is one the sidecar emits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { observeLayerLatency } from '../../src/sidecar/observe/layer-latency.js';
import { SidecarMetrics } from '../../src/sidecar/observe/metrics.js';
import { record } from '../sidecar/support/spans.js';

const DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'le']);

/** Every series name the sidecar's registry exposes (histograms as _bucket, _sum, _count). */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = new SidecarMetrics(200, true);
  const series = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    if (String(metric.type) === 'histogram') ['_bucket', '_sum', '_count'].forEach((suffix) => series.add(metric.name + suffix));
    else series.add(metric.name);
  }
  return series;
}

function expressions(dashboard: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'expr' || key === 'definition') && typeof value === 'string') found.push(value);
        else visit(value);
      }
    }
  };
  visit(dashboard);
  return found;
}

const dashboards = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('Grafana dashboards', () => {
  it('ships at least one dashboard', () => {
    expect(dashboards.length).toBeGreaterThan(0);
  });

  for (const file of dashboards) {
    it(`${file}: every query names metrics and labels the sidecar exports`, async () => {
      const series = await exportedSeries();
      // prom-client's JSON lacks label names; read them from the metric objects.
      const metrics = new SidecarMetrics(200, true);
      const labelsOf = (name: string) => {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const metric = metrics.registry.getSingleMetric(base) ?? metrics.registry.getSingleMetric(name);
        const names = (metric as unknown as { labelNames?: string[] } | undefined)?.labelNames ?? [];
        return new Set([...names, ...(name.endsWith('_bucket') ? ['le'] : [])]);
      };
      const exprs = expressions(JSON.parse(readFileSync(DIR + file, 'utf8')));
      expect(exprs.length).toBeGreaterThan(5);
      for (const expr of exprs) {
        const named = expr.match(/njs_tracing_[a-z_]+/g) ?? [];
        expect(named.length, `${expr}: names no njs_tracing metric`).toBeGreaterThan(0);
        for (const name of named) {
          expect(series.has(name), `${file}: ${name} is not exported by the sidecar`).toBe(true);
          const labels = labelsOf(name);
          // Labels in this metric's own selector, and in by (...) clauses.
          const selector = new RegExp(`${name}\\{([^}]*)\\}`).exec(expr)?.[1] ?? '';
          const used = [...selector.matchAll(/([a-z_]+)\s*(=~|!=|!~|=)/g)].map((m) => m[1]);
          for (const label of used) expect(labels.has(label), `${file}: ${name} has no label ${label}`).toBe(true);
        }
        for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g)) {
          for (const label of list.split(',').map((l) => l.trim())) {
            if (PROMQL_WORDS.has(label)) continue;
            expect(named.some((name) => labelsOf(name).has(label)), `${file}: no metric in "${expr}" has label ${label}`).toBe(true);
          }
        }
      }
    });

    it(`${file}: every layer it selects is one the sidecar observes`, async () => {
      const metrics = new SidecarMetrics(200, false);
      observeLayerLatency(metrics, record());
      const text = await metrics.registry.metrics();
      const emitted = new Set([...text.matchAll(/layer="([a-z_]+)"/g)].map((m) => m[1]));
      expect(emitted.size).toBeGreaterThanOrEqual(5);
      const exprs = expressions(JSON.parse(readFileSync(DIR + file, 'utf8')));
      for (const expr of exprs) {
        for (const [, op, value] of expr.matchAll(/layer(=~|=|!=)"([^"]*)"/g)) {
          const values = op === '=~' ? value.split('|') : [value];
          for (const layer of values) expect(emitted.has(layer), `${file}: layer "${layer}" (${op}) is never emitted`).toBe(true);
        }
      }
    });
  }
});
