import { describe, expect, it } from 'vitest';
import * as grammar from '../../src/contract/knobs.js';
import * as knobs from '../../src/njs/knobs.js';
import { readKnobs, type KnobName } from '../../src/njs/knobs.js';

const defaults: Record<string, string> = {
  tracing_enabled: 'on',
  tracing_sink: 'file',
  tracing_record_query: 'off',
  tracing_traceresponse: 'off',
  tracing__headers: 'all',
  tracing_extract: 'w3c',
  tracing_inject: 'w3c',
  tracing_trust_incoming: 'on',
  tracing_sampler: 'parentbased_traceidratio',
  tracing_sample_ratio: '1',
};
const reader = (overrides: Record<string, string>) => (name: KnobName | 'request_id') =>
  ({ ...defaults, ...overrides })[name] ?? '';

describe('readKnobs', () => {
  it('reads the defaults without complaint', () => {
    expect(readKnobs(reader({}))).toEqual({
      extract: ['w3c'],
      trustIncoming: true,
      sampler: 'parentbased_traceidratio',
      ratio: 1,
      invalid: [],
    });
  });

  it('keeps the configured extraction order and drops repeats', () => {
    expect(readKnobs(reader({ tracing_extract: 'jaeger, b3,w3c,b3' })).extract).toEqual(['jaeger', 'b3', 'w3c']);
  });

  it.each([
    ['unknownFormat', { tracing_extract: 'w3c,zipkin' }, 'tracing_extract'],
    ['emptyExtract', { tracing_extract: '' }, 'tracing_extract'],
    ['trustYes', { tracing_trust_incoming: 'yes' }, 'tracing_trust_incoming'],
    ['unknownSampler', { tracing_sampler: 'probabilistic' }, 'tracing_sampler'],
    ['ratioAboveOne', { tracing_sample_ratio: '1.5' }, 'tracing_sample_ratio'],
    ['ratioNegative', { tracing_sample_ratio: '-0.1' }, 'tracing_sample_ratio'],
    ['ratioPercent', { tracing_sample_ratio: '10%' }, 'tracing_sample_ratio'],
    ['ratioTrailingDot', { tracing_sample_ratio: '0.' }, 'tracing_sample_ratio'],
    ['enabledYes', { tracing_enabled: 'yes' }, 'tracing_enabled'],
    ['injectUnknown', { tracing_inject: 'w3c,zipkin' }, 'tracing_inject'],
    ['injectSameWithOthers', { tracing_inject: 'same,b3' }, 'tracing_inject'],
    ['sinkTcp', { tracing_sink: 'tcp' }, 'tracing_sink'],
    ['recordQueryYes', { tracing_record_query: 'yes' }, 'tracing_record_query'],
    ['traceresponseTrue', { tracing_traceresponse: 'true' }, 'tracing_traceresponse'],
    ['injectB3WithoutFormatHeaders', { tracing_inject: 'b3', tracing__headers: 'w3c' }, 'tracing_inject'],
  ])('falls back to the default and names the knob for %s', (_name, overrides, knob) => {
    const knobs = readKnobs(reader(overrides));
    expect(knobs.invalid).toEqual([knob]);
  });

  it('parses ratios written in the usual ways', () => {
    for (const [text, value] of [['0', 0], ['1.0', 1], ['.25', 0.25], ['0.001', 0.001]] as const) {
      expect(readKnobs(reader({ tracing_sample_ratio: text })).ratio, text).toBe(value);
    }
  });

  it('reads values case-insensitively', () => {
    const knobs = readKnobs(reader({ tracing_enabled: 'On', tracing_trust_incoming: 'OFF', tracing_sampler: 'Always_On' }));
    expect(knobs).toMatchObject({ trustIncoming: false, sampler: 'always_on', invalid: [] });
  });

  it('accepts inject lists with spaces after the commas', () => {
    expect(readKnobs(reader({ tracing_inject: 'w3c, b3,jaeger' })).invalid).toEqual([]);
  });

  it('treats a distrust value of off as distrust', () => {
    expect(readKnobs(reader({ tracing_trust_incoming: 'off' })).trustIncoming).toBe(false);
  });
});

describe('knob grammar of src/contract/knobs.ts (the native maps compose it too)', () => {
  it.each([
    ['ON_OFF_RE', knobs.ON_OFF_RE, grammar.ON_OFF],
    ['SINK_RE', knobs.SINK_RE, grammar.SINKS],
    ['INJECT_LIST_RE', knobs.INJECT_LIST_RE, grammar.INJECT_LIST_SOURCE],
    ['RATIO_RE', knobs.RATIO_RE, grammar.RATIO_SOURCE],
  ])('%s is the literal of its composition', (_name, literal, source) => {
    expect(literal.source).toBe(new RegExp(`^(${source})$`).source);
  });
});
