/**
 * A gRPC backend and client speaking the real wire format over cleartext
 * HTTP/2 (node:http2): unary calls, messages with gRPC's 5-byte length
 * prefix, the status in trailers (or, with `trailersOnly`, in the headers).
 * The backend keeps the headers of every call it received.
 */
import { connect, createServer, constants, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { once } from 'node:events';
import { closeServer, listenOnLoopback } from '../support/loopback-server.js';

const { HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_PATH, HTTP2_HEADER_METHOD } = constants;

/** A gRPC message frame: compressed flag 0, 4-byte big-endian length, payload. */
export function grpcFrame(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

export interface GrpcCallSeen {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class GrpcUpstream {
  readonly calls: GrpcCallSeen[] = [];
  port = 0;
  private server: Http2Server | null = null;

  /** status: the grpc-status every call answers with; trailersOnly: in the response headers instead of trailers. */
  constructor(private readonly options: { status?: number; trailersOnly?: boolean } = {}) {}

  async start(): Promise<this> {
    const server = createServer();
    server.on('stream', (stream, headers) => this.answer(stream, headers));
    this.server = server;
    this.port = await listenOnLoopback(server);
    return this;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private answer(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      this.calls.push({ path: String(headers[HTTP2_HEADER_PATH]), headers, body: Buffer.concat(chunks) });
      const status = String(this.options.status ?? 0);
      if (this.options.trailersOnly) {
        stream.respond({ [HTTP2_HEADER_STATUS]: 200, [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc', 'grpc-status': status }, { endStream: true });
        return;
      }
      stream.respond({ [HTTP2_HEADER_STATUS]: 200, [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': status, 'grpc-message': status === '0' ? '' : 'failed' }));
      stream.end(grpcFrame(Buffer.from('pong')));
    });
  }

  callTo(path: string): GrpcCallSeen | undefined {
    return this.calls.find((call) => call.path === path);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await closeServer(server);
  }
}

export interface GrpcReply {
  /** HTTP status of the response. */
  status: number;
  /** grpc-status from the trailers, or from the headers of a trailers-only response. */
  grpcStatus: string | undefined;
  body: Buffer;
}

/** One unary call over cleartext HTTP/2 (prior knowledge), as a gRPC client makes it. */
export async function grpcUnary(port: number, path: string, headers: Record<string, string> = {}): Promise<GrpcReply> {
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  try {
    const stream = session.request({
      [HTTP2_HEADER_METHOD]: 'POST',
      [HTTP2_HEADER_PATH]: path,
      [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const reply: GrpcReply = { status: 0, grpcStatus: undefined, body: Buffer.alloc(0) };
    stream.on('response', (response) => {
      reply.status = Number(response[HTTP2_HEADER_STATUS]);
      if (response['grpc-status'] !== undefined) reply.grpcStatus = String(response['grpc-status']);
    });
    stream.on('trailers', (trailers) => {
      if (trailers['grpc-status'] !== undefined) reply.grpcStatus = String(trailers['grpc-status']);
    });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.end(grpcFrame(Buffer.from('ping')));
    await once(stream, 'close');
    reply.body = Buffer.concat(chunks);
    return reply;
  } finally {
    session.close();
  }
}
