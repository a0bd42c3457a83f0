import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KNOB_CHECK_KEY, renderKnobChecks } from '../../src/conf/fragments/knobs.js';
import { renderModeFast, renderModeOther } from '../../src/conf/fragments/modes.js';
import { renderBounds } from '../../src/record/bounds.js';
import { NATIVE_MODES } from '../../src/contract/modes.js';
import { BY_MODE_KEY, fastKeys, knobCheckKeys, VETTED } from '../../src/conf/fragments/record-context.js';
import { MAX_RECORD_BYTES, RECORD_FIELDS, RECORD_PARTS, RECORD_VERSION } from '../../src/record/fields.js';
import { renderLogFormat } from '../../src/record/log-format.js';
import { parseRecord } from '../../src/record/parse.js';
import { parseUpstreamAttempts } from '../../src/record/upstream-list.js';
import { recordLine, recordLineV1, recordLineV2, type RecordOverrides } from '../sidecar/support/records.js';

/** Values of a retried request, by part (RawRecord) key. */
const VALUES = {
  tid: '0af7651916cd43dd8448eb211c80319c', sid: 'fd5d782cd7dc1ae2', pid: 'b7ad6b7169203331', cid: '7ab5c92e2f385c96',
  fl: '01', tst: 'congo=t61', ltid: '', lsid: '', fmt: 'w3c', bad: 'b3,uber-trace-id', end: '1795565156.084',
  ust: '1795565155.970', dur: '0.120', meth: 'GET', sch: 'http', host: 'shop.example', path: '/cart/42', qry: '',
  rte: '/cart', st: '200', cip: '10.1.2.3', cpt: '32824', spt: '80', ua: 'curl/7.88.1', pv: 'HTTP/1.1', rqb: '149',
  rsb: '207', ua_addr: '10.0.0.1:8080, 10.0.0.2:8080', ua_st: '502, 200', ua_ct: '0.001, 0.002', ua_ht: '0.010, 0.050',
  ua_rt: '0.011, 0.090', k_ns: 'shop', k_ing: 'web', k_svc: 'cart', k_port: '8080', err: '', rpc: '',
};

/** The record as nginx writes it (version 3: safe values joined, client values a field each, no ports but the Host's). */
const NGINX_LINE =
  '{"v":3,"id":"0af7651916cd43dd8448eb211c80319c 7ab5c92e2f385c96fd5d782cd7dc1ae2 01 b3,uber-trace-id b7ad6b7169203331   w3c  congo=t61",' +
  '"n":"1795565156.084 0.120 1795565155.970  200 http HTTP/1.1 149 207 10.1.2.3",' +
  '"u":"502, 200|0.001, 0.002|0.010, 0.050|0.011, 0.090|10.0.0.1:8080, 10.0.0.2:8080","k":"shop web cart 8080",' +
  '"c":"GET\\nshop.example\\n/cart/42\\n\\ncurl/7.88.1\\n/cart"}';

/** The same request as the includes wrote it before record version 3 (version 2: both ports, host without its port). */
const NGINX_LINE_V2 =
  '{"v":2,"id":"0af7651916cd43dd8448eb211c80319c fd5d782cd7dc1ae2 7ab5c92e2f385c96 01 b3,uber-trace-id b7ad6b7169203331   w3c  congo=t61",' +
  '"t":"1795565156.084 0.120 1795565155.970","n":"200 http HTTP/1.1 80 32824 149 207 10.1.2.3",' +
  '"u":"502, 200|0.001, 0.002|0.010, 0.050|0.011, 0.090|10.0.0.1:8080, 10.0.0.2:8080","k":"shop web cart 8080",' +
  '"meth":"GET","host":"shop.example","path":"/cart/42","ua":"curl/7.88.1","rte":"/cart","qry":"","rpc":""}';

/** The same request as nginx 1.22 wrote it with the includes before issue 7r (version 1). */
const NGINX_LINE_V1 =
  '{"v":1,"tid":"0af7651916cd43dd8448eb211c80319c","sid":"fd5d782cd7dc1ae2","pid":"b7ad6b7169203331",' +
  '"cid":"7ab5c92e2f385c96","fl":"01","tst":"congo=t61","ltid":"","lsid":"","fmt":"w3c","bad":"b3,uber-trace-id",' +
  '"end":"1795565156.084","ust":"1795565155.970","dur":"0.120","meth":"GET","sch":"http","host":"shop.example","path":"/cart/42",' +
  '"qry":"","rte":"/cart","st":"200","cip":"10.1.2.3","cpt":"32824","spt":"80","ua":"curl/7.88.1",' +
  '"pv":"HTTP/1.1","rqb":"149","rsb":"207","ua_addr":"10.0.0.1:8080, 10.0.0.2:8080","ua_st":"502, 200",' +
  '"ua_ct":"0.001, 0.002","ua_ht":"0.010, 0.050","ua_rt":"0.011, 0.090","k_ns":"shop","k_ing":"web",' +
  '"k_svc":"cart","k_port":"8080","err":""}';

