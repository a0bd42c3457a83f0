/**
 * The whole njs step — knobs, extraction, decision, result line — gives the
 * same answer in the real njs 0.7.9 as in Node, for every kind of input.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleNjs } from '../../scripts/njs-bundle.js';
import { computeContext, type RequestView } from '../../src/njs/handler.js';
import { runInNjs } from '../support/njs-cli.js';

const NJS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/njs');
const REQUEST_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const KNOBS = {
  tracing_extract: 'w3c,b3,b3multi,jaeger',
  tracing_inject: 'w3c',
  tracing_trust_incoming: 'on',
  tracing_sampler: 'parentbased_traceidratio',
  tracing_sample_ratio: '1',
  request_id: REQUEST_ID,
};

interface Case {
  name: string;
  variables?: Record<string, string>;
  headers?: Array<[string, string]>;
}

const CASES: Case[] = [
  { name: 'noContext' },
  { name: 'w3cSampled', headers: [['traceparent', `00-${TRACE}-${PARENT}-01`]] },
  { name: 'w3cTwoTracestates', headers: [['traceparent', `00-${TRACE}-${PARENT}-03`], ['tracestate', 'a=1'], ['TraceState', 'b=2,a=3']] },
  { name: 'w3cInvalidB3Valid', headers: [['traceparent', 'junk'], ['b3', `${TRACE}-${PARENT}-d`]] },
  { name: 'b3DenyOnly', headers: [['b3', '0']] },
  { name: 'b3MultiDeferredRatio', variables: { tracing_sample_ratio: '0.5' }, headers: [['x-b3-traceid', TRACE], ['x-b3-spanid', PARENT]] },
  { name: 'jaegerDebugDistrusted', variables: { tracing_trust_incoming: 'off' }, headers: [['uber-trace-id', `${TRACE}:${PARENT}:0:3`]] },
  { name: 'ratioQuarterNewTrace', variables: { tracing_sample_ratio: '0.25' } },
  { name: 'ratioTinyNewTrace', variables: { tracing_sample_ratio: '0.000000000000000001' } },
  { name: 'alwaysOffDebug', variables: { tracing_sampler: 'always_off' }, headers: [['b3', `${TRACE}-${PARENT}-d`]] },
  { name: 'invalidKnobs', variables: { tracing_sampler: 'nope', tracing_extract: 'w3c,zipkin', tracing_sample_ratio: '2' } },
  { name: 'missingRequestId', variables: { request_id: '' } },
  { name: 'hostileTracestate', headers: [['traceparent', `00-${TRACE}-${PARENT}-01`], ['tracestate', `a=1,b=x\r\ny,${'k'.repeat(300)}=1,c= spaced value`]] },
  { name: 'w3cTracestateDuplicateKeyAcrossHeaders', headers: [['traceparent', `00-${TRACE}-${PARENT}-01`], ['tracestate', 'a=1'], ['tracestate', 'b=2, a=3']] },
  { name: 'w3cTracestateMalformedAcrossHeaders', headers: [['traceparent', `00-${TRACE}-${PARENT}-01`], ['tracestate', 'a=1'], ['tracestate', 'b=2, @a=3']] },
  { name: 'w3cTracestateWithOws', headers: [['traceparent', `00-${TRACE}-${PARENT}-01`], ['tracestate', ' a=1 ,\t,b= spaced value \t']] },
  // W3C test_traceparent_duplicated: two traceparent headers are no context.
  { name: 'twoTraceparents', headers: [['traceparent', `00-${TRACE}-${PARENT}-01`], ['TraceParent', `00-${TRACE}-1111111111111111-01`]] },
  { name: 'twoTraceparentsThenValidB3', headers: [['traceparent', `00-${TRACE}-${PARENT}-01`], ['traceparent', `00-${TRACE}-${PARENT}-01`], ['b3', `${TRACE}-${PARENT}-1`]] },
  { name: 'twoB3', headers: [['b3', `${TRACE}-${PARENT}-1`], ['B3', `${TRACE}-1111111111111111-1`]] },
  { name: 'twoB3Decisions', headers: [['b3', '1'], ['b3', '0']] },
  { name: 'twoXB3TraceIds', headers: [['x-b3-traceid', TRACE], ['x-b3-traceid', TRACE], ['x-b3-spanid', PARENT]] },
  { name: 'b3MultiFlagsZero', headers: [['x-b3-traceid', TRACE], ['x-b3-spanid', PARENT], ['x-b3-sampled', '1'], ['x-b3-flags', '0']] },
];

/**
 * r.headersIn as njs 0.7.9 on nginx 1.22 builds it: repeated headers nginx does not know (every trace
 * header) come joined with ',' and no space, in request order (checked with a js_set on the host nginx:
 * `traceparent: A` + `TraceParent: B` gives "A,B"). Headers nginx keeps once, like User-Agent, are not used here.
 */
