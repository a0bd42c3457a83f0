/**
 * A Kubernetes API server double for Ingresses, speaking the real wire format
 * that @kubernetes/client-node talks: list (IngressList with a
 * resourceVersion), watch (one JSON event per line: ADDED, MODIFIED,
 * DELETED, BOOKMARK with allowWatchBookmarks, ERROR 410 Expired when the
 * requested resourceVersion is older than the history it keeps), Event
 * creation, and the faults a real one has: dropped watch connections and
 * going away altogether (and coming back on the same port).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { writeFileSync } from 'node:fs';

export interface FakeIngress {
  namespace: string;
  name: string;
  annotations?: Record<string, string>;
}

interface Stored {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'Ingress';
  metadata: { namespace: string; name: string; uid: string; resourceVersion: string; annotations?: Record<string, string> };
  spec: { rules: unknown[] };
}

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Stored;
}

export interface PostedEvent {
  namespace: string;
  body: {
    reason?: string;
    message?: string;
    type?: string;
    involvedObject?: { kind?: string; name?: string; namespace?: string };
  };
}

const LIST_PATH = '/apis/networking.k8s.io/v1/ingresses';
const EVENTS_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/events$/;

export class FakeKubeApi {
  readonly events: PostedEvent[] = [];
  /** Answer Event creation with 403 Forbidden (RBAC without events create). */
  forbidEvents = false;
  /** Watches answered with 410 Gone. */
  expiredWatches = 0;
  /** Requests seen, as "METHOD path?query". */
  readonly requests: string[] = [];
  private rv = 1;
  private uid = 0;
  private readonly objects = new Map<string, Stored>();
  private history: HistoryEntry[] = [];
  private readonly watchers = new Set<{ response: ServerResponse; bookmarks: boolean }>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  /** Goes away: stops listening and cuts every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.watchers.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A kubeconfig file pointing at this server (plain HTTP, which client-node allows only with insecure-skip-tls-verify; a bearer token). */
  writeKubeconfig(path: string): string {
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake\n  cluster:\n    server: http://127.0.0.1:${this.port}\n    insecure-skip-tls-verify: true`,
        'users:',
        '- name: sidecar\n  user:\n    token: test-token',
        'contexts:',
        '- name: fake\n  context:\n    cluster: fake\n    user: sidecar',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return path;
  }

  upsert(ingress: FakeIngress): void {
    const key = `${ingress.namespace}/${ingress.name}`;
    const existing = this.objects.get(key);
    const object: Stored = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        namespace: ingress.namespace,
        name: ingress.name,
        uid: existing?.metadata.uid ?? `uid-${++this.uid}`,
        resourceVersion: String(++this.rv),
        ...(ingress.annotations ? { annotations: { ...ingress.annotations } } : {}),
      },
      spec: { rules: [] },
    };
    this.objects.set(key, object);
    this.publish({ rv: this.rv, type: existing ? 'MODIFIED' : 'ADDED', object });
  }

  delete(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const existing = this.objects.get(key);
    if (!existing) return;
    this.objects.delete(key);
    const object = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.rv) } };
    this.publish({ rv: this.rv, type: 'DELETED', object });
  }

  /** Forgets the watch history, so a watch resuming from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.history = [];
  }

  /** Cuts the open watch connections (the server stays up). */
  dropWatches(): void {
    for (const watcher of this.watchers) watcher.response.socket?.destroy();
    this.watchers.clear();
  }

  /** Sends a BOOKMARK with the current resourceVersion to watchers that asked for them. */
  bookmark(): void {
    for (const watcher of this.watchers) {
      if (watcher.bookmarks) {
        this.send(watcher.response, {
          type: 'BOOKMARK',
          object: { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: { resourceVersion: String(this.rv) } },
        });
      }
    }
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private publish(entry: HistoryEntry): void {
    this.history.push(entry);
    for (const watcher of this.watchers) this.send(watcher.response, { type: entry.type, object: entry.object });
  }

  private send(response: ServerResponse, event: unknown): void {
    response.write(JSON.stringify(event) + '\n');
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    this.requests.push(`${request.method} ${url.pathname}${url.search}`);
    if (request.headers.authorization !== 'Bearer test-token') {
      response.writeHead(401, { 'content-type': 'application/json' }).end(status(401, 'Unauthorized'));
      return;
    }
    const events = EVENTS_PATH.exec(url.pathname);
    if (request.method === 'POST' && events) {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (this.forbidEvents) {
          response.writeHead(403, { 'content-type': 'application/json' }).end(status(403, 'Forbidden'));
          return;
        }
        const parsed = JSON.parse(body) as PostedEvent['body'];
        this.events.push({ namespace: decodeURIComponent(events[1]), body: parsed });
        response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ...parsed, kind: 'Event' }));
      });
      return;
    }
    if (request.method !== 'GET' || url.pathname !== LIST_PATH) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(status(404, 'NotFound'));
      return;
    }
    if (url.searchParams.get('watch') !== 'true') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'IngressList',
          apiVersion: 'networking.k8s.io/v1',
          metadata: { resourceVersion: String(this.rv) },
          items: [...this.objects.values()],
        }),
      );
      return;
    }
    this.watch(url, response);
  }

  private watch(url: URL, response: ServerResponse): void {
    const from = Number(url.searchParams.get('resourceVersion') || '0');
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const oldest = this.history[0]?.rv ?? this.rv + 1;
    if (from < oldest - 1) {
      // What a real API server sends for a resourceVersion older than its watch cache.
      this.expiredWatches++;
      this.send(response, {
        type: 'ERROR',
        object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from}` },
      });
      response.end();
      return;
    }
    for (const entry of this.history) if (entry.rv > from) this.send(response, { type: entry.type, object: entry.object });
    const watcher = { response, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true' };
    this.watchers.add(watcher);
    const timeout = Number(url.searchParams.get('timeoutSeconds') || '0');
    const timer = timeout > 0 ? setTimeout(() => response.end(), timeout * 1000) : null;
    response.on('close', () => {
      if (timer) clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }
}

function status(code: number, reason: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
}
