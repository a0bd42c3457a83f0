/**
 * The generated parts of the nginx includes, by placeholder. scripts/build.ts
 * replaces each @@NAME@@ in src/conf/*.conf with its fragment.
 */
import { renderKnobs } from '../../contract/knobs.js';
import { renderPolicyConf } from '../../k8s/policy-conf.js';
import { renderBounds } from '../../record/bounds.js';

import { renderLogFormat } from '../../record/log-format.js';
import { renderSinks } from '../sinks.js';
import { renderContext } from './context.js';
import { renderByMode, renderWriteDecision } from './record-context.js';
import { renderDistrustHeaders, renderDistrustPrefixes } from './distrust.js';
import { renderExtract, renderExtractTables, renderModeGeneral } from './extract.js';
import { renderIncoming, renderIncomingTables } from './incoming.js';
import { renderInject } from './inject.js';
import { renderJsResult } from './js-result.js';
import { renderModeFast, renderModeOther } from './modes.js';
import { renderOutgoing } from './outgoing.js';
import { renderKnobChecks } from './knobs.js';
import { renderSampling, renderSamplingTable } from './sampling.js';

export const FRAGMENTS: Record<string, () => string> = {
  LOG_FORMAT: renderLogFormat,
  RECORD_BOUNDS: renderBounds,
  RECORD_CONTEXT: renderByMode,
  RECORD_WRITE: renderWriteDecision,
  SINKS: renderSinks,
  KNOBS: renderKnobs,
  POLICY_MAPS: renderPolicyConf,
  INCOMING: renderIncoming,
  EXTRACT: renderExtract,
  MODE_FAST: renderModeFast,
  OUTGOING: renderOutgoing,
  MODE_OTHER: renderModeOther,
  MODE_GENERAL: renderModeGeneral,
  SAMPLING: renderSampling,
  CONTEXT: renderContext,
  // Long generated tables go last, so the file reads from the top.
  TABLES: () => [renderIncomingTables(), renderExtractTables(), renderInject(), renderSamplingTable()].join('\n\n'),
  JS_RESULT: renderJsResult,
  DISTRUST_HEADERS: renderDistrustHeaders,
  DISTRUST_PREFIXES: renderDistrustPrefixes,
  KNOB_CHECKS: renderKnobChecks,
};

export function renderConfText(text: string): string {
  return text.replace(/@@([A-Z_]+)@@/g, (_, name: string) => {
    const render = FRAGMENTS[name];
    if (!render) throw new Error(`unknown fragment @@${name}@@`);
    return render();
  });
}
