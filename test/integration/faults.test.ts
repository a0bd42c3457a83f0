/**
 * Faults through real nginx on every runtime: an exception inside our njs
 * code, a js_set handler that throws outright, a record sink that is gone or
 * cannot be written, and upstreams that fail, retry or are never called. The
 * client is answered as if nothing happened, with a valid trace context, and
 * the record says what happened.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleNjs } from '../../scripts/njs-bundle.js';
import { DEFAULT_SINK_FILE, renderSinks } from '../../src/conf/sinks.js';
import { header } from '../support/echo-upstream.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, recordFor, startTracedNginx, uniquePath } from './traced-nginx.js';

/** A new trace started by a fallback: random id (flag 0x02), not sampled. */
const NEW_UNSAMPLED = /^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/;
/** What a caught exception must never leave in error.log (the harness also fails stop() on it). */
const LOGGED_ERROR = /\[(error|crit|alert|emerg)\]/;

const bundles = { faulty: '', throwing: '' };
let bundleDir = '';
beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'njs-tracing-faults-'));
  for (const name of ['faulty', 'throwing'] as const) {
    bundles[name] = join(bundleDir, `${name}.js`);
    const entry = fileURLToPath(new URL(`../fixtures/${name}-entry.ts`, import.meta.url));
    writeFileSync(bundles[name], await bundleNjs(entry));
  }
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

/** The traced config with js/tracing.js replaced by a fixture bundle. */
const withBundle = (rt: Parameters<typeof startTracedNginx>[0], bundle: string, allowErrors: RegExp[] = []) =>
  startTracedNginx(rt, { files: [{ from: bundle, to: 'js/tracing.js' }], allowErrors });

