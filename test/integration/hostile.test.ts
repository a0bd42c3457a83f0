/**
 * Hostile input through real nginx on every runtime: oversized and malformed trace headers, CR/LF, NUL, quotes
 * and forged records in what a span record carries, header injection, duplicate headers. The request is always
 * answered (by the upstream, or by nginx's own 400 where nginx refuses it), what we forward keeps its spec
 * grammar, and a client can neither break a span record nor forge one.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES, RECORD_PARTS, RECORD_VERSION } from '../../src/record/fields.js';
import { parseRecord, type SpanRecord } from '../../src/record/parse.js';
import { header, headerValues, type EchoRequest } from '../support/echo-upstream.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { expectNoRecord, get, rawRequest, recordFor, startTracedNginx, uniquePath } from './traced-nginx.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const VALID = `00-${TRACE}-${PARENT}-01`;

// What we forward upstream, each in its spec grammar.
const TRACEPARENT_OUT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const B3_OUT = /^[0-9a-f]{32}-[0-9a-f]{16}-[01d]-[0-9a-f]{16}$/;
const UBER_OUT = /^[0-9a-f]{32}:[0-9a-f]{16}:[0-9a-f]{16}:[0-9a-f]{1,2}$/;
const TS_KEY = '(?:[a-z][a-z0-9_\\-*/]{0,255}|[a-z0-9][a-z0-9_\\-*/]{0,240}@[a-z][a-z0-9_\\-*/]{0,13})';
const TS_MEMBER = `${TS_KEY}=[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]`;
const TRACESTATE_OUT = new RegExp(`^${TS_MEMBER}(?:,${TS_MEMBER}){0,31}$`);
const GRAMMARS: Array<[string, RegExp, number]> = [
  ['traceparent', TRACEPARENT_OUT, 55], ['tracestate', TRACESTATE_OUT, 512], ['b3', B3_OUT, 68], ['uber-trace-id', UBER_OUT, 69],
];

/** A record line with a trace id only this case uses: finding it as a record's own id would mean forgery. */
/** The bytes of the Host header a record keeps (fields.ts). */
const HOST_CAP = RECORD_PARTS.find((part) => part.key === 'host')!.cap!.bytes;

/** A forged record in the current format (RECORD_VERSION, joined fields), and one in version 1 (still read). */
const forgedRecord = (tid = randomBytes(16).toString('hex')) => ({
  tid,
  // No spaces: the path cases send it raw in the request line.
  line: `{"v":${RECORD_VERSION},"id":"${tid}","n":"200"}{"v":1,"tid":"${tid}","st":"200"}`,
});

/** Trace headers the upstream got: each at most once (header() throws on a repeat), each in its grammar. */
function expectSpecGrammar(upstream: EchoRequest, injected: string[] = []): void {
  for (const [name, grammar, maxLength] of GRAMMARS) {
    const value = header(upstream, name);
    if (value === undefined) continue;
    expect(value, name).toMatch(grammar);
    expect(value.length, name).toBeLessThanOrEqual(maxLength);
  }
  expect(upstream.headers.filter(([n]) => n.toLowerCase() === 'x-injected').map(([, v]) => v)).toEqual(injected);
}

/** Sends a request byte for byte (latin1); `upstream` is what the echo upstream got for `path`, if anything. */
async function raw(nginx: Nginx, path: string, headers: string[], { method = 'GET', host = 'hostile.test' } = {}) {
  const head = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...headers, 'Connection: close', '', ''].join('\r\n');
  const response = await rawRequest(nginx, Buffer.from(head, 'latin1'));
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);
  return { status, upstream: nginx.upstream('echo').requests.find((r) => r.url === path) };
}

/** The one record line mentioning `marker`, bounded in size, parsed; every line in the file must parse. */
async function onlyRecord(nginx: Nginx, marker: string): Promise<SpanRecord> {
  const all = await nginx.spanFile.waitFor((lines) => lines.some((l) => l.includes(marker)));
  const parsed = all.map((line) => ({ line, result: parseRecord(line) }));
  for (const { line, result } of parsed) expect(result, line).toMatchObject({ ok: true });
  const mine = parsed.filter(({ line }) => line.includes(marker));
  expect(mine).toHaveLength(1);
  expect(Buffer.byteLength(mine[0].line)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
  return (mine[0].result as { record: SpanRecord }).record;
}

const rejects = (...names: string[]) => (r: SpanRecord) => expect(r.rejectedHeaders).toEqual(names);
const members = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `m${from + i}=${'v'.repeat(16)}`).join(',');

