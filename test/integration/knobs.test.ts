/**
 * Knob values through real nginx: an invalid value falls back to its default
 * and the record says err=config, whether the request would have taken the
 * native path or the njs one; and the native path answers exactly as njs does.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { header } from '../support/echo-upstream.js';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { expectNoRecord, get, recordFor, startTracedNginx, uniquePath } from './traced-nginx.js';
import { RECORD_VERSION } from '../../src/record/fields.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const VALID = `00-${TRACE}-${PARENT}-01`;

/** What a location did with one request: ids replaced by their role. */
async function outcome(nginx: Nginx, location: string, headers: Record<string, string>) {
  const path = uniquePath(location);
  const { upstream } = await get(nginx, path, headers);
  const traceparent = header(upstream!, 'traceparent') ?? '';
  const [, traceId = '', parentId = '', flags = ''] = traceparent.split('-');
  const sampled = flags === '01' || flags === '03';
  const record = sampled || location.startsWith('bad') ? await recordFor(nginx, path) : null;
  if (!sampled && record === null) await expectNoRecord(nginx, path);
  return {
    traceIdIsIncoming: traceId === TRACE,
    parentIsOurClientSpan: record === null || parentId === record.clientSpanId,
    flags,
    tracestate: header(upstream!, 'tracestate') ?? null,
    rejected: record?.rejectedHeaders ?? null,
    link: record?.link ?? null,
    error: record?.error ?? null,
  };
}

describeEachRuntime('knobs', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt);
  });

  describe('invalid values fall back to the default and are reported', () => {
    it('trust_incoming "yes" trusts, like the default', async () => {
      expect(await outcome(nginx, 'bad-trust', { traceparent: VALID })).toMatchObject({
        traceIdIsIncoming: true,
        link: null,
        error: 'config',
      });
    });

    it('sample_ratio "0." samples at the default ratio 1', async () => {
      expect(await outcome(nginx, 'bad-ratio', {})).toMatchObject({ flags: '03', error: 'config' });
    });

    it('an unknown inject format injects W3C, the default', async () => {
      const path = uniquePath('bad-inject');
      const { upstream } = await get(nginx, path, { traceparent: VALID });
      const record = await recordFor(nginx, path);
      expect(header(upstream!, 'traceparent')).toBe(`00-${TRACE}-${record.clientSpanId}-01`);
      expect(record.error).toBe('config');
    });

    it('an unknown sink writes to the file, the default', async () => {
      expect((await outcome(nginx, 'bad-sink', {})).error).toBe('config');
    });

    it('the udp sink sends a datagram for a record to write and none for an unsampled request', async () => {
      const unsampled = uniquePath('udp');
      const sampled = uniquePath('udp');
      await get(nginx, unsampled, { traceparent: `00-${TRACE}-${PARENT}-00` });
      await get(nginx, sampled, { traceparent: VALID });
      // Datagrams over loopback arrive in the order nginx sent them: the second request's comes last.
      await nginx.syslog.waitFor((all) => all.some((d) => d.text.includes(sampled)));
      const texts = nginx.syslog.texts();
      expect(texts.find((t) => t.includes(sampled))).toContain(`"v":${RECORD_VERSION}`);
      expect(texts.some((t) => t.includes(unsampled))).toBe(false);
      expect(nginx.spanFile.lines().some((line) => line.includes(sampled) || line.includes(unsampled))).toBe(false);
    });

    it('enabled "yes" traces, like the default', async () => {
      expect(await outcome(nginx, 'bad-enabled', { traceparent: VALID })).toMatchObject({
        traceIdIsIncoming: true,
        error: 'config',
      });
    });
  });

  it('reads knob values case-insensitively, as nginx map keys are', async () => {
    expect(await outcome(nginx, 'upper-case', { traceparent: VALID })).toMatchObject({
      traceIdIsIncoming: false,
      link: { traceId: TRACE, spanId: PARENT },
      error: '',
    });
  });

  it('accepts spaces after the commas of an inject list', async () => {
    const path = uniquePath('inject-spaces');
    const { upstream } = await get(nginx, path);
    const record = await recordFor(nginx, path);
    expect(header(upstream!, 'b3')).toBe(`${record.traceId}-${record.clientSpanId}-1-${record.spanId}`);
    expect(header(upstream!, 'traceparent')).toBe(`00-${record.traceId}-${record.clientSpanId}-03`);
    expect(record.error).toBe('');
  });

  describe.concurrent('the native path answers as the njs path does', () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['noContext', {}],
      ['sampled', { traceparent: VALID }],
      ['unsampled', { traceparent: `00-${TRACE}-${PARENT}-00` }],
      ['randomFlag', { traceparent: `00-${TRACE}-${PARENT}-03` }],
      ['unknownFlagBits', { traceparent: `00-${TRACE}-${PARENT}-ff` }],
      ['traceIdAllZeros', { traceparent: `00-${'0'.repeat(32)}-${PARENT}-01` }],
      ['parentIdAllZeros', { traceparent: `00-${TRACE}-${'0'.repeat(16)}-01` }],
      ['uppercase', { traceparent: `00-${TRACE.toUpperCase()}-${PARENT}-01` }],
      ['version00TooLong', { traceparent: `${VALID}-extra` }],
      ['versionFF', { traceparent: `ff-${TRACE}-${PARENT}-01` }],
      ['garbage', { traceparent: 'garbage' }],
      ['tracestateWithoutTraceparent', { tracestate: 'a=1' }],
      ['invalidTraceparentWithTracestate', { traceparent: 'x', tracestate: 'a=1' }],
      // The current W3C text (test/integration/w3c-rules.test.ts has every rule on both paths).
      ['traceparentTabsAround', { traceparent: `\t ${VALID} \t` }],
      ['traceparentTabInside', { traceparent: `00-${TRACE}-\t${PARENT}-01` }],
      ['futureVersionTabsAround', { traceparent: `\tcc-${TRACE}-${PARENT}-01-x\t` }],
      ['tracestateKeysWithAt', { traceparent: VALID, tracestate: 'foo@=1,foo@@bar=2' }],
      ['tracestateKeyStartingWithAt', { traceparent: VALID, tracestate: '@foo=1' }],
      ['tracestateDuplicateKeys', { traceparent: VALID, tracestate: 'a=1,a=2' }],
      ['tracestateWhitespaceOnly', { traceparent: VALID, tracestate: ' \t , ' }],
    ];
    it.each(cases)('%s', async (_name, headers) => {
      const native = await outcome(nginx, 'default', headers);
      const njs = await outcome(nginx, 'forced-njs', headers);
      expect(native).toEqual(njs);
    });
  });
});
