/**
 * The generated native tables against the njs code they are generated from,
 * in Node's regex engine (the nginx maps run the same sources in PCRE; the
 * integration test native-equivalence.test.ts checks them through nginx).
 */
import { describe, expect, it } from 'vitest';
import { extractLists, pick, pickCode, stateStrings } from '../../src/contract/extract';
import * as g from '../../src/contract/grammar';
import { belowThresholdRegex, nativeRatios, thresholdRegexes } from '../../src/contract/sampling';
import { parseB3Single } from '../../src/njs/propagation/b3';
import { parseUberTraceId } from '../../src/njs/propagation/jaeger';
import { ratioThreshold, traceIdRatioSample } from '../../src/njs/sampler';

/** PCRE named groups (?<name>) are JavaScript's too. */
const re = (source: string) => new RegExp(source);
/** A header's regexes as nginx tries them: the first that matches sets the variables. */
const firstMatch = (sources: string[], value: string) => {
  for (const source of sources) {
    const m = re(source).exec(value);
    if (m) return m;
  }
  return null;
};

function randomHex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(Math.random() * 16)];
  return s;
}

describe('sampling table', () => {
  const below = re(belowThresholdRegex());
  const r = thresholdRegexes();
  /** The map's regexes in order, as nginx tries them: true when sampled. */
  const compiled = r.map(([source, sampled]) => [re(source), sampled === '1'] as const);
  const mapDecision = (key: string) => {
    const hit = compiled.find(([regex]) => regex.test(key));
    return hit ? hit[1] : true;
  };

  it('covers 0.001 .. 0.999 written the shortest way, each with the njs threshold', () => {
    const table = nativeRatios();
    expect(table).toHaveLength(999);
    expect(table.map((e) => e.text)).toEqual(expect.arrayContaining(['0.1', '0.25', '0.01', '0.001', '0.999']));
    for (const e of table) expect(e.threshold).toBe(ratioThreshold(Number(e.text)));
  });

  it('the compare regex decides exactly as the njs sampler, at, below and above each threshold', () => {
    for (const { text, threshold } of nativeRatios()) {
      const t = parseInt(threshold, 16);
      const windows = [t - 1, t, t + 1, 0, Math.pow(2, 56) - 1].filter((v) => v >= 0 && v < Math.pow(2, 56));
      for (const w of windows) {
        const id = randomHex(18) + w.toString(16).padStart(14, '0');
        expect(!below.test(`${id}:${threshold}`), `${text} ${id}`).toBe(traceIdRatioSample(id, Number(text)));
        expect(mapDecision(`${id}:${threshold}`), `${text} ${id}`).toBe(traceIdRatioSample(id, Number(text)));
        for (let k = 1; k <= 5; k++) {
          const same = id.slice(0, 18) + threshold.slice(0, k) + id.slice(18 + k);
          expect(mapDecision(`${same}:${threshold}`), `${text} ${same}`).toBe(traceIdRatioSample(same, Number(text)));
        }
      }
    }
  });

  it('and on random trace ids', () => {
    const table = nativeRatios();
    for (let i = 0; i < 20000; i++) {
      const { text, threshold } = table[i % table.length];
      const id = randomHex(32);
      expect(!below.test(`${id}:${threshold}`)).toBe(traceIdRatioSample(id, Number(text)));
      expect(mapDecision(`${id}:${threshold}`)).toBe(traceIdRatioSample(id, Number(text)));
    }
  });
});

