/**
 * The HTML report, made from a real demo run's spans, opened in headless
 * Chromium (Debian's package, driven by playwright-core): it renders without
 * console errors or network requests and shows the waterfall and the charts.
 * The screenshot stays in test/artifacts/ (gitignored) for people to look at.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/report/analyze.js';
import { renderHtml } from '../../src/report/render-html.js';
import { buildTraces } from '../../src/report/trace.js';
import { runScenario } from '../demo/scenario.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('HTML report in Chromium', () => {
  let browser: Browser;
  let dir: string;
  let page: string;

  beforeAll(async () => {
    const scenario = await runScenario('slow-db', 16, 2);
    try {
      dir = mkdtempSync(join(tmpdir(), 'njs-tracing-html-'));
      page = join(dir, 'report.html');
      writeFileSync(page, renderHtml(analyze(buildTraces(scenario.spans), 'demo (slow-db)')));
    } finally {
      scenario.cleanup();
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders the waterfall and the charts with no console errors and no network', async () => {
    const tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    tab.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    tab.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    tab.on('request', (request) => requests.push(request.url()));
    await tab.goto(pathToFileURL(page).href);
    await tab.waitForLoadState('load');

    // A waterfall per route with a bar per span: ingress SERVER, CLIENT, frontend, its call, orders, the query.
    const waterfallBars = await tab.locator('svg.waterfall').first().locator('g.span rect').count();
    expect(waterfallBars).toBeGreaterThanOrEqual(6);
    expect(await tab.locator('svg.chart.share rect').count()).toBeGreaterThan(0);
    expect(await tab.locator('svg.chart.percentiles g').count()).toBeGreaterThan(0);
    await expect.poll(() => tab.locator('ol.bottlenecks li').first().textContent()).toContain('call orders → postgresql');
    // Bars have real sizes once laid out.
    const box = await tab.locator('svg.waterfall g.span rect').first().boundingBox();
    expect(box!.width).toBeGreaterThan(100);

    // The inline script: clicking a span shows its details.
    await tab.locator('svg.waterfall g.span').nth(1).click();
    expect(await tab.locator('p.detail').first().textContent()).toMatch(/ingress-nginx GET \(client\)/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await tab.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
    await tab.close();
  });
});
