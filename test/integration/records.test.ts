/**
 * The span record nginx writes for a sampled request: every attribute the
 * sidecar needs, times inside the request window, Kubernetes context, both
 * sinks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../src/record/parse.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, recordFor, startTracedNginx, uniquePath } from './traced-nginx.js';

describeEachRuntime('span records', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt);
  });

  it('describes the request with the HTTP semantic-convention inputs', async () => {
    const path = uniquePath('default');
    const before = Date.now();
    await get(nginx, `${path}?secret=1`, { 'user-agent': 'probe/1.0', host: 'shop.example:8443' });
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
      serverPort: nginx.port('main'),
      userAgent: 'probe/1.0',
      protocolVersion: '1.1',
      error: '',
      rejectedHeaders: [],
    });
    expect(record.clientPort).toBeGreaterThan(0);
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
      for (const line of nginx.spanFile.lines()) expect(line.startsWith('{"v":1,')).toBe(true);
    });

    it('sends records as syslog datagrams where $tracing_sink is udp', async () => {
      const path = uniquePath('udp');
      const { upstream } = await get(nginx, path);
      await nginx.syslog.waitFor((all) => all.some((d) => d.text.includes(path)));
      const found = nginx.syslog.texts().find((text) => text.includes(path))!;
      expect(found).toMatch(/^<190>\w{3} [ \d]\d \d\d:\d\d:\d\d njs_tracing: \{"v":1,/);
      const parsed = parseRecord(found);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(upstream!.headers.find(([n]) => n === 'traceparent')![1]).toContain(parsed.record.clientSpanId);
      expect(nginx.spanFile.lines().some((line) => line.includes(path))).toBe(false);
    });
  });
});