describe('native header regexes accept only what njs parses to the same fields', () => {
  it('b3 single', () => {

    const T = '0af7651916cd43dd8448eb211c80319c';
    const S = 'b7ad6b7169203331';
    const cases = [`${T}-${S}-1`, `${T}-${S}-0`, `${T}-${S}`, `${T.slice(16)}-${S}-1-${S}`, `${T}-${S}-d`, '0', '1', 'd',
      `${'0'.repeat(32)}-${S}-1`, `${T}-${'0'.repeat(16)}-1`, `${T}-${S}-1-${'0'.repeat(16)}`, `${T}-${S}-1-`, `${T.toUpperCase()}-${S}`,
      `${T}-${S}-2`, `x${T}-${S}`, `${T}-${S}-1\n`];
    for (const value of cases) {
      const m = firstMatch(g.B3_SINGLE, value);
      const parsed = parseB3Single(value);
      if (m === null) continue; // njs decides
      const g2 = m.groups!;
      expect(parsed, value).not.toBeNull();
      expect(g2.tracing__b3_trace ?? '0'.repeat(16) + g2.tracing__b3_t16).toBe(parsed!.traceId);
      expect(g2.tracing__b3_s).toBe(parsed!.spanId);
      expect({ 1: 'sampled', 0: 'unsampled' }[g2.tracing__b3_f ?? ''] ?? 'deferred').toBe(parsed!.sampling);
    }
    expect(cases.filter((v) => firstMatch(g.B3_SINGLE, v))).toHaveLength(4);
  });

  it('uber-trace-id', () => {
    const cases = ['0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1', 'abc:1:0:0', `${'a'.repeat(31)}:${'b'.repeat(15)}:0:1`, 'abc:1:0:05', 'abc:1:0:3', 'abc:1:0:03',
      'ABC:1:0:1', 'abc%3A1%3A0%3A1', '0:1:0:1', 'abc:000:0:1', 'abc:1:0:', 'abc:1:0:100', `${'a'.repeat(33)}:1:0:1`];
    for (const value of cases) {
      const m = firstMatch(g.UBER_TRACE_ID, value);
      if (m === null) continue;
      const parsed = parseUberTraceId(value)!;
      expect(parsed, value).not.toBeNull();
      expect(parsed.sampling).not.toBe('debug');
      expect(parsed.sampling).toBe('159d'.includes(m.groups!.tracing__j_f.slice(-1)) ? 'sampled' : 'unsampled');
      const { tracing__j_trace: trace, tracing__j_t: t, tracing__j_span: span, tracing__j_s: s } = m.groups!;
      expect(parsed.traceId).toBe(trace ?? t.padStart(32, '0'));
      expect(parsed.spanId).toBe(span ?? s.padStart(16, '0'));
    }
    expect(cases.filter((v) => firstMatch(g.UBER_TRACE_ID, v))).toHaveLength(4);
  });

  it('X-B3-*: a 128-bit trace id into $tracing__m_trace, a 64-bit one padded', () => {
    const T = '0af7651916cd43dd8448eb211c80319c';
    const S = 'b7ad6b7169203331';
    expect(firstMatch(g.B3_MULTI, `${T}|${S}||1|`)!.groups!.tracing__m_trace).toBe(T);
    const short = firstMatch(g.B3_MULTI, `${T.slice(16)}|${S}|${S}|true|0`)!.groups!;
    expect(short.tracing__m_trace).toBeUndefined();
    expect(short.tracing__m_t16).toBe(T.slice(16));
    expect(firstMatch(g.B3_MULTI, `${T}x|${S}||1|`)).toBeNull();
  });

  it('traceparent: flags 00-03 set $tracing__w3c_flags as its map would, other flags leave it to the map', () => {
    const T = '0af7651916cd43dd8448eb211c80319c';
    const P = 'b7ad6b7169203331';
    for (const flags of ['00', '01', '02', '03', '04', '09', '0f', '10', 'ff']) {
      const value = ` 00-${T}-${P}-${flags}\t`;
      const usual = re(g.TRACEPARENT_00_USUAL).exec(value);
      const general = re(g.TRACEPARENT_00).exec(value)!;
      expect(general.groups!.tracing__tp_flag).toBe(flags[1]);
      // tracing-http.conf's $tracing__w3c_flags: the two defined bits of the low digit.
      const mapped = `0${parseInt(flags[1], 16) & 3}`;
      if (usual) {
        expect({ ...usual.groups, tracing__w3c_flags: undefined }).toEqual({ ...general.groups, tracing__w3c_flags: undefined });
        expect(usual.groups!.tracing__w3c_flags).toBe(mapped);
      } else {
        expect(['00', '01', '02', '03']).not.toContain(flags);
      }
    }
  });
});

