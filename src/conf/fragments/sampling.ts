/**
 * The trace-id ratio decision, natively: the table of ratios and thresholds
 * (src/contract/sampling.ts, computed by the njs sampler's ratioThreshold) and
 * one regex comparing the trace id's last 14 hex digits with the threshold.
 */
import { nativeRatios, RATIO_DECIMALS, thresholdRegexes } from '../../contract/sampling.js';
import { fragment, regexKey, renderMap, type MapEntry } from './render.js';

export function renderSampling(): string {
  const r = thresholdRegexes();
  const table: MapEntry[] = nativeRatios().map((e) => [e.text, e.threshold]);
  table.push(['default', '']);
  return fragment(
    'src/conf/fragments/sampling.ts',
    'src/contract/sampling.ts and ratioThreshold() of src/njs/sampler.ts',
    `Ratios with up to ${RATIO_DECIMALS} decimals ("0.1", "0.25", "0.001"): threshold of the\n` +
      '14 low hex digits of the trace id; other ratios are decided by njs.',
    [
      renderMap('$tracing__trace:$tracing__ratio_threshold', '$tracing__ratio_sampled', [
        ...r.map(([source, sampled]): MapEntry => [regexKey(source), sampled]),
        ['default', '1'],
      ], 'Not sampled when the id\'s 14 low digits sort below the threshold (most ids are\n' +
        'decided by their first digit, in the first two regexes).'),
      renderMap('$tracing__ratio_threshold', '$tracing__ratio_known', [['', '0'], ['default', '1']]),
      renderMap('$tracing_sample_ratio', '$tracing__ratio_threshold', table),
    ].map((block) => block + '\n'),
  ).trimEnd();
}
