/**
 * Lists and watches every Ingress with @kubernetes/client-node's ListWatch
 * (from KUBECONFIG, ~/.kube/config or the in-cluster ServiceAccount). The
 * ListWatch resumes a closed watch from the last resourceVersion (bookmarks
 * keep it fresh) and relists on 410 Gone, reporting Ingresses deleted
 * meanwhile; on any other error it stops, and this class restarts it with
 * exponential backoff. What was applied stays applied while the API is away.
 */
import type { V1Ingress, V1IngressList } from '@kubernetes/client-node';
import { ListWatch } from '@kubernetes/client-node/dist/cache.js';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import { KubeConfig, kubeRequest } from './kube-api.js';

const PATH = '/apis/networking.k8s.io/v1/ingresses';

export interface IngressWatcherOptions {
  kubeConfig: KubeConfig;
  onUpsert(ingress: V1Ingress): void;
  onDelete(ingress: V1Ingress): void;
  /** After every complete list: the Ingresses that exist now. */
  onListed(ingresses: V1Ingress[]): void;
  /** The API answered (true) or failed (false, with the error). */
  onReachability(reachable: boolean, error?: unknown): void;
  /** Longest wait between reconnection attempts. */
  maxBackoffMs: number;
  /** The server ends each watch after this long (plus jitter); a silent connection is dropped soon after. */
  watchTimeoutSeconds?: number;
}

const FIRST_BACKOFF_MS = 250;

export class IngressWatcher {
  private listWatch: ListWatch<V1Ingress> | null = null;
  private backoffMs = FIRST_BACKOFF_MS;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: IngressWatcherOptions) {}

  static kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromDefault();
    return config;
  }

  start(): void {
    const { kubeConfig, onUpsert, onDelete, onListed, onReachability } = this.options;
    const list = async (): Promise<V1IngressList> => {
      const result = await kubeRequest<V1IngressList>(kubeConfig, 'GET', PATH);
      this.backoffMs = FIRST_BACKOFF_MS;
      onReachability(true);
      // The ListWatch applies the items right after this resolves; report the full set after that.
      setImmediate(() => onListed(result.items));
      return result;
    };
    const listWatch = new ListWatch<V1Ingress>(PATH, this.watch(kubeConfig), list, false);
    listWatch.on('add', onUpsert);
    listWatch.on('update', onUpsert);
    listWatch.on('delete', onDelete);
    listWatch.on('error', (error: unknown) => {
      onReachability(false, error);
      this.scheduleRestart();
    });
    this.listWatch = listWatch;
    void listWatch.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.listWatch?.stop();
  }

  private scheduleRestart(): void {
    if (this.stopped || this.retry) return;
    const delay = this.backoffMs * (0.8 + Math.random() * 0.4);
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.stopped) void this.listWatch?.start();
    }, delay);
    this.retry.unref();
  }

  /** client-node's Watch, asking for bookmarks and a server-side timeout, and dropping a silent connection. */
  private watch(kubeConfig: KubeConfig): Watch {
    const inner = new Watch(kubeConfig);
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? 300;
    const onReachability = this.options.onReachability;
    const wrapper = Object.create(inner) as Watch;
    wrapper.watch = async (path, params, callback, done) => {
      let timer: NodeJS.Timeout | null = null;
      let controller: AbortController | null = null;
      const idle = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => controller?.abort(), (timeoutSeconds + 30) * 1000);
        timer.unref();
      };
      controller = await inner.watch(
        path,
        { ...params, allowWatchBookmarks: true, timeoutSeconds: Math.round(timeoutSeconds * (1 + Math.random())) },
        (phase, object, raw) => {
          idle();
          callback(phase, object, raw);
        },
        (error) => {
          if (timer) clearTimeout(timer);
          done(error);
        },
      );
      if (!controller.signal.aborted) {
        idle();
        this.backoffMs = FIRST_BACKOFF_MS;
        onReachability(true);
      }
      return controller;
    };
    return wrapper;
  }
}
