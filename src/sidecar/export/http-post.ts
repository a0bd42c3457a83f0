/**
 * One HTTP(S) POST whose AbortSignal really ends it: node's http.request
 * destroys the socket when the signal fires, so an export timeout or the
 * shutdown deadline never leaves a request running behind our back (which
 * could deliver a batch we already re-queued: a duplicate).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  retryAfter: string | undefined;
  body: Buffer;
}

/** Answers larger than this are cut: we only read a status or a small protobuf. */
const MAX_ANSWER_BYTES = 64 * 1024;

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

export function post(url: URL, headers: Record<string, string>, body: Uint8Array, signal: AbortSignal): Promise<HttpAnswer> {
  const https = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.byteLength) },
        agent: https ? agents.https : agents.http,
        signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, retryAfter, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
