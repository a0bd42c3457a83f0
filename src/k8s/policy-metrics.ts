/** The per-Ingress policy's Prometheus metrics, in the sidecar's registry. */
import { Counter, Gauge, type Registry } from 'prom-client';

export class PolicyMetrics {
  readonly refused: Counter<'annotation'>;
  readonly ingresses: Gauge;
  readonly reloads: Counter<'result'>;
  readonly apiReachable: Gauge;
  readonly events: Counter<'result'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.refused = new Counter({
      name: 'njs_tracing_policy_refused_annotations_total',
      help: 'Ingress annotations refused (invalid value, unknown name, unusable Ingress name), by annotation',
      labelNames: ['annotation'] as const,
      registers,
    });
    this.ingresses = new Gauge({
      name: 'njs_tracing_policy_ingresses',
      help: 'Ingresses whose annotations override the controller-wide tracing settings',
      registers,
    });
    this.reloads = new Counter({
      name: 'njs_tracing_policy_reloads_total',
      help: 'Policy files written and nginx asked to reload, by result (ok, skipped: nginx not found, error)',
      labelNames: ['result'] as const,
      registers,
    });
    this.apiReachable = new Gauge({
      name: 'njs_tracing_policy_api_reachable',
      help: '1 while the Kubernetes API answers the Ingress list/watch, 0 while the last policy is kept without it',
      registers,
    });
    this.events = new Counter({
      name: 'njs_tracing_policy_events_total',
      help: 'Kubernetes Events for refused annotations, by result (created, failed, forbidden)',
      labelNames: ['result'] as const,
      registers,
    });
  }
}
