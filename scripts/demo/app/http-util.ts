/** What both demo services need: one route served on loopback, the route on the active SERVER span, bodies, JSON replies. */
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** Names the SERVER span "{method} {route}" and sets http.route, as a web framework would. */
export function setRoute(route: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}

export async function readBody(req: IncomingMessage): Promise<number> {
  let bytes = 0;
  for await (const chunk of req) bytes += (chunk as Buffer).length;
  return bytes;
}

export function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a number >= 0, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * Serves `route` on 127.0.0.1:`port`: /healthz answers ok, other paths 404,
 * a throwing handler 500. The handler gets the route's captures.
 */
export function serveRoute(port: number, route: RegExp,
  handle: (match: RegExpExecArray, req: IncomingMessage, res: ServerResponse) => Promise<void>): void {
  createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') return reply(res, 200, { ok: true });
      const match = route.exec(path);
      if (!match) return reply(res, 404, { error: 'no such route' });
      await handle(match, req, res);
    } catch (error) {
      reply(res, 500, { error: String(error) });
    }
  }).listen(port, '127.0.0.1');
}
