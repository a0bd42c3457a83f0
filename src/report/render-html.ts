/**
 * The report as one self-contained HTML page: inline CSS, SVG charts and a
 * few lines of script, no network needed to view it. Per route: a stacked
 * bar of the layers' shares, a p50/p95/p99 chart and table, and the waterfall
 * of a representative trace.
 */
import type { LayerStats, Report, RouteReport } from './analyze.js';
import { ms, percent } from './format.js';
import { waterfallRows } from './waterfall.js';
import type { Span } from './spans.js';

const PALETTE = ['#d62728', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function colourOf(layers: string[]): (layer: string) => string {
  return (layer) => PALETTE[Math.max(0, layers.indexOf(layer)) % PALETTE.length];
}

function shareBar(route: RouteReport, colour: (l: string) => string): string {
  const width = 900;
  let x = 0;
  const rects = route.layers.map((layer) => {
    const w = layer.share * width;
    const rect = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="28" fill="${colour(layer.layer)}"><title>${escapeHtml(layer.label)}: ${percent(layer.share)}</title></rect>`;
    x += w;
    return rect;
  });
  const legend = route.layers
    .map((l) => `<span class="key"><i style="background:${colour(l.layer)}"></i>${escapeHtml(l.label)} ${percent(l.share)}</span>`)
    .join('');
  return `<svg class="chart share" viewBox="0 0 ${width} 28" width="${width}" height="28" role="img" aria-label="share of time per layer">${rects.join('')}</svg><div class="legend">${legend}</div>`;
}

function percentileChart(route: RouteReport, colour: (l: string) => string): string {
  const rowHeight = 22;
  const labelWidth = 320;
  const plotWidth = 560;
  const max = Math.max(1e-9, ...route.layers.map((l) => l.p99));
  const rows = route.layers.map((layer: LayerStats, i) => {
    const y = i * rowHeight;
    const bar = (value: number, opacity: number, h: number) =>
      `<rect x="${labelWidth}" y="${y + (rowHeight - h) / 2}" width="${((value / max) * plotWidth).toFixed(1)}" height="${h}" fill="${colour(layer.layer)}" fill-opacity="${opacity}"/>`;
    return (
      `<g><title>${escapeHtml(layer.label)}: p50 ${ms(layer.p50)}, p95 ${ms(layer.p95)}, p99 ${ms(layer.p99)}</title>` +
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(layer.label)}</text>` +
      bar(layer.p99, 0.25, 16) + bar(layer.p95, 0.5, 16) + bar(layer.p50, 1, 10) +
      `<text x="${labelWidth + (layer.p99 / max) * plotWidth + 6}" y="${y + 15}">${ms(layer.p95)}</text></g>`
    );
  });
  const height = route.layers.length * rowHeight;
  return `<svg class="chart percentiles" viewBox="0 0 ${labelWidth + plotWidth + 80} ${height}" width="${labelWidth + plotWidth + 80}" height="${height}" role="img" aria-label="p50, p95, p99 per layer">${rows.join('')}</svg>`;
}

