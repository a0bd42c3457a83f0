/**
 * Kubernetes Events on an Ingress whose tracing annotations were refused, so
 * `kubectl describe ingress` shows why. One Event per distinct set of
 * problems (not per resync); a 403 (the chart grants `events create` only
 * with the policy feature on) turns Events off with one log line, leaving the
 * log line and the metric.
 */
import type { CoreV1Event, V1Ingress } from '@kubernetes/client-node';
import { KubeApiError, kubeRequest, type KubeConfig } from './kube-api.js';
import type { Logger } from '../sidecar/observe/logger.js';

export const EVENT_REASON = 'InvalidTracingAnnotation';
const COMPONENT = 'njs-tracing';
/** Ingresses whose last reported problems are remembered; beyond, the oldest is forgotten. */
const MAX_REMEMBERED = 10_000;

export type EventResult = 'created' | 'failed' | 'forbidden';

export class IngressEvents {
  private readonly reported = new Map<string, string>();
  private forbidden = false;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly logger: Logger,
    private readonly onResult: (result: EventResult) => void,
    private readonly instance: string,
  ) {
  }

  /** Reports `problems` on the Ingress unless exactly these were reported last; [] clears the memory. */
  report(ingress: V1Ingress, problems: string[]): void {
    const key = `${ingress.metadata?.namespace}/${ingress.metadata?.name}`;
    const text = problems.join('; ');
    if (problems.length === 0) {
      this.reported.delete(key);
      return;
    }
    if (this.reported.get(key) === text) return;
    this.reported.delete(key);
    if (this.reported.size >= MAX_REMEMBERED) this.reported.delete(this.reported.keys().next().value!);
    this.reported.set(key, text);
    if (!this.forbidden) void this.create(ingress, text);
  }

  forget(ingress: V1Ingress): void {
    this.reported.delete(`${ingress.metadata?.namespace}/${ingress.metadata?.name}`);
  }

  private async create(ingress: V1Ingress, message: string): Promise<void> {
    const { namespace = 'default', name = '', uid, resourceVersion } = ingress.metadata ?? {};
    const now = new Date();
    const event: CoreV1Event = {
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name, namespace, uid, resourceVersion },
      reason: EVENT_REASON,
      message: message.slice(0, 1024),
      type: 'Warning',
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await kubeRequest(this.kubeConfig, 'POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, event);
      this.onResult('created');
    } catch (error) {
      const code = error instanceof KubeApiError ? error.statusCode : undefined;
      if (code === 403) {
        this.forbidden = true;
        this.onResult('forbidden');
        this.logger.warn(
          { namespace, name },
          'creating Events is forbidden (RBAC: events create); refused annotations are reported in logs and metrics only',
        );
      } else {
        this.onResult('failed');
        this.logger.warn({ err: error, namespace, name }, 'could not create an Event for refused tracing annotations');
      }
    }
  }
}
