/**
 * Ingress annotations -> policy files -> nginx reload. Starts from the
 * policy the last run wrote (so nothing reverts while the API is away), then
 * follows the watch. Changes are batched: the files are written and nginx
 * reloaded at most once per reloadIntervalMs, and a first change after a
 * quiet time goes out after a short delay.
 */
import type { V1Ingress } from '@kubernetes/client-node';
import type { KubeConfig } from './kube-api.js';
import type { Registry } from 'prom-client';
import type { Logger } from '../sidecar/observe/logger.js';
import { RateLimitedLog } from '../sidecar/observe/logger.js';
import { parseAnnotations } from './annotations.js';
import { IngressEvents } from './ingress-events.js';
import { ingressKey } from './ingress-key.js';
import { IngressWatcher } from './ingress-watcher.js';
import { NginxReloader } from './nginx-reload.js';
import type { PolicyConfig } from './policy-config.js';
import { PolicyFiles } from './policy-files.js';
import { PolicyMetrics } from './policy-metrics.js';
import { PolicyState } from './policy-state.js';
import { policyMapFiles } from './render-maps.js';

/** Delay before writing the first change after a quiet time: lets a burst (a list) settle. */
const SETTLE_MS = 100;

export interface PolicySync {
  /** The API answered last time and the first complete policy is written. */
  ready(): boolean;
  /** Why not ready, for /readyz. */
  status(): string;
  stop(): Promise<void>;
}

export async function startPolicySync(
  config: PolicyConfig,
  options: { logger: Logger; registry: Registry; kubeConfig?: KubeConfig },
): Promise<PolicySync> {
  const logger = options.logger.child({ component: 'policy' });
  const metrics = new PolicyMetrics(options.registry);
  const files = new PolicyFiles(config.dir);
  const state = new PolicyState(await files.load());
  const reloader = new NginxReloader({ pidFile: config.nginxPidFile });
  const kubeConfig = options.kubeConfig ?? IngressWatcher.kubeConfig();
  const events = new IngressEvents(kubeConfig, logger, (result) => metrics.events.inc({ result }), config.instance);
  const rateLimited = new RateLimitedLog(logger);
  metrics.ingresses.set(state.size);
  logger.info({ dir: config.dir, ingresses: state.size }, 'per-Ingress policy: starting from the last written policy');

  let reachable = false;
  let unreachableSince: number | null = Date.now();
  let warned = false;
  let written = false;
  let pending: NodeJS.Timeout | null = null;
  let lastWrite = 0;
  let stopped = false;
  let writing: Promise<void> = Promise.resolve();

  const flush = async () => {
    pending = null;
    lastWrite = Date.now();
    const policies = state.snapshot();
    try {
      const changed = await files.write(policyMapFiles(policies), policies);
      metrics.ingresses.set(state.size);
      if (!changed && written) return;
      written = true;
      const result = await reloader.reload();
      if ('reloaded' in result) {
        metrics.reloads.inc({ result: 'ok' });
        logger.info({ ingresses: state.size, nginxPid: result.reloaded }, 'policy written; nginx reloading');
      } else if ('skipped' in result) {
        metrics.reloads.inc({ result: 'skipped' });
        logger.info({ ingresses: state.size, reason: result.skipped }, 'policy written; nginx will read it when it starts');
      } else {
        metrics.reloads.inc({ result: 'error' });
        logger.error({ reason: result.failed }, 'policy written but nginx could not be asked to reload');
      }
    } catch (error) {
      metrics.reloads.inc({ result: 'error' });
      logger.error({ err: error }, 'could not write the policy files; the previous policy stays in force');
    }
  };
  const schedule = () => {
    if (pending || stopped) return;
    const delay = Math.max(SETTLE_MS, lastWrite + config.reloadIntervalMs - Date.now());
    pending = setTimeout(() => (writing = writing.then(flush)), delay);
  };

  const keyOf = (ingress: V1Ingress) => {
    const check = ingressKey(ingress.metadata?.namespace, ingress.metadata?.name, config.mapHashBucketSize);
    return 'key' in check ? check.key : null;
  };

  const upsert = (ingress: V1Ingress) => {
    const check = ingressKey(ingress.metadata?.namespace, ingress.metadata?.name, config.mapHashBucketSize);
    const parsed = parseAnnotations(ingress.metadata?.annotations, { headers: config.headers });
    const ours = Object.keys(ingress.metadata?.annotations ?? {}).some((name) => name.startsWith('njs-tracing.io/'));
    if ('error' in check) {
      if (ours) {
        metrics.refused.inc({ annotation: 'ingress_name' });
        rateLimited.warn(`key:${check.error}`, { reason: check.error }, 'Ingress tracing annotations ignored: unusable name');
        events.report(ingress, [`tracing annotations ignored: ${check.error}`]);
      }
      return;
    }
    const problems = parsed.errors.map((e) => {
      metrics.refused.inc({ annotation: e.knob ? e.annotation : 'unknown' });
      rateLimited.warn(
        `${check.key} ${e.annotation} ${e.value}`,
        { ingress: check.key, annotation: e.annotation, value: e.value, reason: e.reason },
        e.knob ? 'refused Ingress tracing annotation; the Ingress keeps its last valid value' : 'unknown Ingress tracing annotation ignored',
      );
      return `${e.annotation}=${JSON.stringify(e.value)} refused: ${e.reason}` + (e.knob ? '; keeping the last valid value' : '');
    });
    events.report(ingress, problems);
    if (state.apply(check.key, parsed)) schedule();
  };

  const watcher = new IngressWatcher({
    kubeConfig,
    maxBackoffMs: config.reconnectMaxMs,
    onUpsert: upsert,
    onDelete: (ingress) => {
      events.forget(ingress);
      const key = keyOf(ingress);
      if (key && state.delete(key)) schedule();
    },
    onListed: (ingresses) => {
      const keys = new Set(ingresses.map(keyOf).filter((key): key is string => key !== null));
      state.retainOnly(keys);
      // The first list always writes (and reloads), so nginx holds exactly what the API says.
      schedule();
    },
    onReachability: (now, error) => {
      metrics.apiReachable.set(now ? 1 : 0);
      if (now && !reachable) logger.info('Kubernetes API reachable: following Ingress annotations');
      if (!now && (reachable || !warned)) {
        warned = true;
        logger.warn({ err: error }, 'Kubernetes API unreachable: the last policy stays in force; retrying with backoff');
      }
      reachable = now;
      unreachableSince = now ? null : (unreachableSince ?? Date.now());
    },
  });
  metrics.apiReachable.set(0);
  watcher.start();

  return {
    ready: () => reachable && written,
    status: () =>
      !written
        ? 'policy: waiting for the first complete list of Ingresses'
        : reachable
          ? 'policy: following Ingress annotations'
          : `policy: Kubernetes API unreachable since ${new Date(unreachableSince ?? Date.now()).toISOString()}; last policy in force`,
    async stop() {
      stopped = true;
      if (pending) clearTimeout(pending);
      await watcher.stop();
      await writing;
    },
  };
}