/** Each answered by the upstream with 200; `check` sees the one record and what the upstream got. */
const OVERSIZED: Array<{
  name: string; location: string; headers?: Record<string, string | string[]>; pathTail?: string;
  check: (record: SpanRecord, upstream: EchoRequest) => void;
}> = [
  { name: "rejects an 8000-byte traceparent (within nginx's 8 KB header buffer) and starts a new trace", location: 'default',
    headers: { traceparent: VALID.padEnd(8000, 'x') },
    check: (r) => expect(r).toMatchObject({ rejectedHeaders: ['traceparent'], parentSpanId: '' }) },
  { name: 'continues an 8000-byte future-version traceparent and forwards a 55-char version 00', location: 'default',
    headers: { traceparent: `cc-${TRACE}-${PARENT}-01-`.padEnd(8000, 'x') },
    check: (r) => expect(r).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, rejectedHeaders: [] }) },
  { name: 'drops a 1000-member, 20 KB tracestate sent on four header lines (over 32 members) and keeps the traceparent',
    location: 'default', headers: { traceparent: VALID, tracestate: [0, 250, 500, 750].map((i) => members(i, i + 250)) },
    check: (r, upstream) => {
      expect(r).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, traceState: '', rejectedHeaders: ['tracestate'] });
      expect(header(upstream, 'tracestate')).toBeUndefined();
    } },
  { name: 'rejects an 8000-byte b3 header (njs path) and injects every format afresh', location: 'all',
    headers: { b3: `${TRACE}-${PARENT}-1-`.padEnd(8000, 'f') }, check: rejects('b3') },
  { name: 'rejects an 8000-byte uber-trace-id (njs path) and injects every format afresh', location: 'all',
    headers: { 'uber-trace-id': `${TRACE}:${PARENT}:0:1`.padStart(8000, '0') }, check: rejects('uber-trace-id') },
  { name: 'cuts a 4 KB user agent to its first 256 bytes', location: 'default',
    headers: { 'user-agent': 'agent/'.padEnd(4096, 'u') },
    check: (r) => expect(r.userAgent).toBe('agent/'.padEnd(256, 'u')) },
  { name: 'cuts a 6 KB path to its first 1024 bytes', location: 'default', pathTail: 'p'.repeat(6144),
    check: (r) => expect([r.path.length, /\/p+$/.test(r.path)]).toEqual([1024, true]) },
  { name: `cuts a 2 KB Host to its first ${HOST_CAP} bytes`, location: 'default', headers: { host: 'h'.repeat(2048) },
    check: (r) => expect(r.host).toBe('h'.repeat(HOST_CAP)) },
];

/** Requests nginx itself refuses with 400: the upstream never sees them and no record is written. */
const REFUSED_BY_NGINX: Array<{ name: string; pathTail?: string; headers: string[] }> = [
  { name: "a traceparent longer than nginx's 8 KB header buffer", headers: [`traceparent: ${'a'.repeat(8200)}`] },
  { name: 'a 20 KB tracestate on one header line', headers: [`traceparent: ${VALID}`, `tracestate: ${members(0, 1000)}`] },
  { name: 'a bare CR inside a traceparent value', headers: [`traceparent: ${VALID}\rX-Injected: 1`] },
  { name: 'an obs-fold line continuing tracestate', headers: [`traceparent: ${VALID}`, 'tracestate: a=1', ' X-Injected: 1'] },
  { name: 'a NUL byte in the user agent', headers: ['User-Agent: a\0b'] },
  { name: 'a percent-encoded NUL (%00) in the path', pathTail: 'a%00b', headers: [] },
];

