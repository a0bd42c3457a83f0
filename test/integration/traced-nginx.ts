/**
 * One nginx config for the integration tests, with one location per
 * behaviour (as nginx-otel's tests do), plus helpers to send a request and
 * find the span record it produced.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { expect } from 'vitest';
import { parseRecord, type SpanRecord } from '../../src/record/parse.js';
import type { EchoRequest } from '../support/echo-upstream.js';
import { startNginx, type Nginx, type NginxOptions } from '../support/nginx.js';
import type { Runtime } from '../support/runtimes.js';

/**
 * The production matrix (bench/README.md) as locations, each with a twin
 * ("-njs") that has the same knobs but an extract list spelled with spaces,
 * which only njs reads (no native key): the native path must answer exactly
 * as its twin. x-tracing-path says which path ran ($tracing__mode, internal).
 * The sampler and ratio of mx-ratio come from request headers.
 */
export const MATRIX: Record<string, { settings: string; njsExtract: string }> = {
  'mx-default': { settings: '', njsExtract: ' w3c' },
  'mx-ratio': {
    settings: 'set $tracing_sampler $http_x_test_sampler; set $tracing_sample_ratio $http_x_test_ratio;',
    njsExtract: ' w3c',
  },
  'mx-all': { settings: 'set $tracing_extract "w3c,b3,b3multi,jaeger";', njsExtract: 'w3c, b3, b3multi, jaeger' },
  'mx-inject': { settings: 'set $tracing_inject "w3c,b3";', njsExtract: ' w3c' },
  'mx-distrust': { settings: 'set $tracing_trust_incoming off;', njsExtract: ' w3c' },
  'mx-b3': { settings: 'set $tracing_extract b3;', njsExtract: ' b3' },
  'mx-w3c-b3': { settings: 'set $tracing_extract "w3c,b3";', njsExtract: 'w3c, b3' },
  'mx-all-yes': { settings: 'set $tracing_enabled yes; set $tracing_extract "w3c,b3,b3multi,jaeger";', njsExtract: 'w3c, b3, b3multi, jaeger' },
  'mx-all-ratio': {
    settings: 'set $tracing_extract "w3c,b3,b3multi,jaeger"; set $tracing_sampler traceidratio; set $tracing_sample_ratio 0.25;',
    njsExtract: 'w3c, b3, b3multi, jaeger',
  },
  'mx-distrust-all': {
    settings: 'set $tracing_trust_incoming off; set $tracing_extract "w3c,b3,b3multi,jaeger";',
    njsExtract: 'w3c, b3, b3multi, jaeger',
  },
};

const MATRIX_LOCATIONS: Record<string, string> = Object.fromEntries(
  Object.entries(MATRIX).flatMap(([name, { settings, njsExtract }]) => {
    const path = 'add_header x-tracing-path $tracing__mode always;';
    return [
      [name, `${settings} ${path}`],
      [`${name}-njs`, `${settings} set $tracing_extract "${njsExtract}"; ${path}`],
    ];
  }),
);

/** `location /NAME/ { SETTINGS include tracing-location.conf; proxy_pass echo; }` */
const TRACED_LOCATIONS: Record<string, string> = {
  default: '',
  b3: 'set $tracing_extract b3; set $tracing_inject b3;',
  b3multi: 'set $tracing_extract b3multi; set $tracing_inject b3multi;',
  jaeger: 'set $tracing_extract jaeger; set $tracing_inject jaeger;',
  all: 'set $tracing_extract "w3c,b3,b3multi,jaeger"; set $tracing_inject "w3c,b3,b3multi,jaeger";',
  same: 'set $tracing_extract "jaeger,b3multi,b3,w3c"; set $tracing_inject same;',
  'b3-to-w3c': 'set $tracing_extract b3; set $tracing_inject w3c;',
  distrust: 'set $tracing_trust_incoming off;',
  'distrust-b3': 'set $tracing_trust_incoming off; set $tracing_extract b3; set $tracing_inject "w3c,b3";',
  ratio0: 'set $tracing_sample_ratio 0;',
  'ratio-half': 'set $tracing_sample_ratio 0.5;',
  'b3-ratio-half': 'set $tracing_extract b3; set $tracing_sample_ratio 0.5;',
  'always-off': 'set $tracing_sampler always_off;',
  'always-on': 'set $tracing_sampler always_on;',
  off: 'set $tracing_enabled off;',
  query: 'set $tracing_record_query on;',
  'bad-knob': 'set $tracing_sampler probabilistic;',
  'bad-trust': 'set $tracing_trust_incoming yes;',
  'bad-ratio': 'set $tracing_sample_ratio "0.";',
  'bad-inject': 'set $tracing_inject "w3c,zipkin";',
  'bad-sink': 'set $tracing_sink tcp;',
  'bad-enabled': 'set $tracing_enabled yes;',
  'upper-case': 'set $tracing_enabled On; set $tracing_trust_incoming OFF; set $tracing_sink FILE;',
  'inject-spaces': 'set $tracing_inject "w3c, b3";',
  // Same outcome as the default location, but always through njs.
  // An extract list spelled with spaces: valid for njs, never a native key.
  'forced-njs': 'set $tracing_extract "w3c, jaeger";',
  ...MATRIX_LOCATIONS,
  udp: 'set $tracing_sink udp;',
  k8s:
    'set $namespace shop; set $ingress_name web; set $service_name cart; set $service_port 8080; set $location_path /k8s;',
  route: 'set $tracing_route "/route/{id}";',
  vars:
    'add_header x-trace-id $tracing_trace_id; add_header x-span-id $tracing_span_id; ' +
    'add_header x-traceparent $tracing_traceparent; add_header x-sampled $tracing_sampled;',
  traceresponse: 'set $tracing_traceresponse on; include tracing-traceresponse.conf;',
  'traceresponse-off': 'include tracing-traceresponse.conf;',
};

