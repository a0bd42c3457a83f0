/**
 * The span record nginx writes for a sampled request: every attribute the
 * sidecar needs, times inside the request window, Kubernetes context, both
 * sinks; and records in versions 1 and 2 (includes older than the sidecar) still read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { boundedNginx } from '../../src/record/bounds.js';
import { RECORD_KEYS_V1 } from '../../src/record/fields-v1.js';
import { RECORD_LAYOUT_V2 } from '../../src/record/fields-v2.js';
import { RECORD_FIELDS, RECORD_PARTS, RECORD_VERSION } from '../../src/record/fields.js';
import { parseRecord } from '../../src/record/parse.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, recordFor, startTracedNginx, TRACED_HTTP, uniquePath } from './traced-nginx.js';

/** What the older versions wrote for a part: the ports and $host as they did, else today's variable for the same value. */
const OLD_NGINX: Record<string, string> = {
  spt: '$server_port', cpt: '$remote_port', host: '$host', sid: '$tracing__rid$tracing__rid_low', cid: '$tracing__rid_high',
};
function nginxOf(key: string): string {
  if (OLD_NGINX[key]) return OLD_NGINX[key];
  const part = RECORD_PARTS.find((p) => p.key === key)!;
  return part.nginx === '' ? boundedNginx(key) : part.nginx;
}

/** The version 1 log_format (one JSON string per value). */
const logFormatV1 = () =>
  `log_format tracing_span_v1 escape=json '{"v":1,${RECORD_KEYS_V1.map((key) => `"${key}":"${nginxOf(key)}"`).join(',')}}';`;

/** The version 2 log_format (joined fields with both ports). */
const logFormatV2 = () =>
  `log_format tracing_span_v2 escape=json '{"v":2,${RECORD_LAYOUT_V2.map(
    (field) => `"${field.key}":"${field.parts.map(nginxOf).join(field.separator ?? '')}"`,
  ).join(',')}}';`;

/** Servers whose locations write version 1 and 2 records to the same file, as includes older than the sidecar would. */
const OLD_HTTP = ['v1', 'v2']
  .map(
    (v) => `
    server {
        listen 127.0.0.1:{{port:${v}}};
        location /${v}/ {
            include tracing-location.conf;
            access_log {{spans}} tracing_span_${v} if=$tracing__sink_file;
            proxy_pass http://{{upstream:echo}};
        }
    }`,
  )
  .join('\n');
const V1_HTTP = `
    ${logFormatV1()}
    ${logFormatV2()}
    ${OLD_HTTP}
`;

