/**
 * Node is not njs: bundle the propagation code under the njs 0.7.9 language
 * subset and run the same cases through the real njs binary, comparing its
 * answers with Node's.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { extract } from '../../../src/njs/propagation/extract';
import type { Format } from '../../../src/njs/propagation/extract';
import { parseTraceState } from '../../../src/njs/propagation/tracestate';
import { bundleNjs } from '../../../scripts/njs-bundle';
import { runInNjs } from '../../support/njs-cli';

const PROPAGATION_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/njs/propagation');

// njs 0.7.9 modules only support `export default`, so a one-line entry re-exports the API that way.
const ENTRY = `
import { extract } from './extract';
import { parseTraceState } from './tracestate';
export default { extract, parseTraceState };
`;

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const ALL: Format[] = ['w3c', 'b3', 'b3multi', 'jaeger'];

type Case =
  | { name: string; order: Format[]; headers: Record<string, string> }
  | { name: string; tracestate: string };

const CASES: Case[] = [
  { name: 'w3cWithTracestate', order: ALL, headers: { traceparent: `00-${T}-${S}-03`, tracestate: ' a=1 ,, c=x y\t,d@v= z' } },
  { name: 'w3cWithMalformedTracestate', order: ALL, headers: { traceparent: `00-${T}-${S}-03`, tracestate: ' a=1 ,B=2,a=3,c=x y' } },
  { name: 'w3cFutureVersion', order: ALL, headers: { traceparent: `cc-${T}-${S}-01-future` } },
  { name: 'w3cTrailingNewline', order: ALL, headers: { traceparent: `01-${T}-${S}-01\n` } },
  { name: 'w3cCrlfInjected', order: ALL, headers: { traceparent: `00-${T}-${S}-01\r\nx: y` } },
  { name: 'w3cVersionFF', order: ALL, headers: { traceparent: `ff-${T}-${S}-01` } },
  { name: 'w3cTraceIdAllZeros', order: ALL, headers: { traceparent: `00-${'0'.repeat(32)}-${S}-01` } },
  { name: 'w3cUnicode', order: ALL, headers: { traceparent: `00-${T.slice(1)}\u00e9-${S}-01` } },
  { name: 'w3cInvalidThenB3', order: ALL, headers: { traceparent: `00-${T.toUpperCase()}-${S}-01`, b3: `${T.slice(16)}-${S}-1-${S}` } },
  { name: 'b3DecisionOnly', order: ALL, headers: { b3: 'd' } },
  { name: 'b3DecisionTrailingNewline', order: ALL, headers: { b3: '1\n' } },
  { name: 'b3MultiDebug', order: ALL, headers: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' } },
  { name: 'b3MultiFlagsZeroIgnored', order: ALL, headers: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '0', 'x-b3-flags': '0' } },
  { name: 'b3MultiFlagsAloneIgnored', order: ALL, headers: { 'x-b3-flags': '1\n' } },
  { name: 'b3MultiSampledTrue', order: ALL, headers: { 'x-b3-traceid': T.slice(16), 'x-b3-spanid': S, 'x-b3-sampled': 'true' } },
  { name: 'b3MultiTraceIdOnly', order: ALL, headers: { 'x-b3-traceid': T } },
  { name: 'jaegerEncodedUppercase', order: ALL, headers: { 'uber-trace-id': `${T.toUpperCase()}%3a${S}%3A0%3A3` } },
  { name: 'jaegerShortIds', order: ALL, headers: { 'uber-trace-id': 'abc:1:0:1' } },
  { name: 'jaegerTrailingNewline', order: ALL, headers: { 'uber-trace-id': `${T}:${S}:0:1\n` } },
  { name: 'jaegerNul', order: ALL, headers: { 'uber-trace-id': `${T}:${S}:0\u0000:1` } },
  { name: 'eightKilobytes', order: ALL, headers: { traceparent: 'a'.repeat(8192), b3: 'b'.repeat(8192), 'uber-trace-id': 'c'.repeat(8192) } },
  { name: 'tracestate32Members', tracestate: Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(' , ') },
  { name: 'tracestate33Members', tracestate: Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',') },
  { name: 'tracestateDuplicateKey', tracestate: 'a=1,b=2,a=1' },
  { name: 'tracestateKeyLimits', tracestate: `${'z'.repeat(256)}=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1` },
  { name: 'tracestateKeyTooLong', tracestate: `foo=1,${'z'.repeat(257)}=1` },
  { name: 'tracestateEmptyMembers', tracestate: `${','.repeat(3000)} \t,a=1, ,` },
  { name: 'tracestate600Chars', tracestate: Array.from({ length: 6 }, (_, i) => `k${i}=${'x'.repeat(96)}`).join(',') },
  { name: 'tracestateLongMembersFirst', tracestate: `a=1,long=${'x'.repeat(300)},b=2,${'c'.repeat(250)}=3` },
  { name: 'tracestateHostile', tracestate: `a=b=c,d=e\r\n,f=g\n,h=\u0000,i=caf\u00e9,${'x'.repeat(8192)}=1,ok=1,OK=2,ok=3` },
  { name: 'tracestateTrailingNewline', tracestate: 'a=1,b=2\n' },
  { name: 'tracestateCrlf', tracestate: 'a=1\r\n,b=2' },
  { name: 'w3cOwsAround', order: ALL, headers: { traceparent: `\t 00-${T}-${S}-01 \t`, tracestate: 'a=1' } },
  { name: 'w3cFutureVersionOwsAround', order: ALL, headers: { traceparent: ` cc-${T}-${S}-01-x\t` } },
  { name: 'w3cOwsThenNewline', order: ALL, headers: { traceparent: `00-${T}-${S}-01 \n` } },
  { name: 'w3cEightKilobytesOfOws', order: ALL, headers: { traceparent: `${' \t'.repeat(4096)}x` } },
  { name: 'tracestateAtSignKeys', tracestate: 'foo@=1,foo@@bar=2,1a@b@c=3,@bad=4' },
  { name: 'tracestateAtSignKeysValid', tracestate: `foo@=1,foo@@bar=2,1a@b@c=3,a${'@'.repeat(255)}=4` },
  { name: 'tracestateDuplicatesKept', tracestate: 'a=1, a=1 ,b=2,a=3' },
  { name: 'tracestateLongOwsRun', tracestate: `a=b${' '.repeat(8000)}c,d=1` },
];

function inNode(c: Case): unknown {
  if ('tracestate' in c) {
    return parseTraceState(c.tracestate);
  }
  return extract(c.order, (name) => c.headers[name] ?? '');
}

// One JSON line per case: njs 0.7.9's console.log cuts a line at 2048 bytes.
const DRIVER = `
import p from 'module.js';
const CASES = ${JSON.stringify(CASES)};
for (let i = 0; i < CASES.length; i++) {
  const c = CASES[i];
  const out = c.tracestate !== undefined
    ? p.parseTraceState(c.tracestate)
    : p.extract(c.order, (name) => c.headers[name] || '');
  console.log(JSON.stringify(out));
}
`;

/** Runs the driver in njs and returns one parsed result per case. */
function runNjs(bundle: string): unknown[] {
  return runInNjs(bundle, DRIVER).map((line) => JSON.parse(line) as unknown);
}

