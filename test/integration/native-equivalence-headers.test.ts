/**
 * The header shapes the native path parses or builds for the header rows, answered
 * as njs answers them (equivalence.ts): Jaeger ids of every width (full-width
 * ids are captured apart from the padded ones), the flags of B3 and Jaeger
 * parents keyed on their captures, and the B3 / Jaeger header lines of
 * tracing-location-formats.conf passing incoming headers through (or not)
 * by whether any came in.
 */
import { beforeAll } from 'vitest';
import type { Nginx } from '../support/nginx.js';
import { describeEachRuntime } from '../support/runtimes.js';
import { describeCases, PARENT, SPAN, TRACE, W3C, type Case } from './equivalence.js';
import { startTracedNginx } from './traced-nginx.js';

const CASES: Case[] = [
  // Jaeger ids: full width, one digit short, one digit long.
  ['mx-all', 'uber-trace-id 31-digit trace id, 15-digit span id', { 'uber-trace-id': `${TRACE.slice(1)}:${PARENT.slice(1)}:0:1` }, 'native'],
  ['mx-all', 'uber-trace-id 32-digit trace id, 1-digit span id', { 'uber-trace-id': `${TRACE}:7:0:1` }, 'native'],
  ['mx-all', 'uber-trace-id 1-digit trace id, 16-digit span id', { 'uber-trace-id': `9:${PARENT}:0:1` }, 'native'],
  ['mx-all', 'uber-trace-id 33-digit trace id (njs rejects)', { 'uber-trace-id': `a${TRACE}:${PARENT}:0:1` }, 'js'],
  ['mx-all', 'uber-trace-id 17-digit span id (njs rejects)', { 'uber-trace-id': `${TRACE}:a${PARENT}:0:1` }, 'js'],
  // Flags of B3 / Jaeger parents, keyed on the captures.
  ['mx-all', 'uber-trace-id flags 0c (unsampled)', { 'uber-trace-id': `${TRACE}:${PARENT}:0:0c` }, 'native'],
  ['mx-all', 'uber-trace-id flags 8 (unsampled)', { 'uber-trace-id': `${TRACE}:${PARENT}:0:8` }, 'native'],
  ['mx-all', 'uber-trace-id flags fd (sampled)', { 'uber-trace-id': `${TRACE}:${PARENT}:0:fd` }, 'native'],
  ['mx-all', 'X-B3-Sampled 0', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-sampled': '0' }, 'native'],
  ['mx-all', 'b3 unsampled with a parent span', { b3: `${TRACE}-${PARENT}-0-${SPAN}` }, 'native'],
  // tracing-location-formats.conf, inject w3c,b3: b3 injected, X-B3-* and uber-trace-id passed through when present.
  ['mx-inject', 'incoming b3 (not extracted, replaced)', { b3: `${TRACE}-${PARENT}-1` }, 'native'],
  ['mx-inject', 'incoming X-B3-* pass through', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-sampled': '1' }, 'native'],
  ['mx-inject', 'incoming X-B3-Flags alone passes through', { 'x-b3-flags': '0' }, 'native'],
  ['mx-inject', 'W3C parent and an incoming uber-trace-id', { traceparent: W3C, 'uber-trace-id': `${TRACE}:${SPAN}:0:1` }, 'native'],
  ['mx-inject', 'every incoming format at once', {
    traceparent: W3C, b3: `${TRACE}-${SPAN}-0`, 'x-b3-traceid': TRACE, 'x-b3-parentspanid': SPAN, 'uber-trace-id': `${TRACE}:${SPAN}:0:1`,
  }, 'native'],
];

describeEachRuntime('native header paths equal njs', (rt) => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startTracedNginx(rt);
  });

  describeCases(() => nginx, CASES);
});
