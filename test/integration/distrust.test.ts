/**
 * tracing-location-distrust.conf through real nginx: a client's trace and
 * baggage headers never reach the upstream, with or without the B3/Jaeger
 * header lines; header-name prefixes (uberctx-*, ot-baggage-*) are dropped by
 * tracing-location-distrust-prefixes.conf where the headers-more module is
 * installed (ingress-nginx has it built in).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DISTRUSTED_HEADERS } from '../../src/contract/headers.js';
import { header, headerValues } from '../support/echo-upstream.js';
import { startNginx } from '../support/nginx.js';
import type { Runtime } from '../support/runtimes.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { get, recordFor, uniquePath } from './traced-nginx.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const HEADERS_MORE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so';

/** Everything a client might send to steer tracing, all valid and sampled/debug. */
const HOSTILE: Record<string, string> = {
  traceparent: `00-${TRACE}-${PARENT}-01`,
  tracestate: 'evil=1',
  b3: `${TRACE}-${PARENT}-d`,
  'x-b3-traceid': TRACE,
  'x-b3-spanid': PARENT,
  'x-b3-parentspanid': PARENT,
  'x-b3-sampled': '1',
  'x-b3-flags': '1',
  'uber-trace-id': `${TRACE}:${PARENT}:0:3`,
  'jaeger-debug-id': 'client-chose-this',
  'jaeger-baggage': 'k=v',
  baggage: 'userId=alice,isAdmin=true',
  'ot-tracer-traceid': PARENT,
  'ot-tracer-spanid': PARENT,
  'ot-tracer-sampled': 'true',
  'uberctx-tenant': 'other',
  'ot-baggage-tenant': 'other',
  'x-app': 'kept',
};

function headersMore(rt: Runtime): boolean {
  return existsSync(join(rt.root ?? '/', HEADERS_MORE));
}

function config(prefixes: boolean): string {
  const location = (name: string, extra: string) => `
        location /${name}/ {
            ${extra}
            include tracing-location.conf;
            include tracing-location-distrust.conf;
            proxy_pass http://{{upstream:echo}};
        }`;
  return `
    include tracing-http.conf;
    server {
        listen 127.0.0.1:{{port:main}};
        ${location('distrust', '')}
        ${location('distrust-formats', 'set $tracing_inject "w3c,b3"; include tracing-location-formats.conf;')}
        ${location('distrust-all', 'set $tracing_extract "w3c,b3,b3multi,jaeger"; include tracing-location-formats.conf;')}
        ${prefixes ? location('distrust-prefixes', 'include tracing-location-distrust-prefixes.conf;') : ''}
    }`;
}

describeEachRuntime('distrust include', (rt) => {
  const prefixes = headersMore(rt);
  const start = () =>
    startNginx({ runtime: rt, http: config(prefixes), main: prefixes ? `load_module ${HEADERS_MORE};` : undefined });

  it.each(['distrust', 'distrust-formats', 'distrust-all'])(
    '%s: none of the client\'s trace or baggage headers reaches the upstream; its context is a link',
    async (location) => {
      const nginx = await start();
      const path = uniquePath(location);
      const { upstream } = await get(nginx, path, HOSTILE);
      const record = await recordFor(nginx, path);
      expect(record.traceId).not.toBe(TRACE);
      expect(record.link).toEqual({ traceId: TRACE, spanId: PARENT });
      expect(header(upstream!, 'traceparent')).toBe(`00-${record.traceId}-${record.clientSpanId}-03`);
      expect(header(upstream!, 'tracestate')).toBeUndefined();
      for (const name of DISTRUSTED_HEADERS) {
        const ours = location === 'distrust-formats' && name === 'b3';
        expect(headerValues(upstream!, name), name).toEqual(
          ours ? [`${record.traceId}-${record.clientSpanId}-1-${record.spanId}`] : [],
        );
      }
      expect(header(upstream!, 'x-app')).toBe('kept');
      // Without the prefixes include stock nginx cannot drop these (README, "Distrust").
      expect(header(upstream!, 'uberctx-tenant')).toBe('other');
      await nginx.stop();
    },
  );

  describe('header-name prefixes', () => {
    it.skipIf(!prefixes)('tracing-location-distrust-prefixes.conf drops uberctx-* and ot-baggage-* (headers-more)', async () => {
      const nginx = await start();
      const { upstream } = await get(nginx, uniquePath('distrust-prefixes'), { ...HOSTILE, 'UberCtx-Second': 'x' });
      expect(header(upstream!, 'uberctx-tenant')).toBeUndefined();
      expect(header(upstream!, 'uberctx-second')).toBeUndefined();
      expect(header(upstream!, 'ot-baggage-tenant')).toBeUndefined();
      expect(header(upstream!, 'x-app')).toBe('kept');
      for (const name of DISTRUSTED_HEADERS) expect(headerValues(upstream!, name), name).toEqual([]);
      await nginx.stop();
    });
  });
});