/** Hostile text, built around this case's forged record line `f`, that a record field must give back as data. */
const CARRIED: Array<{
  name: string; location: string; field: 'path' | 'query' | 'userAgent';
  build: (f: string) => { pathTail?: string; userAgent?: string };
  expected: (sent: { path: string; userAgent?: string }) => string;
}> = [
  { name: 'quotes, braces, a backslash and a forged record in the path', location: 'default', field: 'path',
    build: (f) => ({ pathTail: `"}\\,${f}` }), expected: (s) => s.path },
  { name: 'a percent-encoded newline and quotes (%0A, %22) before a forged record in the path', location: 'default',
    field: 'path', build: (f) => ({ pathTail: `%22%7D%0A${encodeURIComponent(f)}` }), expected: (s) => s.path },
  { name: 'a raw quote and a percent-encoded newline before a forged record in the recorded query', location: 'query',
    field: 'query', build: (f) => ({ pathTail: `?q="}%0A${encodeURIComponent(f)}&r=\\` }),
    expected: (s) => s.path.slice(s.path.indexOf('?') + 1) },
  { name: 'quotes, backslashes and a tab around a forged record in the user agent', location: 'default',
    field: 'userAgent', build: (f) => ({ userAgent: `ua"}\\\t${f}\\"` }), expected: (s) => s.userAgent! },
  // The local location answers itself: the Node upstream would refuse control bytes.
  { name: 'control bytes (ESC, 0x01, DEL) around a forged record in the user agent', location: 'local',
    field: 'userAgent', build: (f) => ({ userAgent: `\x1b[31m\x01"}${f}\x7f` }), expected: (s) => s.userAgent! },
  { name: 'bytes that are not UTF-8 around a forged record in the user agent', location: 'default', field: 'userAgent',
    build: (f) => ({ userAgent: `\xff\xfe"}${f}\xc3` }), expected: (s) => Buffer.from(s.userAgent!, 'latin1').toString() },
  // CR LF ends the header line: the forged record becomes an invalid header line, which nginx ignores.
  { name: 'a raw CR LF and a forged record in the user agent (the rest is a header line nginx drops)',
    location: 'default', field: 'userAgent', build: (f) => ({ userAgent: `first\r\n${f}` }), expected: () => 'first' },
];

/** A raw request's trace headers; each case checks the record and what the upstream got (as one header each). */
interface ContextCase {
  name: string; location: string; headers: string[]; check: (record: SpanRecord, upstream: EchoRequest) => void;
  /** X-Injected values the upstream may get: only ones the client sent as a header of its own. */
  injected?: string[];
  /** Headers we pass through untouched are not ours to hold to a grammar. */
  passthrough?: boolean;
}
const twice = (name: string, a: string, b: string) => [`${name}: ${a}`, `${name}: ${b}`];

const INJECTION: ContextCase[] = [
  { name: "CR LF after a valid traceparent ends that header: X-Injected is the client's own header, forwarded once",
    location: 'default', headers: [`traceparent: ${VALID}\r\nX-Injected: 1`], check: rejects(), injected: ['1'] },
  { name: 'a bare LF ends the header line just the same (nginx accepts LF line ends)', location: 'default',
    headers: [`traceparent: ${VALID}\nX-Injected: 1`], check: rejects(), injected: ['1'] },
  { name: 'a percent-encoded CR LF in traceparent is rejected, never decoded', location: 'default',
    headers: [`traceparent: ${VALID}%0D%0AX-Injected:%201`], check: rejects('traceparent') },
  { name: 'a header smuggled after a space in b3 is rejected', location: 'all',
    headers: [`b3: ${TRACE}-${PARENT}-1 X-Injected: 1`], check: rejects('b3') },
  { name: 'a percent-encoded CR LF in uber-trace-id is rejected (only %3A is decoded)', location: 'all',
    headers: [`uber-trace-id: ${TRACE}%3A${PARENT}%3A0%3A1%0D%0AX-Injected:%201`], check: rejects('uber-trace-id') },
  { name: 'a tracestate smuggling a header after a comma is malformed: dropped whole, the traceparent kept',
    location: 'default', headers: [`traceparent: ${VALID}`, 'tracestate: a=1,X-Injected: 1,b=2'],
    check: (r, upstream) => {
      expect(r).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, rejectedHeaders: ['tracestate'] });
      expect(header(upstream, 'tracestate')).toBeUndefined();
    } },
  { name: 'an encoded CR LF, quotes and a backslash in tracestate values stay list data', location: 'default',
    headers: [`traceparent: ${VALID}`, 'tracestate: a=1,b=x%0D%0AX-Injected:%201, c=q"\\z '],
    check: (_, upstream) => expect(header(upstream, 'tracestate')).toBe('a=1,b=x%0D%0AX-Injected:%201,c=q"\\z') },
];

