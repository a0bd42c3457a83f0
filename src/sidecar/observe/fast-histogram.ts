/**
 * A Prometheus histogram for the per-record hot path. prom-client's
 * Histogram re-validates and re-hashes the label object on every observe()
 * (five per record for the layer latencies), which cost about as much as
 * parsing the record; here a series is looked up once per record and an
 * observation is a bucket search and three additions. The series are
 * exposed through prom-client's registry like any metric (registerMetric
 * with the same get() shape its Histogram has), so /metrics is unchanged.
 */
import type { Registry } from 'prom-client';

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.counts[i]++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** The label names every series has, in order (as prom-client metrics list them). */
    readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series for these labels (kept: callers cap how many distinct label sets they ask for). */
  labels(labels: Record<string, string>): HistogramSeries {
    const key = Object.values(labels).join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      series = new HistogramSeries(labels, this.bounds);
      this.series.set(key, series);
    }
    return series;
  }

  /** prom-client's exposition shape: cumulative buckets, +Inf, sum, count per series. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i];
        values.push({ labels: { ...series.labels, le: bound }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  getForPromString() {
    return this.get();
  }

  reset(): void {
    this.series.clear();
  }
}
