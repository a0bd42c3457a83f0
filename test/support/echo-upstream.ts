/**
 * The application behind nginx in tests: answers 200 with JSON describing the
 * request it received, so a test sees exactly which headers nginx injected.
 * Headers come from req.rawHeaders: duplicates and original case stay visible.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EchoOptions {
  /**
   * The first n requests fail (default 0), to exercise nginx's upstream retries
   * (proxy_next_upstream).
   */
  failFirst?: number;
  /** How a failing request fails: a 502 reply, or closing the connection unanswered. Default 'status'. */
  failWith?: 'status' | 'close';
  /** Wait this long before answering each request (default 0). */
  delayMs?: number;
}

export interface EchoRequest {
  method: string;
  url: string;
  /** [name, value] pairs in arrival order, names as sent. */
  headers: Array<[string, string]>;
  bodyBytes: number;
  /** The status this upstream answered with (0 when it closed the connection). */
  status: number;
}

export interface EchoUpstream {
  port: number;
  /** "127.0.0.1:PORT", for proxy_pass http://… or an upstream {} server line. */
  address: string;
  /** Every request received, failed ones included. */
  requests: EchoRequest[];
  close(): Promise<void>;
}

/** All values of one header (case-insensitive), in arrival order. */
export function headerValues(req: Pick<EchoRequest, 'headers'>, name: string): string[] {
  const wanted = name.toLowerCase();
  return req.headers.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
}

/** The single value of a header; undefined if absent; throws if repeated. */
export function header(req: Pick<EchoRequest, 'headers'>, name: string): string | undefined {
  const values = headerValues(req, name);
  if (values.length > 1) throw new Error(`header ${name} sent ${values.length} times: ${JSON.stringify(values)}`);
  return values[0];
}

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

async function bodyLength(req: IncomingMessage): Promise<number> {
  let n = 0;
  for await (const chunk of req) n += (chunk as Buffer).length;
  return n;
}

export async function startEchoUpstream(options: EchoOptions = {}): Promise<EchoUpstream> {
  const { failFirst = 0, failWith = 'status', delayMs = 0 } = options;
  const requests: EchoRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer(async (req, res) => {
    const seen: EchoRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: pairs(req.rawHeaders),
      bodyBytes: await bodyLength(req),
      status: 0,
    };
    const failing = requests.length < failFirst;
    requests.push(seen);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (failing && failWith === 'close') {
      req.socket.destroy();
      return;
    }
    seen.status = failing ? 502 : 200;
    const { status: _status, ...body } = seen;
    res.writeHead(seen.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  // Track sockets so close() does not wait for nginx's idle keepalive connections.
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;

  return {
    port,
    address: `127.0.0.1:${port}`,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
