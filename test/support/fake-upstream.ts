/**
 * An application behind nginx that notes WHEN each request arrived, so a test
 * can check that a CLIENT span's window covers the moment the upstream really
 * received the request. Answers 200 with the same JSON as the echo upstream
 * (method, url, headers, bodyBytes), so `get()` in the tests reads it alike.
 */
import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback-server.js';

export interface Arrival {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  /** Date.now() when the request line and headers had arrived. */
  arrivedMs: number;
  /** Date.now() when the whole body had arrived. */
  bodyDoneMs: number;
  bodyBytes: number;
}

export class FakeUpstream {
  readonly arrivals: Arrival[] = [];
  port = 0;
  private server: Server | null = null;

  /** @param options.delayMs wait this long after the body before answering (default 0) */
  constructor(private readonly options: { delayMs?: number } = {}) {}

  async start(): Promise<this> {
    const server = createServer(async (request, response) => {
      const arrivedMs = Date.now();
      let bodyBytes = 0;
      for await (const chunk of request) bodyBytes += (chunk as Buffer).length;
      const headers: Array<[string, string]> = [];
      for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) headers.push([request.rawHeaders[i], request.rawHeaders[i + 1]]);
      const arrival = { method: request.method ?? '', url: request.url ?? '', headers, arrivedMs, bodyDoneMs: Date.now(), bodyBytes };
      this.arrivals.push(arrival);
      if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
      const { arrivedMs: _a, bodyDoneMs: _b, ...echo } = arrival;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echo));
    });
    this.server = server;
    this.port = await listenOnLoopback(server);
    return this;
  }

  /** "127.0.0.1:PORT", for an nginx server or proxy_pass line. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The arrival of the request for this path (query ignored). */
  arrivalOf(path: string): Arrival | undefined {
    return this.arrivals.find((arrival) => arrival.url.split('?')[0] === path);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await closeServer(server);
  }
}
