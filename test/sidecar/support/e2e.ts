/** Shared pieces of the end-to-end tests: real NGINX -> real sidecar bin -> fake backends. */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { ReceivedSpan } from '../../support/fake-otlp.js';

export const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
export const INCOMING_PARENT = '00f067aa0ba902b7';
export const INCOMING_TRACEPARENT = `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`;
/** Sampled flag set; the random-trace-id flag (0x02, W3C Level 2) may be set too. */
export const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[13]$/;

/** A free UDP port for the sidecar, known before NGINX's config is written. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function waitFor<T>(find: () => T | undefined, timeoutMs = 10_000, what = 'not found in time'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A span's start and end in unix milliseconds (through microseconds: nanoseconds overflow a double's precision). */
export function windowMs(span: ReceivedSpan): { start: number; end: number } {
  const ms = (ns: bigint) => Number(ns / 1000n) / 1000;
  return { start: ms(span.startTimeUnixNano), end: ms(span.endTimeUnixNano) };
}

export interface SlowPost {
  /** Date.now() just before the first byte was written. */
  sentAtMs: number;
  /** Date.now() when the last body piece was written. */
  uploadDoneMs: number;
  /** The raw response (latin1). */
  response: string;
}

/**
 * POSTs `pieces` body chunks of `pieceBytes` over a raw socket, `gapMs`
 * apart, so NGINX spends (pieces - 1) x gapMs reading the body before it can
 * build the upstream request.
 */
export function slowPost(port: number, path: string, headers: Record<string, string>, pieces = 6, pieceBytes = 100, gapMs = 100): Promise<SlowPost> {
  return new Promise((resolve, reject) => {
    const head = [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Content-Length: ${pieces * pieceBytes}`,
      'Connection: close',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    const chunks: Buffer[] = [];
    let sentAtMs = 0;
    let uploadDoneMs = 0;
    const socket = connect(port, '127.0.0.1', async () => {
      sentAtMs = Date.now();
      socket.write(head);
      for (let i = 0; i < pieces; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
        socket.write('x'.repeat(pieceBytes));
      }
      uploadDoneMs = Date.now();
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve({ sentAtMs, uploadDoneMs, response: Buffer.concat(chunks).toString('latin1') }));
    socket.on('error', reject);
  });
}
