import { describe, expect, it } from 'vitest';
import { RECORD_FIELDS, RECORD_VERSION } from '../../src/record/fields.js';
import { renderLogFormat } from '../../src/record/log-format.js';
import { parseRecord } from '../../src/record/parse.js';
import { parseUpstreamAttempts } from '../../src/record/upstream-list.js';

/** A record as nginx 1.22 wrote it for a retried request. */
const NGINX_LINE =
  '{"v":1,"tid":"0af7651916cd43dd8448eb211c80319c","sid":"fd5d782cd7dc1ae2","pid":"b7ad6b7169203331",' +
  '"cid":"7ab5c92e2f385c96","fl":"01","tst":"congo=t61","ltid":"","lsid":"","fmt":"w3c","bad":"b3,uber-trace-id",' +
  '"end":"1795565156.084","ust":"1795565155.970","dur":"0.120","meth":"GET","sch":"http","host":"shop.example","path":"/cart/42",' +
  '"qry":"","rte":"/cart","st":"200","cip":"10.1.2.3","cpt":"32824","spt":"80","ua":"curl/7.88.1",' +
  '"pv":"HTTP/1.1","rqb":"149","rsb":"207","ua_addr":"10.0.0.1:8080, 10.0.0.2:8080","ua_st":"502, 200",' +
  '"ua_ct":"0.001, 0.002","ua_ht":"0.010, 0.050","ua_rt":"0.011, 0.090","k_ns":"shop","k_ing":"web",' +
  '"k_svc":"cart","k_port":"8080","err":""}';

const mutate = (changes: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(NGINX_LINE), ...changes });

describe('parseRecord', () => {
  it('reads every field of a record nginx wrote', () => {
    const result = parseRecord(NGINX_LINE);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'fd5d782cd7dc1ae2',
      parentSpanId: 'b7ad6b7169203331',
      clientSpanId: '7ab5c92e2f385c96',
      traceFlags: 1,
      traceState: 'congo=t61',
      link: null,
      rejectedHeaders: ['b3', 'uber-trace-id'],
      startMs: 1795565155964,
      endMs: 1795565156084,
      upstreamStartMs: 1795565155970,
      route: '/cart',
      status: 200,
      protocolVersion: '1.1',
      kubernetes: { namespace: 'shop', ingress: 'web', service: 'cart', servicePort: '8080' },
    });
    expect(result.record.upstream).toEqual([
      { address: '10.0.0.1:8080', status: 502, connectMs: 1, headerMs: 10, responseMs: 11 },
      { address: '10.0.0.2:8080', status: 200, connectMs: 2, headerMs: 50, responseMs: 90 },
    ]);
  });

  it('reads a record behind a syslog header', () => {
    expect(parseRecord(`<190>Nov 25 00:05:56 njs_tracing: ${NGINX_LINE}`).ok).toBe(true);
  });

  it('reads a distrusted context as a link', () => {
    const result = parseRecord(mutate({ ltid: '11111111111111111111111111111111', lsid: '2222222222222222' }));
    expect(result.ok && result.record.link).toEqual({
      traceId: '11111111111111111111111111111111',
      spanId: '2222222222222222',
    });
  });

  it.each([
    ['notJson', 'hello'],
    ['truncatedJson', NGINX_LINE.slice(0, 200)],
    ['arrayNotObject', '[1,2]'],
    ['wrongVersion', mutate({ v: 2 })],
    ['missingField', mutate({ tid: undefined })],
    ['numberField', mutate({ st: 200 })],
    ['traceIdAllZeros', mutate({ tid: '0'.repeat(32) })],
    ['traceIdUppercase', mutate({ tid: '0AF7651916CD43DD8448EB211C80319C' })],
    ['spanIdShort', mutate({ sid: 'abc' })],
    ['clientSpanIdZero', mutate({ cid: '0'.repeat(16) })],
    ['parentIdJunk', mutate({ pid: 'zzzzzzzzzzzzzzzz' })],
    ['flagsLong', mutate({ fl: '001' })],
    ['halfALink', mutate({ ltid: '11111111111111111111111111111111' })],
    ['statusWord', mutate({ st: 'OK' })],
    ['durationNegative', mutate({ dur: '-1' })],
    ['oversized', mutate({ ua: 'x'.repeat(30000) })],
  ])('rejects %s with a reason', (_name, line) => {
    const result = parseRecord(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toBe('');
  });

  it.each([
    ['too_long', 'x'.repeat(30000)],
    ['not_json', '{"v":1,'],
    ['version', mutate({ v: 2 })],
    ['missing_field', mutate({ ust: undefined })],
    ['bad_id', mutate({ sid: 'x' })],
    ['bad_flags', mutate({ fl: 'zz' })],
    ['bad_time', mutate({ end: 'soon' })],
    ['bad_status', mutate({ st: '2000' })],
  ])('names the refusal with the stable code %s', (code, line) => {
    expect(parseRecord(line)).toMatchObject({ ok: false, code });
  });

  it('refuses a version nested thousands deep without overflowing the stack', () => {
    const deep = '{"v":' + '['.repeat(12000) + ']'.repeat(12000) + '}';
    expect(parseRecord(deep)).toMatchObject({ ok: false, code: 'version' });
  });

  it('keeps hostile text as data: quotes, newlines and a forged record in a user agent', () => {
    const hostile = 'x"}\n{"v":1,"tid":"ffffffffffffffffffffffffffffffff"';
    const line = mutate({ ua: hostile });
    const result = parseRecord(line);
    expect(result.ok && result.record.userAgent).toBe(hostile);
    expect(line.split('\n')).toHaveLength(1);
  });
});

describe('parseUpstreamAttempts', () => {
  it('splits attempts across upstream groups and marks unmeasured phases', () => {
    expect(parseUpstreamAttempts('a:1, b:2 : c:3', '502, 504 : 200', '0.001, - : 0.003', '-, - : 0.004', '0.002, 0.005 : 0.006')).toEqual([
      { address: 'a:1', status: 502, connectMs: 1, headerMs: null, responseMs: 2 },
      { address: 'b:2', status: 504, connectMs: null, headerMs: null, responseMs: 5 },
      { address: 'c:3', status: 200, connectMs: 3, headerMs: 4, responseMs: 6 },
    ]);
  });

  it('returns no attempts for a request nginx answered itself', () => {
    expect(parseUpstreamAttempts('', '', '', '', '')).toEqual([]);
    expect(parseUpstreamAttempts('-', '-', '-', '-', '-')).toEqual([]);
  });
});

describe('renderLogFormat', () => {
  it('writes the version and every field as a JSON string with escape=json', () => {
    const format = renderLogFormat();
    expect(format).toMatch(/^log_format tracing_span escape=json\n/);
    expect(format).toContain(`{"v":${RECORD_VERSION},`);
    for (const field of RECORD_FIELDS) expect(format).toContain(`"${field.key}":"${field.nginx}"`);
  });
});