/** The record with some values changed (by part key), as nginx would join them. */
const mutate = (changes: RecordOverrides) => recordLine({ ...VALUES, ...changes });
/** The record with JSON fields changed or removed (undefined). */
const mutateJson = (changes: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(NGINX_LINE), ...changes });

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

  it('is what the test support builds from the same values', () => {
    expect(mutate({})).toBe(NGINX_LINE);
    expect(recordLineV2(VALUES)).toBe(NGINX_LINE_V2);
  });

  it('takes server.port from the Host header, else the default port of the scheme', () => {
    const server = (host: string, sch = 'http') => {
      const result = parseRecord(mutate({ host, sch }));
      return result.ok ? [result.record.host, result.record.serverPort] : result.reason;
    };
    expect(server('Shop.Example:8443')).toEqual(['shop.example', 8443]);
    expect(server('shop.example')).toEqual(['shop.example', 80]);
    expect(server('shop.example', 'https')).toEqual(['shop.example', 443]);
    expect(server('[::1]:8080')).toEqual(['[::1]', 8080]);
    expect(server('10.0.0.1')).toEqual(['10.0.0.1', 80]);
    expect(server('')).toEqual(['', 0]);
    // Not a name and a port: kept whole, no port made up.
    expect(server('a:b:c')).toEqual(['a:b:c', 0]);
  });

  it('reads version 1 and 2 records (includes older than the sidecar) into the same span record, with their ports', () => {
    const v2 = parseRecord(NGINX_LINE_V2);
    expect(parseRecord(NGINX_LINE_V1)).toEqual(v2);
    // Version 3 has no client port; the server port comes from the Host header (here none: http's 80, v2's spt).
    expect(v2).toEqual({ ...parseRecord(NGINX_LINE), record: { ...(parseRecord(NGINX_LINE) as { record: object }).record, clientPort: 32824 } });
    expect(v2.ok && v2.record.serverPort).toBe(80);
    expect(parseRecord(recordLineV1({ ...VALUES, rpc: 'grpc:14' }))).toEqual(parseRecord(recordLineV2({ ...VALUES, rpc: 'grpc:14' })));
    expect(parseRecord(mutate({ rpc: 'grpc:14' }))).toMatchObject({ record: { rpcSystem: 'grpc', grpcStatus: 14 } });
    expect(parseRecord(recordLineV2({ ...VALUES, spt: '8443', host: 'shop.example' }))).toMatchObject({ record: { host: 'shop.example', serverPort: 8443 } });
  });

  it('keeps a separator inside the last part of a joined field', () => {
    const result = parseRecord(mutate({ ua_addr: 'up|stream', k_port: 'http web', tst: 'a=b c,d=e', rte: '/a\n/b' }));
    expect(result.ok && result.record.upstream[0].address).toBe('up|stream');
    expect(result.ok && result.record.kubernetes.servicePort).toBe('http web');
    expect(result.ok && result.record.traceState).toBe('a=b c,d=e');
    expect(result.ok && result.record.route).toBe('/a\n/b');
  });

  it('reads "-" (a variable nginx found no value for) as empty in every part', () => {
    const result = parseRecord(mutate({ pid: '-', ltid: '-', lsid: '-', fmt: '-', bad: '-', err: '-', ust: '-', cip: '-', k_ns: '-' }));
    expect(result.ok && result.record).toMatchObject({
      parentSpanId: '', link: null, incomingFormat: '', rejectedHeaders: [], error: '', upstreamStartMs: null, clientAddress: '',
      kubernetes: { namespace: '' },
    });
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
    ['wrongVersion', mutateJson({ v: 4 })],
    ['v2Layout', mutateJson({ v: 2 })],
    ['missingField', mutateJson({ id: undefined })],
    ['numberField', mutateJson({ n: 200 })],
    ['missingPart', mutateJson({ n: '1795565156.084 0.120' })],
    ['v1MissingField', JSON.stringify({ ...JSON.parse(NGINX_LINE_V1), tid: undefined })],
    ['v1NumberField', JSON.stringify({ ...JSON.parse(NGINX_LINE_V1), st: 200 })],
    ['v2MissingPart', JSON.stringify({ ...JSON.parse(NGINX_LINE_V2), n: '200 http HTTP/1.1 149 207 10.1.2.3' })],
    ['traceIdAllZeros', mutate({ tid: '0'.repeat(32) })],
    ['traceIdUppercase', mutate({ tid: '0AF7651916CD43DD8448EB211C80319C' })],
    ['spanIdShort', mutate({ sid: 'abc' })],
    ['spanIdsLong', mutate({ rid: '7ab5c92e2f385c96fd5d782cd7dc1ae20' })],
    ['clientSpanIdZero', mutate({ cid: '0'.repeat(16) })],
    ['parentIdJunk', mutate({ pid: 'zzzzzzzzzzzzzzzz' })],
    ['flagsLong', mutate({ fl: '001' })],
    ['halfALink', mutate({ ltid: '11111111111111111111111111111111' })],
    ['statusWord', mutate({ st: 'OK' })],
    ['durationNegative', mutate({ dur: '-1' })],
    ['oversized', mutate({ ua: 'x'.repeat(MAX_RECORD_BYTES) })],
  ])('rejects %s with a reason', (_name, line) => {
    const result = parseRecord(line);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toBe('');
  });

  it.each([
    ['too_long', 'x'.repeat(MAX_RECORD_BYTES + 1)],
    ['not_json', '{"v":1,'],
    ['version', mutateJson({ v: 0 })],
    ['missing_field', mutateJson({ n: undefined })],
    ['missing_field', mutateJson({ k: 'shop web' })],
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

  it('keeps hostile text as data: quotes and a forged record in a user agent, newlines in the route', () => {
    // The bounds map lets no "\n" into a client value but the last (the route): see fields.ts, field c.
    const hostile = 'x"}{"v":3,"id":"ffffffffffffffffffffffffffffffff 1 2"';
    const line = mutate({ ua: hostile, rte: `\n${hostile}\n` });
    const result = parseRecord(line);
    expect(result.ok && [result.record.userAgent, result.record.route]).toEqual([hostile, `\n${hostile}\n`]);
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
  it('writes the version and every part, joined per field, as JSON strings with escape=json', () => {
    const format = renderLogFormat();
    expect(format).toMatch(/log_format tracing_span escape=json\n/);
    expect(format).toContain(`{"v":${RECORD_VERSION},`);
    for (const field of RECORD_FIELDS) expect(format).toContain(`"${field.key}":"`);
    for (const part of RECORD_PARTS) if (part.nginx !== '' && !part.byMode) expect(format).toContain(part.nginx);
    for (const part of RECORD_PARTS) if (part.nginx === '') expect(format).toContain(`$tracing__cap_${part.key}`);
    expect(format).toContain('$tracing__record_ctx');
  });
});

describe('the bounds of client values', () => {
  it('renders every cap declared in fields.ts into the map nginx runs', () => {
    const bounds = renderBounds();
    const capped = RECORD_PARTS.filter((part) => part.cap);
    expect(capped.map((part) => part.key)).toEqual(['meth', 'host', 'path', 'qry', 'ua', 'rte']);
    expect(bounds).toContain('(?(<tracing__cap_on>)');
    for (const part of capped) expect(bounds).toContain(`(?<tracing__cap_${part.key}>`);
    for (const part of capped) expect(bounds).toMatch(new RegExp(`tracing__cap_${part.key}>[^)]*\\{0,${part.cap!.bytes}\\}\\+\\)`));
  });

  it('counts every capped value, escaped, within MAX_RECORD_BYTES', () => {
    const capped = RECORD_PARTS.reduce((sum, part) => sum + (part.cap?.bytes ?? 0), 0);
    expect(6 * (capped + 512)).toBeLessThan(MAX_RECORD_BYTES);
  });

  it('keeps the largest record, with its syslog header, inside one UDP datagram', () => {
    expect(MAX_RECORD_BYTES + '<190>Nov 24 23:59:59 njs_tracing: '.length).toBeLessThan(65_507);
  });
});

describe('the record context by mode', () => {
  /** One map's entries (unquoted key, value) out of rendered config text. */
  const mapEntries = (text: string, variable: string) => {
    const block = text.split('\nmap ').find((b) => b.includes(` ${variable} {`))!;
    return block.split('\n').slice(1).map((l) => /^ {4}("[^"]*"|\S+) ("[^"]*"|\S+);$/.exec(l)).filter((m) => m !== null)
      .map((m) => [m![1].replace(/^"|"$/g, ''), m![2].replace(/^"|"$/g, '')]);
  };
  /** The $tracing__error map as nginx reads it: its key, exact entries, then regexes in order. */
  const errorMap = () => {
    const block = renderKnobChecks().split('\nmap ').find((b) => b.includes(' $tracing__error {'))!;
    const [head, ...lines] = block.split('\n');
    const entries = lines.map((l) => /^ {4}("[^"]*"|\S+) (\S+);$/.exec(l)).filter((m) => m !== null).map((m) => [m![1].replace(/^"|"$/g, ''), m![2].replace(/^"|"$/g, '')]);
    return { key: head.replace(/ \$tracing__error \{$/, '').replace(/^"|"$/g, ''), entries };
  };
  const errorFor = (key: string) => {
    const { entries } = errorMap();
    const exact = entries.find(([k]) => k === key);
    if (exact) return exact[1];
    for (const [k, v] of entries) {
      if (k.startsWith('~*') && new RegExp(k.slice(2), 'i').test(key)) return v;
      if (k.startsWith('~') && !k.startsWith('~*') && new RegExp(k.slice(1)).test(key)) return v;
    }
    return entries.find(([k]) => k === 'default')![1];
  };

  it('is keyed on the mode, $tracing__unvetted and the knobs neither the mode nor the sink is keyed on', () => {
    expect(errorMap().key).toBe(KNOB_CHECK_KEY);
    expect(BY_MODE_KEY).toBe('$tracing__mode|$tracing__unvetted$tracing_record_query$tracing_traceresponse:$tracing__headers:$tracing_inject');
  });

  it('writes err empty only where the knob check says so, for every combination the mode lookups vet', () => {
    for (const mode of NATIVE_MODES)
      for (const key of fastKeys(mode)) for (const check of knobCheckKeys(key)) expect(errorFor(check), check).toBe('');
    expect(errorFor('root|yesonfileoffoff:w3c:w3c:1')).toBe('config');
  });

  it("vets only what the mode lookups' exact keys say: enabled on, trust on or off, a valid sampler and ratio", () => {
    const samplerValid = mapEntries(renderKnobChecks(), '$tracing__sampler_valid');
    const exact = [...mapEntries(renderModeFast(), '$tracing__mode'), ...mapEntries(renderModeOther(), '$tracing__mode_other')]
      .filter(([k]) => k !== 'default' && !k.startsWith('~'));
    expect(exact.length).toBeGreaterThan(100);
    for (const [key] of exact) {
      const [on, , sampler, ratio, trust] = key.split('|');
      expect(VETTED.enabled.map((e) => `1${e}`), key).toContain(on);
      expect(VETTED.trust, key).toContain(trust);
      expect(samplerValid.find(([k]) => k === `${sampler}|${ratio}`)?.[1], key).toBe(VETTED.samplerValid);
    }
  });

  it('vets the sink by the exact keys that write a record; any other in-scope value sets $tracing__unvetted', () => {
    const conf = readFileSync(new URL('../../nginx-conf/tracing-http.conf', import.meta.url), 'utf8');
    const sinkFile = mapEntries(conf, '$tracing__sink_file');
    const writing = sinkFile.filter(([k, v]) => k.startsWith('1') && v !== '').map(([k]) => k.slice(1));
    expect(writing).toEqual(VETTED.sink);
    expect(sinkFile.filter(([k]) => k.startsWith('~'))).toEqual([['~^(?<tracing__unvetted>1)', '$tracing__write']]);
  });

  it('is reached with $tracing__unvetted set only through the general chain', () => {
    const regexes = mapEntries(renderModeOther(), '$tracing__mode_other').filter(([k]) => k.startsWith('~'));
    for (const [k, v] of regexes) expect(v === '$tracing__mode_general', k).toBe(k.includes('(?<tracing__unvetted>1)'));
  });

  it('keeps its keys short enough for a 64-byte hash bucket', () => {
    for (const mode of NATIVE_MODES) for (const key of fastKeys(mode)) expect(key.length, key).toBeLessThan(47);
  });
});