function headersInOf(headers: Array<[string, string]>): Record<string, string> {
  const headersIn: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    headersIn[key] = key in headersIn ? `${headersIn[key]},${value}` : value;
  }
  return headersIn;
}

function view(c: Case): RequestView {
  const headers = c.headers ?? [];
  return { variables: { ...KNOBS, ...c.variables }, headersIn: headersInOf(headers), rawHeadersIn: headers };
}

// The driver rebuilds the same request views inside njs (no spread there).
const DRIVER = `
import m from 'module.js';
const cases = ${JSON.stringify(CASES.map(view))};
for (let i = 0; i < cases.length; i++) console.log(JSON.stringify(m.computeContext(cases[i])));
`;

describe('computeContext in njs 0.7.9', () => {
  let njsLines: string[] = [];
  beforeAll(async () => {
    const bundle = await bundleNjs({
      contents: "import { computeContext } from './handler';\nexport default { computeContext };",
      resolveDir: NJS_DIR,
    });
    njsLines = runInNjs(bundle, DRIVER).map((line) => JSON.parse(line) as string);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('answers %s as Node does', (_name, i) => {
    expect(njsLines[i]).toBe(computeContext(view(CASES[i])));
  });

  it('builds headersIn as njs 0.7.9 does: repeated trace headers joined with ","', () => {
    expect(headersInOf([['traceparent', 'a'], ['TraceParent', 'b'], ['b3', 'c'], ['B3', ''], ['tracestate', 'd']])).toEqual({
      traceparent: 'a,b',
      b3: 'c,',
      tracestate: 'd',
    });
  });

  it.each([
    { name: 'twoTraceparents', rejected: 'traceparent' },
    { name: 'twoB3', rejected: 'b3' },
    { name: 'twoB3Decisions', rejected: 'b3' },
    { name: 'twoXB3TraceIds', rejected: 'x-b3-traceid,x-b3-spanid' },
  ])('starts a new trace and rejects $rejected for $name', ({ name, rejected }) => {
    const fields = computeContext(view(CASES.find((c) => c.name === name)!)).split(' ');
    expect([fields[0], fields[1], fields[5], fields[6]]).toEqual([REQUEST_ID, '-', '-', rejected]);
  });

  it('continues the traceparent, drops a malformed tracestate and rejects it', () => {
    const fields = computeContext(view(CASES.find((c) => c.name === 'w3cTracestateMalformedAcrossHeaders')!)).split(' ');
    expect([fields[0], fields[1], fields[5], fields[6], fields[9]]).toEqual([TRACE, PARENT, 'w3c', 'tracestate', '-']);
  });

  it('combines tracestate headers and propagates a repeated key', () => {
    const fields = computeContext(view(CASES.find((c) => c.name === 'w3cTracestateDuplicateKeyAcrossHeaders')!)).split(' ');
    expect([fields[0], fields[1], fields[6], fields[9]]).toEqual([TRACE, PARENT, '-', 'a=1,b=2,a=3']);
  });

  it('returns a fallback line, not an exception, when the request object is broken', () => {
    const broken = { variables: KNOBS, headersIn: null, rawHeadersIn: null } as unknown as RequestView;
    expect(computeContext(broken)).toBe(`${REQUEST_ID} - 02 - - - - 0 exception -`);
  });
});