describeEachRuntime('faults', (rt) => {
  describe.concurrent('an njs exception inside computeContext', () => {
    let nginx: Nginx;
    beforeAll(async () => {
      nginx = await withBundle(rt, bundles.faulty);
    });

    it('is caught: the upstream answers 200, gets a new unsampled traceparent, the record says "exception"', async () => {
      const path = uniquePath('forced-njs');
      const { status, upstream } = await get(nginx, path, { 'x-fault': 'headers-null' });
      expect(status).toBe(200);
      const record = await recordFor(nginx, path);
      expect(header(upstream!, 'traceparent')).toBe(`00-${record.traceId}-${record.clientSpanId}-02`);
      expect(record).toMatchObject({ error: 'exception', traceFlags: 2, parentSpanId: '', rejectedHeaders: [] });
      expect(nginx.errorLog()).not.toMatch(LOGGED_ERROR);
    });

    it('falls back to nginx\'s native new trace when even the fallback throws, recorded as "no_result"', async () => {
      const path = uniquePath('forced-njs');
      const { status, upstream } = await get(nginx, path, { 'x-fault': 'variables-throw' });
      expect(status).toBe(200);
      const record = await recordFor(nginx, path);
      expect(header(upstream!, 'traceparent')).toBe(`00-${record.traceId}-${record.clientSpanId}-02`);
      expect(record).toMatchObject({ error: 'no_result', traceFlags: 2 });
      expect(nginx.errorLog()).not.toMatch(LOGGED_ERROR);
    });

    it('leaves requests without a fault untouched (the fixture wraps the real code)', async () => {
      const path = uniquePath('forced-njs');
      await get(nginx, path);
      expect(await recordFor(nginx, path)).toMatchObject({ error: '', traceFlags: 3 });
    });
  });

  describe('a js_set handler that throws before any of our code runs', () => {
    // nginx logs every exception a js_set handler throws, one [error] line per
    // request, not rate-limited: "js exception: …" (njs engine) or
    // "js call exception: …" (QuickJS). Only that line is allowed.
    const JS_EXCEPTION = /\[error\] .*js (call )?exception: Error: tracing fixture: js_set handler throws/;

    it('still gets 200 from the upstream with a native new-trace traceparent, on every path into njs', async () => {
      const nginx = await withBundle(rt, bundles.throwing, [JS_EXCEPTION]);
      // Shapes only njs reads: a tracestate with OWS (default, all), a B3 debug flag (b3).
      // The incoming context is lost to the fallback.
      const sent = {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'a=1, b=2',
        b3: '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-d',
      };
      for (const [location, injected] of [['default', 'traceparent'], ['all', 'traceparent'], ['b3', 'b3']]) {
        const path = uniquePath(location);
        const { status, upstream } = await get(nginx, path, sent);
        expect(status, location).toBe(200);
        const record = await recordFor(nginx, path);
        expect(record, location).toMatchObject({ error: 'no_result', traceFlags: 2, parentSpanId: '' });
        if (injected === 'traceparent') expect(header(upstream!, 'traceparent')).toMatch(NEW_UNSAMPLED);
        else expect(header(upstream!, 'b3')).toBe(`${record.traceId}-${record.clientSpanId}-0-${record.spanId}`);
      }
      await nginx.stop();
      expect(nginx.errorLog().split('\n').filter((l) => JS_EXCEPTION.test(l))).toHaveLength(3);
    });
  });

  describe('the record sink is down', () => {
    it('answers 100 requests with 200 and trace headers when nothing listens on the UDP sink', async () => {
      // nginx logs a failed syslog send() as [error] (plus a [warn]), per
      // record and not rate-limited: each refused datagram's ICMP error fails
      // the next send, so about every second record logs one.
      const REFUSED = /\[error\] .*send\(\) failed \(111: Connection refused\)/;
      const nginx = await startTracedNginx(rt, { allowErrors: [REFUSED] });
      await nginx.syslog.close();
      for (let i = 0; i < 100; i++) {
        const { status, upstream } = await get(nginx, uniquePath('udp'));
        expect(status).toBe(200);
        expect(header(upstream!, 'traceparent')).toMatch(TRACEPARENT);
      }
      await nginx.stop();
      const refused = nginx.errorLog().split('\n').filter((l) => REFUSED.test(l)).length;
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThanOrEqual(100);
    });

    it('keeps writing records through its open file after the sink directory turns read-only', async () => {
      const nginx = await startTracedNginx(rt);
      const logs = join(nginx.prefix, 'logs');
      chmodSync(logs, 0o555);
      try {
        const path = uniquePath('default');
        expect((await get(nginx, path)).status).toBe(200);
        expect((await recordFor(nginx, path)).status).toBe(200);
      } finally {
        chmodSync(logs, 0o755);
      }
    });

    it('answers every request when the sink file cannot be written (a full disk: /dev/full)', async () => {
      // The product's own file-sink line, pointed at a device whose every write fails with ENOSPC.
      const sink = renderSinks().split('\n')[0].replace(DEFAULT_SINK_FILE, '/dev/full');
      expect(sink).toContain('/dev/full tracing_span buffer=');
      // nginx logs a failed write of a buffered access log as [alert], once per flush (per 64 KB or per second).
      const FULL = /\[alert\] .*write\(\) to "\/dev\/full" failed \(28: No space left on device\)/;
      const nginx = await startNginx({
        runtime: rt,
        allowErrors: [FULL],
        http: `include tracing-http.conf;
          server {
              listen 127.0.0.1:{{port:main}};
              location /full/ { ${sink} include tracing-location.conf; proxy_pass http://{{upstream:echo}}; }
          }`,
      });
      const requests = 200;
      for (let i = 0; i < requests; i++) {
        const { status, upstream } = await get(nginx, uniquePath('full'));
        expect(status).toBe(200);
        expect(header(upstream!, 'traceparent')).toMatch(TRACEPARENT);
      }
      await new Promise((resolve) => setTimeout(resolve, 1500)); // one more flush
      await nginx.stop();
      const alerts = nginx.errorLog().split('\n').filter((l) => FULL.test(l)).length;
      expect(alerts).toBeGreaterThan(0);
      expect(alerts).toBeLessThan(requests / 10);
    });
  });

  describe.concurrent('upstream outcomes in the record', () => {
    let nginx: Nginx;
    beforeAll(async () => {
      nginx = await startTracedNginx(rt);
    });

    it('records both attempts of a retry (502, then 200 from the backup) with the same CLIENT span', async () => {
      const path = uniquePath('retry');
      const { status, upstream } = await get(nginx, path);
      expect(status).toBe(200);
      const record = await recordFor(nginx, path);
      const flaky = nginx.upstream('flaky');
      const echo = nginx.upstream('echo');
      expect(record.upstream).toMatchObject([
        { address: flaky.address, status: 502 },
        { address: echo.address, status: 200 },
      ]);
      for (const attempt of record.upstream) {
        expect(attempt.connectMs).toBeGreaterThanOrEqual(0);
        expect(attempt.headerMs).toBeGreaterThanOrEqual(0);
        expect(attempt.responseMs).toBeGreaterThanOrEqual(0);
      }
      // Both attempts carry the one CLIENT span the record names (nginx sends the same headers on a retry).
      const injected = `00-${record.traceId}-${record.clientSpanId}-03`;
      expect(header(upstream!, 'traceparent')).toBe(injected);
      expect(header(flaky.requests.find((r) => r.url === path)!, 'traceparent')).toBe(injected);
    });

    it('records the 503 an upstream answered as the request status', async () => {
      const path = uniquePath('error');
      expect((await get(nginx, path)).status).toBe(503);
      const record = await recordFor(nginx, path);
      expect(record.status).toBe(503);
      expect(record.upstream).toMatchObject([{ status: 503 }]);
    });

    it('records a response nginx made itself (204) with no upstream attempt', async () => {
      const path = uniquePath('local');
      expect((await get(nginx, path)).status).toBe(204);
      expect(await recordFor(nginx, path)).toMatchObject({ status: 204, upstream: [] });
    });
  });
});