describe('the propagation bundle under the njs 0.7.9 subset', () => {
  let bundle = '';

  beforeAll(async () => {
    bundle = await bundleNjs({ contents: ENTRY, resolveDir: PROPAGATION_DIR });
  });

  it('builds under the njs 0.7.9 subset, ending in a default export', () => {
    expect(bundle).toMatch(/export default \w+;\n$/);
  });

  it('gives the same answers in njs as in Node for every case', () => {
    const got = runNjs(bundle);
    expect(got).toHaveLength(CASES.length);
    for (let i = 0; i < CASES.length; i++) {
      expect(got[i], CASES[i].name).toEqual(inNode(CASES[i]));
    }
  });

  it('rejects a trailing newline in njs, where PCRE lets "$" match before it', () => {
    const got = runNjs(bundle);
    const byName = (name: string) => got[CASES.findIndex((c) => c.name === name)];
    expect(byName('w3cTrailingNewline')).toEqual({ context: null, decisionOnly: null, rejected: ['traceparent'] });
    expect(byName('b3DecisionTrailingNewline')).toEqual({ context: null, decisionOnly: null, rejected: ['b3'] });
    expect(byName('jaegerTrailingNewline')).toEqual({ context: null, decisionOnly: null, rejected: ['uber-trace-id'] });
    expect(byName('tracestateTrailingNewline')).toBeNull();
  });
});