/** nginx 1.23+ joins repeated headers in $http_*; nginx 1.22 (our njs 0.7.9 runtime) returns only the first. */
function duplicateCases(joins: boolean): ContextCase[] {
  const two = (name: string, value: string) => twice(name, value, value.replace(PARENT, '1111111111111111'));
  const continuesFirst = (r: SpanRecord) => expect(r).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, rejectedHeaders: [] });
  const newTrace = (r: SpanRecord) => expect(r).toMatchObject({ rejectedHeaders: ['traceparent'], parentSpanId: '' });
  const withTracestates = [`traceparent: ${VALID}`, ...twice('tracestate', 'a=1', 'b=2')];
  return [
    { name: 'two traceparent headers on the njs path are one invalid context: a new trace starts', location: 'forced-njs',
      headers: two('traceparent', VALID), check: newTrace },
    // W3C's test suite wants two traceparent headers rejected; nginx 1.22 shows the native map only the first.
    { name: `two traceparent headers on the native path: ${joins ? 'rejected (nginx joins them)' : 'nginx 1.22 continues the first'}`,
      location: 'default', headers: two('traceparent', VALID),
      check: joins ? newTrace : (r) => expect(r).toMatchObject({ rejectedHeaders: [], parentSpanId: PARENT }) },
    // The native path reads $http_tracestate: joined by nginx 1.23+ (with OWS, so njs
    // normalizes it), the first header alone on nginx 1.22.
    { name: `two tracestate headers: ${joins ? 'combined into one list, forwarded as one header' : 'nginx 1.22 forwards the first'}`,
      location: 'default', headers: withTracestates,
      check: (_, upstream) => expect(header(upstream, 'tracestate')).toBe(joins ? 'a=1,b=2' : 'a=1') },
    { name: `${joins ? 'cuts' : 'nginx 1.22: forwards the first line of'} a valid 32-member tracestate on two header lines${joins ? ' to its leftmost members within 512 characters' : ''}`,
      location: 'default', headers: [`traceparent: ${VALID}`, ...twice('tracestate', members(0, 16), members(16, 32))],
      check: (r, upstream) => {
        expect(r).toMatchObject({ traceId: TRACE, traceState: header(upstream, 'tracestate'), rejectedHeaders: [] });
        const sent = members(0, 32).split(',');
        let kept = sent.length;
        while (sent.slice(0, kept).join(',').length > 512) kept--;
        // nginx 1.22 shows the native map only the first header line.
        expect([kept, r.traceState]).toEqual(joins ? [24, members(0, 24)] : [24, members(0, 16)]);
      } },
    { name: `two tracestate headers repeating a key ${joins ? 'are one list, propagated with the repeat as one header' : 'on nginx 1.22: the first is forwarded'}`,
      location: 'default', headers: [`traceparent: ${VALID}`, ...twice('tracestate', 'a=1', 'b=2, a=3')],
      check: (r, upstream) => {
        if (!joins) return expect(headerValues(upstream, 'tracestate')).toEqual(['a=1']);
        expect(r).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, rejectedHeaders: [], traceState: 'a=1,b=2,a=3' });
        expect(headerValues(upstream, 'tracestate')).toEqual(['a=1,b=2,a=3']);
      } },
    { name: `two tracestate headers, the second malformed, ${joins ? 'are one malformed list: dropped, the traceparent kept' : 'on nginx 1.22: the first is forwarded'}`,
      location: 'default', headers: [`traceparent: ${VALID}`, ...twice('tracestate', 'a=1', 'b=2, @a=3')],
      check: (r, upstream) => {
        if (!joins) return expect(headerValues(upstream, 'tracestate')).toEqual(['a=1']);
        expect(r).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, rejectedHeaders: ['tracestate'] });
        expect(header(upstream, 'tracestate')).toBeUndefined();
      } },
    { name: `two tracestate headers pass through where W3C is not injected: ${joins ? 'joined' : 'nginx 1.22 keeps the first'}`,
      location: 'b3', headers: withTracestates, passthrough: true,
      check: (_, upstream) => expect(header(upstream, 'tracestate')).toBe(joins ? 'a=1, b=2' : 'a=1') },
    // The native path reads $http_b3 / $http_uber_trace_id: nginx 1.22 shows it only the first.
    { name: `two b3 headers ${joins ? 'are rejected (joined, they are no context)' : 'on nginx 1.22: the first is continued'} and one new b3 is injected`,
      location: 'b3', headers: two('b3', `${TRACE}-${PARENT}-1`), check: joins ? rejects('b3') : continuesFirst },
    { name: `two uber-trace-id headers ${joins ? 'are rejected' : 'on nginx 1.22: the first is continued'} and one new uber-trace-id is injected`,
      location: 'jaeger', headers: two('uber-trace-id', `${TRACE}:${PARENT}:0:1`), check: joins ? rejects('uber-trace-id') : continuesFirst },
  ];
}

const REJECTED_RECORDED: ContextCase[] = [
  { name: 'names an invalid traceparent in the record (native path)', location: 'default',
    headers: [`traceparent: 00-${TRACE}-${PARENT}-1`], check: rejects('traceparent') },
  { name: 'names invalid b3 and uber-trace-id headers in the record (njs path)', location: 'all',
    headers: ['b3: not-b3', 'uber-trace-id: 0:0:0:0'], check: rejects('b3', 'uber-trace-id') },
  { name: 'records a malformed traceparent on an unsampled request (ratio 0) and leaves the request alone',
    location: 'ratio0', headers: ['traceparent: garbage'],
    check: (r, upstream) => {
      expect(r).toMatchObject({ rejectedHeaders: ['traceparent'], traceFlags: 2 });
      expect(header(upstream, 'traceparent')).toBe(`00-${r.traceId}-${r.clientSpanId}-02`);
    } },
];

