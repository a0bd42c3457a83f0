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
];

function view(c: Case): RequestView {
  const headers = c.headers ?? [];
  const headersIn: Record<string, string> = {};
  for (const [name, value] of headers) headersIn[name.toLowerCase()] ??= value;
  return { variables: { ...KNOBS, ...c.variables }, headersIn, rawHeadersIn: headers };
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

  it('returns a fallback line, not an exception, when the request object is broken', () => {
    const broken = { variables: KNOBS, headersIn: null, rawHeadersIn: null } as unknown as RequestView;
    expect(computeContext(broken)).toBe(`${REQUEST_ID} - 02 - - - - 0 exception -`);
  });
});