describe('extract-list picks', () => {
  it('follow extract(): first valid wins, an invalid traceparent before it is reported', () => {
    expect(pickCode(pick([['w3c', 'i'], ['b3', 'n'], ['jaeger', 'v']]))).toBe('j1');
    expect(pickCode(pick([['b3', 'x'], ['w3c', 'v']]))).toBe('x');
    expect(pickCode(pick([['w3c', 'v'], ['b3', 'x']]))).toBe('w0');
    expect(pickCode(pick([['b3', 'n'], ['w3c', 'n']]))).toBe('n0');
  });

  it('the fallback regexes of the pick map agree with every exact key', async () => {
    const { renderExtractTables } = await import('../../src/conf/fragments/extract');
    const text = renderExtractTables();
    const regexes = [...text.matchAll(/^ {4}"~([^"]+)" "?([^";]+)"?;$/gm)].map(([, src, value]) => [new RegExp(src), value] as const);
    for (const list of extractLists()) {
      for (const [states, p] of stateStrings(list)) {
        const hit = regexes.find(([r]) => r.test(states));
        let value = hit ? hit[1] : 'x';
        if (value.includes('${tracing__pk}')) value = value.replace('${tracing__pk}', hit![0].exec(states)!.groups!.tracing__pk);
        expect(value, states).toBe(pickCode(p));
      }
    }
  });
});

describe('njs result line', () => {
  it('is written in the order and shapes of src/contract/result.ts, which the nginx maps split', async () => {
    const { RESULT_FIELDS } = await import('../../src/contract/result');
    const { resultFieldRegex } = await import('../../src/conf/fragments/js-result');
    const { resultLine, fallbackLine } = await import('../../src/njs/result-line');
    const decision = {
      traceId: '0af7651916cd43dd8448eb211c80319c', parentId: 'b7ad6b7169203331', sampled: true, randomTraceId: false,
      debug: true, traceState: 'a= 1,b=2', linkTraceId: '4bf92f3577b34da6a3ce929d0e0e4736', linkSpanId: '00f067aa0ba902b7',
      format: 'b3multi' as const, rejected: ['x-b3-flags', 'traceparent'], error: 'config',
    };
    const expected = ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', '01', '4bf92f3577b34da6a3ce929d0e0e4736',
      '00f067aa0ba902b7', 'b3multi', 'x-b3-flags,traceparent', '1', 'config', 'a= 1,b=2'];
    const line = resultLine(decision);
    RESULT_FIELDS.forEach((field, i) => {
      const m = new RegExp(resultFieldRegex(i, field.pattern, i === RESULT_FIELDS.length - 1)).exec(line);
      expect(m?.groups?.v, field.name).toBe(expected[i]);
    });
    const fallback = fallbackLine('0af7651916cd43dd8448eb211c80319c', 'exception');
    expect(new RegExp(resultFieldRegex(8, '[a-z_]+', false)).exec(fallback)?.groups?.v).toBe('exception');
    expect(new RegExp(resultFieldRegex(1, '[0-9a-f]{16}', false)).test(fallback)).toBe(false);
  });
});

describe('knob table', () => {
  it('names every knob njs reads, and nothing else', async () => {
    const { KNOBS } = await import('../../src/contract/knobs');
    const { readKnobs } = await import('../../src/njs/knobs');
    const read = new Set<string>();
    readKnobs((name) => {
      read.add(name);
      return KNOBS.find((k) => k.name === name)?.default ?? 'w3c';
    });
    const njsKnobs = [...read].filter((n) => n !== 'tracing__headers');
    expect(njsKnobs.every((n) => KNOBS.some((k) => k.name === n)), njsKnobs.join()).toBe(true);
    // The defaults are valid in njs: no knob reported invalid.
    expect(readKnobs((name) => KNOBS.find((k) => k.name === name)?.default ?? 'w3c').invalid).toEqual([]);
  });
});
