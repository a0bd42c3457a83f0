/**
 * The sidecar's own HTTP endpoints: /metrics (Prometheus text format),
 * /healthz (the process is alive) and /readyz (receivers are bound and the
 * sidecar is not shutting down).
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { HostPort } from '../config-values.js';
import type { Logger } from './logger.js';

export interface HttpServerOptions {
  address: HostPort;
  registry: Registry;
  isReady: () => boolean;
  /** A line added to /readyz's answer (the per-Ingress policy's state). */
  detail?: () => string;
  logger: Logger;
}

export class SidecarHttpServer {
  private server: Server | null = null;

  constructor(private readonly options: HttpServerOptions) {}

  /** Resolves with the bound port. */
  start(): Promise<number> {
    const { address, registry, isReady, detail, logger } = this.options;
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (error) => response.writeHead(500).end(String(error)),
        );
      } else if (path === '/healthz') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const ready = isReady();
        const extra = detail ? `${detail()}\n` : '';
        response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end((ready ? 'ready\n' : 'not ready\n') + extra);
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        const addressInfo = server.address();
        const port = typeof addressInfo === 'object' && addressInfo ? addressInfo.port : address.port;
        logger.info({ address: `${address.host}:${port}` }, 'serving /metrics, /healthz, /readyz');
        resolve(port);
      });
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