describeEachRuntime('span records', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt, { http: TRACED_HTTP + V1_HTTP });
  });

  it('describes the request with the HTTP semantic-convention inputs', async () => {
    const path = uniquePath('default');
    const before = Date.now();
    await get(nginx, `${path}?secret=1`, { 'user-agent': 'probe/1.0', host: 'Shop.Example:8443' });
    const after = Date.now();
    const record = await recordFor(nginx, path);
    expect(record).toMatchObject({
      method: 'GET',
      scheme: 'http',
      host: 'shop.example',
      path,
      query: '',
      route: '',
      status: 200,
      clientAddress: '127.0.0.1',
      // The Host header's port (HTTP server conventions); client.port is Opt-In there and not recorded.
      serverPort: 8443,
      clientPort: 0,
      userAgent: 'probe/1.0',
      protocolVersion: '1.1',
      error: '',
      rejectedHeaders: [],
    });
    expect(record.requestBytes).toBeGreaterThan(path.length);
    expect(record.responseBytes).toBeGreaterThan(0);
    // nginx times have millisecond resolution.
    expect(record.startMs).toBeGreaterThanOrEqual(before - 1);
    expect(record.endMs).toBeLessThanOrEqual(after + 1);
    expect(record.endMs).toBeGreaterThanOrEqual(record.startMs);
  });

  it('lists the upstream attempt with its address, status and phase times', async () => {
    const path = uniquePath('default');
    await get(nginx, path);
    const [attempt, ...more] = (await recordFor(nginx, path)).upstream;
    expect(more).toEqual([]);
    expect(attempt.address).toBe(nginx.upstream('echo').address);
    expect(attempt.status).toBe(200);
    for (const phase of [attempt.connectMs, attempt.headerMs, attempt.responseMs]) {
      expect(phase).not.toBeNull();
      expect(phase!).toBeGreaterThanOrEqual(0);
    }
    expect(attempt.headerMs!).toBeLessThanOrEqual(attempt.responseMs!);
  });

  it('adds the query only where $tracing_record_query is on', async () => {
    const path = uniquePath('query');
    await get(nginx, `${path}?user=alice&token=s3cret`);
    expect((await recordFor(nginx, path)).query).toBe('user=alice&token=s3cret');
  });

  it('carries the route and the ingress-nginx Kubernetes variables when a location sets them', async () => {
    const k8s = uniquePath('k8s');
    await get(nginx, k8s);
    expect(await recordFor(nginx, k8s)).toMatchObject({
      route: '/k8s',
      kubernetes: { namespace: 'shop', ingress: 'web', service: 'cart', servicePort: '8080' },
    });
    const route = uniquePath('route');
    await get(nginx, route);
    expect((await recordFor(nginx, route)).route).toBe('/route/{id}');
  });

  it('records a 5xx answered by the upstream', async () => {
    const path = uniquePath('error');
    const { status } = await get(nginx, path);
    expect(status).toBe(503);
    const record = await recordFor(nginx, path);
    expect(record.status).toBe(503);
    expect(record.upstream.map((a) => a.status)).toEqual([503]);
  });

  describe('sinks', () => {
    it('writes records to the file sink by default, one JSON line each', async () => {
      const path = uniquePath('default');
      await get(nginx, path);
      await recordFor(nginx, path);
      const mine = nginx.spanFile.lines().find((line) => line.includes(path))!;
      expect(mine.startsWith(`{"v":${RECORD_VERSION},`)).toBe(true);
      expect(Object.keys(JSON.parse(mine))).toEqual(['v', ...RECORD_FIELDS.map((field) => field.key)]);
    });

    it('sends records as syslog datagrams where $tracing_sink is udp', async () => {
      const path = uniquePath('udp');
      const { upstream } = await get(nginx, path);
      await nginx.syslog.waitFor((all) => all.some((d) => d.text.includes(path)));
      const found = nginx.syslog.texts().find((text) => text.includes(path))!;
      expect(found).toMatch(new RegExp(`^<190>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d njs_tracing: \\{"v":${RECORD_VERSION},`));
      const parsed = parseRecord(found);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(upstream!.headers.find(([n]) => n === 'traceparent')![1]).toContain(parsed.record.clientSpanId);
      expect(nginx.spanFile.lines().some((line) => line.includes(path))).toBe(false);
    });
  });

  it.each([
    ['v1', '{"v":1,"tid":'],
    ['v2', '{"v":2,"id":'],
  ])('still reads %s records, written by includes older than the sidecar, into the same span record', async (v, start) => {
    const path = uniquePath(v);
    const headers = { 'user-agent': 'probe/1.0', host: 'shop.example:8443', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` };
    expect((await get(nginx, path, headers, v)).status).toBe(200);
    const record = await recordFor(nginx, path);
    const line = nginx.spanFile.lines().find((l) => l.includes(path))!;
    expect(line.startsWith(start)).toBe(true);
    // These versions wrote $host and the ports nginx saw (the server port it listened on).
    expect(record).toMatchObject({
      traceId: 'a'.repeat(32), parentSpanId: 'b'.repeat(16), traceFlags: 1, incomingFormat: 'w3c', method: 'GET', path,
      host: 'shop.example', userAgent: 'probe/1.0', status: 200, serverPort: nginx.port(v), error: '', rejectedHeaders: [],
    });
    expect(record.clientPort).toBeGreaterThan(0);
    expect(record.upstream.map((a) => a.status)).toEqual([200]);
  });
});
