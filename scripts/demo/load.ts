/**
 * The demo's load: GET /cart/{id} and POST /checkout/{id} through NGINX, a
 * fixed number of requests at a fixed concurrency, with a progress bar. In
 * the slow-upload scenario every checkout body arrives in pieces, slowly.
 */
import { Agent, request } from 'node:http';
import { FAULT_SIZE } from './stack.js';

export interface LoadOptions {
  port: number;
  requests: number;
  concurrency: number;
  slowUpload: boolean;
  /** Called after every response with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface LoadResult {
  /** Status code -> count (0: the request failed without a response). */
  statuses: Record<number, number>;
}

const CHECKOUT_EVERY = 4; // one request in four is a checkout
const PIECE_BYTES = 1024;

function send(agent: Agent, port: number, index: number, slowUpload: boolean): Promise<number> {
  const cart = 1 + ((index * 37) % 1000);
  const checkout = index % CHECKOUT_EVERY === CHECKOUT_EVERY - 1;
  const pieces = checkout ? FAULT_SIZE.uploadPieces : 0;
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: checkout ? 'POST' : 'GET',
        path: checkout ? `/checkout/${cart}` : `/cart/${cart}`,
        headers: checkout ? { 'content-type': 'application/octet-stream', 'content-length': pieces * PIECE_BYTES } : {},
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    if (!checkout) return void req.end();
    void (async () => {
      for (let i = 0; i < pieces; i++) {
        if (slowUpload && i > 0) await new Promise((r) => setTimeout(r, FAULT_SIZE.uploadGapMs));
        req.write(Buffer.alloc(PIECE_BYTES, 120));
      }
      req.end();
    })();
  });
}

export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const statuses: Record<number, number> = {};
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < options.requests) {
      const status = await send(agent, options.port, next++, options.slowUpload);
      statuses[status] = (statuses[status] ?? 0) + 1;
      options.onProgress?.(++done, options.requests);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  return { statuses };
}

/** A one-line progress bar on a TTY (redrawn in place); elsewhere a line per quarter. */
export function progressBar(stream: NodeJS.WriteStream, label: string): (done: number, total: number) => void {
  const width = 30;
  const started = Date.now();
  let lastQuarter = 0;
  return (done, total) => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    if (stream.isTTY) {
      const filled = Math.round((done / total) * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} requests, ${elapsed} s`);
      if (done === total) stream.write('\n');
    } else if (Math.floor((done / total) * 4) > lastQuarter || done === total) {
      lastQuarter = Math.floor((done / total) * 4);
      stream.write(`${label} ${done}/${total} requests, ${elapsed} s\n`);
    }
  };
}