/** Locations that inject (or strip) B3 / Jaeger headers need their header lines too. */
const MULTI_FORMAT = [
  'b3', 'b3multi', 'jaeger', 'all', 'same', 'distrust-b3', 'inject-spaces', 'b3-ratio-half', 'mx-inject', 'mx-inject-njs',
];

function tracedLocations(): string {
  return Object.entries(TRACED_LOCATIONS)
    .map(
      ([name, settings]) => `
        location /${name}/ {
            ${settings}
            include tracing-location.conf;
            ${MULTI_FORMAT.includes(name) ? 'include tracing-location-formats.conf;' : ''}
            proxy_pass http://{{upstream:echo}};
        }`,
    )
    .join('');
}

/**
 * An upstream group whose first server always answers 502 (the "flaky" echo
 * upstream, started with failFirst) and whose backup answers: every request
 * to it is retried once.
 */
export const RETRY_UPSTREAM = `
    upstream retry_group {
        server {{upstream:flaky}} max_fails=0;
        server {{upstream:echo}} backup;
    }
`;

export const TRACED_HTTP = `
    include tracing-http.conf;
    ${RETRY_UPSTREAM}    server {
        listen 127.0.0.1:{{port:main}};
        ${tracedLocations()}
        location /untraced/ { proxy_pass http://{{upstream:echo}}; }
        location /retry/ {
            include tracing-location.conf;
            proxy_next_upstream error http_502;
            proxy_pass http://retry_group;
        }
        location /error/ {
            include tracing-location.conf;
            proxy_pass http://127.0.0.1:{{port:app_error}};
        }
        location /local/ {
            include tracing-location.conf;
            return 204;
        }
    }
    server {
        listen 127.0.0.1:{{port:app_error}};
        access_log off;
        location / { return 503; }
    }
`;

export function startTracedNginx(runtime: Runtime, options: Partial<NginxOptions> = {}): Promise<Nginx> {
  return startNginx({
    runtime,
    http: TRACED_HTTP,
    upstreams: { flaky: { failFirst: 1_000_000, failWith: 'status' } },
    ...options,
  });
}

export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** What the upstream received, when the response came from the echo upstream. */
  upstream: EchoRequest | null;
}

/** GET through nginx with Node's http client (which still refuses CR/LF in values). */
export function get(nginx: Nginx, path: string, headers: Record<string, string | string[]> = {}, port?: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(port === undefined ? nginx.url(path) : nginx.url(path, port), { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let upstream: EchoRequest | null = null;
        if ((res.headers['content-type'] ?? '').includes('json')) upstream = JSON.parse(body) as EchoRequest;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, upstream });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Send bytes exactly as given (hostile request lines and headers) with
 * `Connection: close` among them; returns the raw response (latin1).
 */
export function rawRequest(nginx: Nginx, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    // write, not end: nginx takes a half-closed client for one that gave up (499).
    const socket = connect(nginx.port('main'), '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

let sequence = 0;
/** A path no other request in this process uses, to find its record. */
export function uniquePath(location: string): string {
  sequence += 1;
  return `/${location}/case-${process.pid}-${sequence}`;
}

function parsedRecords(lines: string[]): SpanRecord[] {
  return lines.map((line) => {
    const result = parseRecord(line);
    if (!result.ok) throw new Error(`nginx wrote an invalid record (${result.reason}): ${line}`);
    return result.record;
  });
}

/**
 * Whether a record line is for this exact path (not one it is a prefix of):
 * version 3 writes the path between two "\n" of field c, older versions as
 * field path.
 */
export function lineHasPath(line: string, path: string): boolean {
  return line.includes(`\\n${path}\\n`) || line.includes(`"path":"${path}"`);
}

/** The records nginx wrote to the file sink for this path (waits for the buffered log). */
export async function recordsFor(nginx: Nginx, path: string, count = 1): Promise<SpanRecord[]> {
  const lines = await nginx.spanFile.waitFor((all) => all.filter((l) => lineHasPath(l, path)).length >= count);
  return parsedRecords(lines).filter((r) => r.path === path);
}

export async function recordFor(nginx: Nginx, path: string): Promise<SpanRecord> {
  const records = await recordsFor(nginx, path);
  expect(records).toHaveLength(1);
  return records[0];
}

/**
 * Asserts that `path` produced no record: a sampled marker request sent after
 * it is written later by the same worker, so once the marker is there, a
 * record for `path` would be too.
 */
export async function expectNoRecord(nginx: Nginx, path: string): Promise<void> {
  const marker = uniquePath('default');
  await get(nginx, marker);
  await recordFor(nginx, marker);
  const all = parsedRecords(nginx.spanFile.lines());
  expect(all.filter((r) => r.path === path)).toEqual([]);
}

export const HEX32 = /^[0-9a-f]{32}$/;
export const HEX16 = /^[0-9a-f]{16}$/;
