/**
 * Each fault scenario of the demo, end to end through real NGINX: the
 * report's top bottleneck is the layer the fault was injected into, and the
 * `njs-tracing report` command says so from the OTLP file too.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../scripts/build-report.mjs';
import { EXPECTED_LAYER, FAULTS, type Fault } from '../../scripts/demo/stack.js';
import { analyze, type Report } from '../../src/report/analyze.js';
import { buildTraces } from '../../src/report/trace.js';
import { runScenario } from './scenario.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/njs-tracing.js', import.meta.url));
const REQUESTS = 24;
const CONCURRENCY = 4;

describe('fault scenarios: the report names the injected layer', () => {
  // The bin runs dist/report.js when present: make it the current sources.
  beforeAll(() => buildReport());

  for (const fault of FAULTS.filter((f): f is Exclude<Fault, 'none'> => f !== 'none')) {
    it(`${fault}: the top bottleneck is ${EXPECTED_LAYER[fault]}`, async () => {
      const scenario = await runScenario(fault, REQUESTS, CONCURRENCY);
      try {
        // The fault slows requests down; none of them fails.
        expect(scenario.load.statuses).toEqual({ 200: REQUESTS });
        const report = analyze(buildTraces(scenario.spans), scenario.otlpFile);
        expect(report.traces).toBe(REQUESTS);
        const top = report.bottlenecks[0];
        expect(top.layer, JSON.stringify(report.bottlenecks.slice(0, 3), null, 1)).toBe(EXPECTED_LAYER[fault]);
        expect(top.share).toBeGreaterThan(0.5);
        // The same answer from the command, reading the file.
        const { stdout } = await run(process.execPath, [BIN, 'report', scenario.otlpFile, '--json']);
        const fromBin = JSON.parse(stdout) as Report;
        expect(fromBin.bottlenecks[0]).toMatchObject({ layer: top.layer, route: top.route });
        expect(fromBin.traces).toBe(REQUESTS);
      } finally {
        scenario.cleanup();
      }
    }, 120_000);
  }
});