function table(route: RouteReport): string {
  const rows = route.layers
    .map((l) => `<tr><td>${escapeHtml(l.label)}</td><td>${ms(l.p50)}</td><td>${ms(l.p95)}</td><td>${ms(l.p99)}</td><td>${percent(l.share)}</td></tr>`)
    .join('');
  return `<table><thead><tr><th>layer</th><th>p50</th><th>p95</th><th>p99</th><th>share</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function waterfall(spans: Span[]): string {
  const rows = waterfallRows(spans);
  if (rows.length === 0) return '';
  const t0 = rows[0].span.startUs;
  const totalUs = Math.max(1, Math.max(...rows.map((r) => r.span.endUs)) - t0);
  const labelWidth = 380;
  const plotWidth = 520;
  const rowHeight = 22;
  const kindColour: Record<string, string> = { server: '#1f77b4', client: '#ff7f0e' };
  const body = rows.map((row, i) => {
    const y = i * rowHeight + 20;
    const x = labelWidth + ((row.span.startUs - t0) / totalUs) * plotWidth;
    const w = Math.max(1.5, ((row.span.endUs - row.span.startUs) / totalUs) * plotWidth);
    const fill = row.span.error ? '#d62728' : (kindColour[row.span.kind] ?? '#9467bd');
    const label = `${row.span.service} ${row.span.name}`;
    const detail = `${label} (${row.span.kind}) ${ms((row.span.endUs - row.span.startUs) / 1000)}${row.note ? ` — ${row.note}` : ''}`;
    return (
      `<g class="span" data-detail="${escapeHtml(detail)}"><title>${escapeHtml(detail)}</title>` +
      `<text x="${4 + row.depth * 14}" y="${y + 15}">${escapeHtml(label)}</text>` +
      `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="14" rx="2" fill="${fill}"/>` +
      `<text x="${labelWidth + plotWidth + 8}" y="${y + 15}" class="dur">${ms((row.span.endUs - row.span.startUs) / 1000)}</text></g>`
    );
  });
  const height = rows.length * rowHeight + 24;
  const axis = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${labelWidth + f * plotWidth}" x2="${labelWidth + f * plotWidth}" y1="14" y2="${height}" class="grid"/><text x="${labelWidth + f * plotWidth}" y="11" text-anchor="middle">${ms((f * totalUs) / 1000)}</text>`)
    .join('');
  return `<p class="traceid">trace ${escapeHtml(rows[0].span.traceId)}</p><svg class="waterfall" viewBox="0 0 ${labelWidth + plotWidth + 70} ${height}" width="${labelWidth + plotWidth + 70}" height="${height}" role="img" aria-label="waterfall">${axis}${body.join('')}</svg><p class="detail">click a span for its details</p>` +
    `<div class="legend"><span class="key"><i style="background:${kindColour.server}"></i>SERVER</span><span class="key"><i style="background:${kindColour.client}"></i>CLIENT</span><span class="key"><i style="background:#9467bd"></i>other</span><span class="key"><i style="background:#d62728"></i>error</span></div>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
tr:nth-child(even){background:#f5f5f5}svg text{font:12px system-ui,sans-serif;fill:#333}svg .dur{fill:#666}
.legend{margin:6px 0 12px}.key{display:inline-block;margin-right:14px;font-size:12px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.grid{stroke:#eee}.traceid{font-family:monospace;color:#555}.detail{font-family:monospace;min-height:1.4em}.span{cursor:pointer}
.span:hover rect{stroke:#000}ol li{margin:4px 0}code{background:#f3f3f3;padding:0 3px}`;

const SCRIPT = `document.querySelectorAll('svg.waterfall').forEach(function (svg) {
  var out = svg.nextElementSibling;
  svg.querySelectorAll('g.span').forEach(function (g) {
    g.addEventListener('click', function () { out.textContent = g.getAttribute('data-detail'); });
  });
});`;

export function renderHtml(report: Report): string {
  const bottlenecks = report.bottlenecks
    .slice(0, 5)
    .map((b) => `<li><b>${escapeHtml(b.label)}</b> on <code>${escapeHtml(b.route)}</code>: ${percent(b.share)} of the time, p95 ${ms(b.p95)}; e.g. ${b.exampleTraceIds.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ')}</li>`)
    .join('');
  const routes = report.routes
    .map((route) => {
      const colour = colourOf(route.layers.map((l) => l.layer));
      return (
        `<section class="route"><h2>${escapeHtml(route.route)}</h2>` +
        `<p>${route.traces} traces (${route.tracesWithApp} with application spans); total p50 ${ms(route.total.p50)}, p95 ${ms(route.total.p95)}, p99 ${ms(route.total.p99)}</p>` +
        `<h3>Where the time went</h3>${shareBar(route, colour)}${percentileChart(route, colour)}${table(route)}` +
        `<h3>A representative trace</h3>${waterfall(report.waterfalls[route.representativeTraceId] ?? [])}</section>`
      );
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>njs-tracing report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><h1>njs-tracing: where the time went</h1>
<p>${report.traces} traces, ${report.spans} spans from ${escapeHtml(report.source)}; generated ${escapeHtml(report.generatedAt)}</p>
<h2>Top bottlenecks</h2><ol class="bottlenecks">${bottlenecks}</ol>${routes}
<script>${SCRIPT}</script></body></html>
`;
}
