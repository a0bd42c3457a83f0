/** The report command's output forms: a table without colours off a TTY, colours on request, JSON, HTML, usage errors. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../scripts/build-report.mjs';
import { ingressTrace, toOtlpJsonLines } from './fixtures.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/njs-tracing.js', import.meta.url));
const ESC = '\x1b[';

describe('njs-tracing report output', () => {
  let dir: string;
  let spans: string;
  beforeAll(async () => {
    await buildReport();
    dir = mkdtempSync(join(tmpdir(), 'njs-tracing-cli-'));
    spans = join(dir, 'spans.jsonl');
    const attempt = { spanId: 'c000000000000001', startMs: 5, endMs: 95, attributes: { 'nginx.upstream.connect_time_ms': 1, 'nginx.upstream.header_time_ms': 80, 'nginx.upstream.response_time_ms': 90 } };
    // Plus one line that is not OTLP: skipped and counted, not fatal.
    writeFileSync(spans, `${toOtlpJsonLines(ingressTrace('4'.repeat(32), [attempt]))}\nnot json\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the waterfall, the layer table and the bottlenecks, without colours when not on a terminal', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'report', spans]);
    expect(stdout).not.toContain(ESC);
    expect(stdout).toContain(`trace ${'4'.repeat(32)}`);
    expect(stdout).toMatch(/GET \/cart\/\{id\}\s+1 traces \(0 with app spans\)/);
    expect(stdout).toMatch(/upstream time to first byte \(outside app\)\s+79\.0 ms/);
    expect(stdout).toContain('1 unreadable inputs skipped');
    expect(stdout).toMatch(/top bottlenecks\n\s+1\. upstream time to first byte/);
  });

  it('colours on request', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'report', spans, '--color']);
    expect(stdout).toContain(ESC);
  });

  it('writes a self-contained HTML page with --html', async () => {
    const html = join(dir, 'r.html');
    await run(process.execPath, [BIN, 'report', spans, '--html', html]);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg class="waterfall"');
    expect(page).not.toMatch(/<(link|script)[^>]+(href|src)="https?:/);
  });

  it('exits 2 with the usage when given nothing to read or a bad limit', async () => {
    for (const args of [['report'], ['report', '--jaeger', 'http://x', '--limit', '0'], ['report', '--bogus']]) {
      const error = (await run(process.execPath, [BIN, ...args]).catch((e) => e)) as { code: number; stderr: string };
      expect(error.code, args.join(' ')).toBe(2);
      expect(error.stderr).toMatch(/njs-tracing report/);
    }
  });
});
