/**
 * The service behind nginx for the official W3C Trace Context test suite
 * (its test/README.md: "Implement Test Service"). The harness POSTs a JSON
 * list of {url, arguments}; for each, in order, we POST `arguments` as JSON to
 * `url`'s path through `egress` (an nginx server that proxies to the harness),
 * sending on the traceparent and tracestate nginx gave us. So both hops the
 * harness checks — the incoming request and each outgoing call, which must
 * carry its own parent id — are nginx's propagation, not ours.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Action {
  url: string;
  arguments?: unknown;
}

export interface W3cRelay {
  /** "127.0.0.1:PORT", for proxy_pass. */
  address: string;
  close(): Promise<void>;
}

const FORWARDED = ['traceparent', 'tracestate'];

function post(egress: string, url: string, body: string, incoming: IncomingHttpHeaders): Promise<void> {
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json' };
  for (const name of FORWARDED) {
    const value = incoming[name];
    if (value !== undefined) headers[name] = value;
  }
  return new Promise((resolve) => {
    const { pathname, search } = new URL(url);
    const req = request(`http://${egress}${pathname}${search}`, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    // A failed callback shows as the harness's own "failed to make a callback" failure.
    req.on('error', () => resolve());
    req.end(body);
  });
}

/** `egress`: "HOST:PORT" of the nginx server each callback goes through. */
export function startW3cRelay(egress: () => string): Promise<W3cRelay> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      let actions: Action[] = [];
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        if (Array.isArray(parsed)) actions = parsed as Action[];
      } catch {
        actions = [];
      }
      for (const action of actions) {
        if (typeof action?.url === 'string') await post(egress(), action.url, JSON.stringify(action.arguments ?? []), req.headers);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        address: `127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