describeEachRuntime('hostile input', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt);
  });

  describe.concurrent('oversized headers: answered by the upstream, headers and record bounded', () => {
    for (const c of OVERSIZED) {
      it(c.name, async () => {
        const base = uniquePath(c.location);
        const { status, upstream } = await get(nginx, `${base}/${c.pathTail ?? ''}`, c.headers);
        expect(status).toBe(200);
        expectSpecGrammar(upstream!);
        c.check(await onlyRecord(nginx, `${base}/`), upstream!);
      });
    }
  });

  describe.concurrent('requests nginx itself refuses with 400: no upstream call, no record', () => {
    for (const c of REFUSED_BY_NGINX) {
      it(c.name, async () => {
        const path = `${uniquePath('default')}/${c.pathTail ?? ''}`;
        const { status, upstream } = await raw(nginx, path, c.headers);
        expect(status).toBe(400);
        expect(upstream).toBeUndefined();
        await expectNoRecord(nginx, path);
      });
    }
  });

  describe.concurrent('hostile text in a record comes back as data in exactly one record line', () => {
    for (const c of CARRIED) {
      it(c.name, async () => {
        const forged = forgedRecord();
        const base = uniquePath(c.location);
        const { pathTail = '', userAgent } = c.build(forged.line);
        const path = `${base}/${pathTail}`;
        const { status } = await raw(nginx, path, userAgent === undefined ? [] : [`User-Agent: ${userAgent}`]);
        expect(status).toBe(c.location === 'local' ? 204 : 200);
        const record = await onlyRecord(nginx, `${base}/`);
        expect(record[c.field]).toBe(c.expected({ path, userAgent }));
        // The forged trace id shows up, if at all, only as data inside this request's record.
        expect(nginx.spanFile.lines().filter((l) => l.includes(forged.tid) && !l.includes(`${base}/`))).toEqual([]);
      });
    }
  });

  describe.concurrent('record size', () => {
    // Every client-controlled field past its cap, in the bytes escape=json expands most ("\x01" becomes 6 bytes,
    // a quote 2). The Node upstream refuses the control bytes with its own 400: only the record matters here.
    const worst = (on: Nginx, method: string) => {
      const base = uniquePath('query');
      // 32 members (the most a valid list has) of quotes, cut to 512 characters.
      const tracestate = Array.from({ length: 32 }, (_, i) => `k${i}=${'"'.repeat(20)}`).join(',');
      const headers = [`User-Agent: a${'\x01'.repeat(300)}`, `traceparent: ${VALID}`, `tracestate: ${tracestate}`];
      return raw(on, `${base}/${'"'.repeat(1100)}?${'"'.repeat(600)}`, headers, { method, host: 'h'.repeat(300) })
        .then(() => onlyRecord(on, `${base}/`));
    };

    it('stays within MAX_RECORD_BYTES with every client-controlled field at its cap and every byte escaped', async () => {
      expect(await worst(nginx, 'GET')).toMatchObject({ method: 'GET', host: 'h'.repeat(HOST_CAP) });
    });

    // nginx accepts a method as long as its request-line buffer (8 KB); the record caps it at 32 bytes. Its own
    // nginx (so the other tests' every-line-parses check never sees it), started outside the concurrent test:
    // vitest's global onTestFinished, which stops a test's nginx, cannot tell concurrent tests apart.
    let own: Nginx;
    beforeAll(async () => {
      own = await startTracedNginx(rt);
    });
    it('stays within MAX_RECORD_BYTES with a 4 KB request method too', async () => {
      const record = await worst(own, 'M'.repeat(4000));
      expect(record.method).toBe('M'.repeat(32));
    });
  });

  const contextCases: Array<[string, ContextCase[]]> = [
    ['header injection: the upstream gets no header we did not mean to send', INJECTION],
    ['duplicate headers: never a duplicate injected header', duplicateCases(rt.name !== 'njs-0.7.9')],
    ['rejected contexts are recorded', REJECTED_RECORDED],
  ];
  for (const [title, cases] of contextCases) {
    describe.concurrent(title, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const path = `${uniquePath(c.location)}/`;
          const { status, upstream } = await raw(nginx, path, c.headers);
          expect(status).toBe(200);
          if (!c.passthrough) expectSpecGrammar(upstream!, c.injected);
          c.check(await recordFor(nginx, path), upstream!);
        });
      }
    });
  }
});
