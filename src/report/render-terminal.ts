/** The report as text: per route a layer table, then the top bottlenecks, then one waterfall. */
import type { Report } from './analyze.js';
import { ms, padEnd, padStart, percent, truncate, type Paint } from './format.js';
import { renderWaterfall } from './waterfall.js';

const LAYER_WIDTH = 44;

function shareBar(share: number, width = 20): string {
  const filled = Math.round(share * width);
  return '█'.repeat(filled) + '·'.repeat(width - filled);
}

export function renderTable(report: Report, paint: Paint): string {
  const lines: string[] = [];
  for (const route of report.routes) {
    lines.push(
      paint(`${route.route}`, 'bold') +
        `  ${route.traces} traces (${route.tracesWithApp} with app spans)  total p50 ${ms(route.total.p50)}  p95 ${ms(route.total.p95)}  p99 ${ms(route.total.p99)}`,
    );
    lines.push(paint(`  ${padEnd('layer', LAYER_WIDTH)} ${padStart('p50', 9)} ${padStart('p95', 9)} ${padStart('p99', 9)} ${padStart('share', 7)}`, 'dim'));
    for (const layer of route.layers) {
      const share = `${padStart(percent(layer.share), 7)} ${paint(shareBar(layer.share), layer === route.layers[0] ? 'red' : 'blue')}`;
      lines.push(`  ${padEnd(truncate(layer.label, LAYER_WIDTH), LAYER_WIDTH)} ${padStart(ms(layer.p50), 9)} ${padStart(ms(layer.p95), 9)} ${padStart(ms(layer.p99), 9)} ${share}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function renderBottlenecks(report: Report, paint: Paint, count = 5): string {
  const lines = [paint('top bottlenecks', 'bold')];
  report.bottlenecks.slice(0, count).forEach((b, i) => {
    lines.push(
      `  ${i + 1}. ${paint(b.label, i === 0 ? 'red' : 'yellow')} on ${b.route}: ${percent(b.share)} of the time, p95 ${ms(b.p95)}; e.g. ${b.exampleTraceIds.join(', ')}`,
    );
  });
  return lines.join('\n');
}

export function renderTerminal(report: Report, paint: Paint, options: { waterfall?: boolean } = {}): string {
  const parts = [
    paint(`${report.traces} traces, ${report.spans} spans from ${report.source}`, 'dim') +
      (report.skippedInputs > 0 ? paint(` (${report.skippedInputs} unreadable inputs skipped)`, 'yellow') : ''),
    '',
  ];
  if (report.routes.length === 0) return `${parts[0]}\nno traces found\n`;
  if (options.waterfall !== false) {
    const top = report.routes[0];
    parts.push(renderWaterfall(report.waterfalls[top.representativeTraceId] ?? [], paint), '');
  }
  parts.push(renderTable(report, paint), renderBottlenecks(report, paint), '');
  return parts.join('\n');
}
