/**
 * Every Prometheus metric the sidecar exposes on /metrics (prom-client), in one
 * registry. docs/sidecar.md lists them. Labels fed by traffic go through
 * BoundedLabels so their cardinality stays bounded.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedLabels, keyOf, OVERFLOW_VALUE } from './bounded-labels.js';
import { FastHistogram, type HistogramSeries } from './fast-histogram.js';

const PREFIX = 'njs_tracing_';

/** Seconds, from 1 ms to 30 s: request and upstream latencies at an ingress. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type LayerLabels = { layer: string; namespace: string; ingress: string; service: string; status_class: string };

export class SidecarMetrics {
  readonly registry = new Registry();

  readonly recordsReceived = new Counter({
    name: `${PREFIX}records_received_total`,
    help: 'Span records received from NGINX, by sink (udp, file)',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly recordsMalformed = new Counter({
    name: `${PREFIX}records_malformed_total`,
    help: 'Records that failed to parse, by sink and reason class',
    labelNames: ['sink', 'reason'] as const,
    registers: [this.registry],
  });
  readonly spansExported = new Counter({
    name: `${PREFIX}spans_exported_total`,
    help: 'Spans the backend accepted, by exporter',
    labelNames: ['exporter'] as const,
    registers: [this.registry],
  });
  readonly spansDropped = new Counter({
    name: `${PREFIX}spans_dropped_total`,
    help: 'Spans dropped, by exporter and reason (queue_full, shutdown, http_<status> for a refused batch, encode_failed)',
    labelNames: ['exporter', 'reason'] as const,
    registers: [this.registry],
  });
  readonly spansRejected = new Counter({
    name: `${PREFIX}spans_rejected_total`,
    help: 'Spans the backend refused in a partial success answer (OTLP rejected_spans), by exporter',
    labelNames: ['exporter'] as const,
    registers: [this.registry],
  });
  readonly fileSkippedBytes = new Counter({
    name: `${PREFIX}file_skipped_bytes_total`,
    help: 'Unread span log bytes skipped because the backlog passed NJS_TRACING_FILE_MAX_BACKLOG_BYTES',
    registers: [this.registry],
  });
  readonly fileEvents = new Counter({
    name: `${PREFIX}file_events_total`,
    help: 'Span log events: rotated, truncated, replaced (checkpoint fingerprint mismatch), checkpointed_file_gone',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  /** Set by main once the UDP socket is bound: reads the kernel's drop count at scrape time. */
  udpDropsSource: (() => number | null) | null = null;
  readonly udpKernelDrops = new Gauge({
    name: `${PREFIX}udp_kernel_drops`,
    help: 'Datagrams the kernel dropped for the UDP receiver socket (receive buffer full), from /proc/net/udp{,6}, since the socket opened',
    registers: [this.registry],
    collect: () => {
      const drops = this.udpDropsSource?.() ?? null;
      if (drops !== null) this.udpKernelDrops.set(drops);
    },
  });
  readonly exportErrors = new Counter({
    name: `${PREFIX}export_errors_total`,
    help: 'Export attempts that failed in a retryable way (connection error, timeout, HTTP 429/502/503/504), by exporter',
    labelNames: ['exporter'] as const,
    registers: [this.registry],
  });
  readonly exportDuration = new Histogram({
    name: `${PREFIX}export_duration_seconds`,
    help: 'Time one batch export took, successful or not, by exporter',
    labelNames: ['exporter'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** Each exporter's queue depth, read at scrape time (setting a labelled gauge per record costs as much as parsing it). */
  readonly queueDepthSources = new Map<string, () => number>();
  readonly queueDepth: Gauge<'exporter'> = new Gauge({
    collect: () => {
      for (const [exporter, depth] of this.queueDepthSources) this.queueDepth.labels(exporter).set(depth());
    },
    name: `${PREFIX}queue_spans`,
    help: 'Spans held by the export queue, waiting or in flight (at most OTEL_BSP_MAX_QUEUE_SIZE), by exporter',
    labelNames: ['exporter'] as const,
    registers: [this.registry],
  });
  private readonly rejectedHeadersCounter = new Counter({
    name: `${PREFIX}rejected_trace_headers_total`,
    help: 'Incoming trace context headers NGINX rejected as invalid, by header',
    labelNames: ['header'] as const,
    registers: [this.registry],
  });
  private readonly njsErrorsCounter = new Counter({
    name: `${PREFIX}njs_errors_total`,
    help: 'Requests where the njs code failed and fell back to a new trace, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly layerDuration = new FastHistogram(
    `${PREFIX}layer_duration_seconds`,
    'Per-layer latency from the spans: total (whole request at the ingress), nginx (total minus upstream attempts), ' +
      'upstream_connect, upstream_header (time to first byte), upstream_response',
    ['layer', 'namespace', 'ingress', 'service', 'status_class'],
    LATENCY_BUCKETS,
    this.registry,
  );

  readonly layers: BoundedLabels<LayerLabels, HistogramSeries>;
  readonly rejectedHeaders: BoundedLabels<{ header: string }, { inc(): void }>;
  readonly njsErrors: BoundedLabels<{ code: string }, { inc(): void }>;

  /**
   * @param maxLabelSets per metric, distinct traffic-derived values kept before overflowing into "other":
   *   (namespace, ingress, service) tuples for the layer histogram, header names, njs error codes
   */
  constructor(maxLabelSets: number, collectProcessMetrics = true) {
    if (collectProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    // The cap counts (namespace, ingress, service) tuples: each has up to 5 layers x a few status classes.
    this.layers = new BoundedLabels(
      maxLabelSets,
      (labels) => this.layerDuration.labels(labels),
      (labels) => ({ ...labels, namespace: OVERFLOW_VALUE, ingress: OVERFLOW_VALUE, service: OVERFLOW_VALUE }),
      (labels) => keyOf({ namespace: labels.namespace, ingress: labels.ingress, service: labels.service }),
    );
    this.rejectedHeaders = new BoundedLabels(
      maxLabelSets,
      (labels) => this.rejectedHeadersCounter.labels(labels),
      () => ({ header: OVERFLOW_VALUE }),
    );
    this.njsErrors = new BoundedLabels(
      maxLabelSets,
      (labels) => this.njsErrorsCounter.labels(labels),
      () => ({ code: OVERFLOW_VALUE }),
    );
  }
}
