// @ts-check
/**
 * Small SVG charts drawn here (no library, nothing fetched from elsewhere):
 * stacked areas or bars over time, a donut, a status bar and bar lists.
 * Labels and tooltips are text nodes.
 */
import { h, s } from './dom.js';
import * as fmt from './format.js';

/** @typedef {{ key: string, label: string, color: string }} Series */
/** @typedef {{ x: number, values: Record<string, number> }} Point */

/**
 * A round upper bound for an axis: 1, 2, 5 × 10^n.
 * @param {number} max
 */
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * Stacked areas or bars over evenly spaced x values (minutes), with a y axis,
 * time labels, a legend with totals and a tooltip per column.
 * @param {Point[]} points sorted by x
 * @param {Series[]} series bottom first
 * @param {{ width: number, height?: number, kind?: 'area' | 'bar', label?: (x: number) => string, testid?: string, empty?: string, unit?: string }} opts
 * @returns {HTMLElement}
 */
export function stacked(points, series, opts) {
  const width = Math.max(280, Math.floor(opts.width));
  const height = opts.height ?? 200;
  const kind = opts.kind ?? 'area';
  const label = opts.label ?? fmt.clock;
  const unit = opts.unit ?? 'requests';
  const m = { top: 10, right: 12, bottom: 24, left: 44 };
  const iw = width - m.left - m.right;
  const ih = height - m.top - m.bottom;
  const n = points.length;
  const totals = points.map((p) => series.reduce((sum, sr) => sum + (p.values[sr.key] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const step = n > 1 ? iw / (kind === 'bar' ? n : n - 1) : iw;
  const xAt = (/** @type {number} */ i) => (kind === 'bar' ? m.left + step * i + step / 2 : m.left + (n > 1 ? step * i : iw / 2));
  const yAt = (/** @type {number} */ v) => m.top + ih - (v / max) * ih;

  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': `${unit} over time` });
  // grid and y labels
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = yAt(v);
    svg.append(s('line', { x1: m.left, x2: width - m.right, y1: y, y2: y, class: i === 0 ? 'axis' : 'grid' }));
    svg.append(s('text', { x: m.left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, fmt.count(v)));
  }
  // x labels: about six
  if (n > 0) {
    const every = Math.max(1, Math.ceil(n / 6));
    for (let i = n - 1; i >= 0; i -= every) {
      const p = points[i];
      if (!p) continue;
      svg.append(s('text', { x: xAt(i), y: height - 6, class: 'tick', 'text-anchor': i === n - 1 && kind !== 'bar' ? 'end' : 'middle' }, label(p.x)));
    }
  }

  const base = new Array(n).fill(0);
  for (const sr of series) {
    const top = points.map((p, i) => base[i] + (p.values[sr.key] ?? 0));
    if (top.every((v, i) => v === base[i])) continue;
    if (kind === 'bar') {
      const g = s('g', { fill: sr.color, class: 'series', 'data-series': sr.key });
      const bw = Math.max(1, step * 0.78);
      points.forEach((p, i) => {
        const v = p.values[sr.key] ?? 0;
        if (v <= 0) return;
        const y1 = yAt(base[i] + v);
        const y0 = yAt(base[i]);
        g.append(s('rect', { x: xAt(i) - bw / 2, y: y1, width: bw, height: Math.max(0.5, y0 - y1), rx: Math.min(2, bw / 4) }));
      });
      svg.append(g);
    } else {
      let d = '';
      points.forEach((_, i) => {
        d += `${i === 0 ? 'M' : 'L'}${xAt(i).toFixed(1)},${yAt(top[i]).toFixed(1)}`;
      });
      for (let i = n - 1; i >= 0; i--) d += `L${xAt(i).toFixed(1)},${yAt(base[i]).toFixed(1)}`;
      d += 'Z';
      svg.append(s('path', { d, fill: sr.color, 'fill-opacity': 0.78, stroke: sr.color, 'stroke-width': 1, class: 'series', 'data-series': sr.key }));
    }
    top.forEach((v, i) => {
      base[i] = v;
    });
  }

  // one hover column per point, with its numbers as a tooltip
  const colWidth = n > 1 ? step : iw;
  points.forEach((p, i) => {
    const lines = [`${label(p.x)} · ${fmt.exact(totals[i])} ${unit}`];
    for (const sr of [...series].reverse()) {
      const v = p.values[sr.key] ?? 0;
      if (v > 0) lines.push(`${sr.label}: ${fmt.exact(v)}`);
    }
    const x = kind === 'bar' ? xAt(i) - step / 2 : Math.max(m.left, xAt(i) - colWidth / 2);
    svg.append(s('rect', { x, y: m.top, width: Math.max(1, colWidth), height: ih, class: 'hover-col' }, s('title', {}, lines.join('\n'))));
  });

  const allZero = totals.every((t) => t === 0);
  const wrap = h('div', { class: 'chart', testid: opts.testid ?? null }, svg);
  if (allZero) wrap.append(h('div', { class: 'chart-empty' }, opts.empty ?? 'No traffic yet'));
  wrap.append(legend(series.map((sr) => ({ ...sr, value: points.reduce((sum, p) => sum + (p.values[sr.key] ?? 0), 0) })).filter((x) => x.value > 0)));
  return wrap;
}

/**
 * @param {(Series & { value: number })[]} items
 * @returns {HTMLElement}
 */
export function legend(items) {
  return h('ul', { class: 'legend' }, items.map((it) => {
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = it.color;
    return h('li', {}, swatch, h('span', { class: 'legend-label' }, it.label), h('span', { class: 'legend-value' }, fmt.count(it.value)));
  }));
}

/**
 * A donut with a total in the middle and a legend beside it.
 * @param {{ label: string, value: number, color: string }[]} parts
 * @param {{ size?: number, center?: string, sub?: string, testid?: string }} [opts]
 * @returns {HTMLElement}
 */
export function donut(parts, opts = {}) {
  const size = opts.size ?? 140;
  const stroke = size * 0.16;
  const r = (size - stroke) / 2;
  const c = 2 * Math.PI * r;
  const total = parts.reduce((sum, p) => sum + p.value, 0);
  const svg = s('svg', { width: size, height: size, viewBox: `0 0 ${size} ${size}`, class: 'donut', role: 'img' });
  const g = s('g', { transform: `rotate(-90 ${size / 2} ${size / 2})` });
  g.append(s('circle', { cx: size / 2, cy: size / 2, r, fill: 'none', class: 'donut-track', 'stroke-width': stroke }));
  let at = 0;
  for (const p of parts) {
    if (p.value <= 0) continue;
    const len = (p.value / total) * c;
    g.append(s('circle', {
      cx: size / 2, cy: size / 2, r, fill: 'none', stroke: p.color, 'stroke-width': stroke,
      'stroke-dasharray': `${Math.max(0, len - (parts.length > 1 ? 1 : 0))} ${c}`, 'stroke-dashoffset': -at,
    }, s('title', {}, `${p.label}: ${fmt.exact(p.value)} (${fmt.percent(p.value, total)})`)));
    at += len;
  }
  svg.append(g);
  svg.append(s('text', { x: size / 2, y: size / 2 + (opts.sub ? 2 : 6), 'text-anchor': 'middle', class: 'donut-center' }, opts.center ?? fmt.count(total)));
  if (opts.sub) svg.append(s('text', { x: size / 2, y: size / 2 + 18, 'text-anchor': 'middle', class: 'donut-sub' }, opts.sub));
  return h('div', { class: 'donut-wrap', testid: opts.testid ?? null }, svg,
    h('ul', { class: 'legend legend-column' }, parts.filter((p) => p.value > 0).map((p) => {
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = p.color;
      return h('li', {}, swatch, h('span', { class: 'legend-label' }, p.label), h('span', { class: 'legend-value' }, `${fmt.count(p.value)} · ${fmt.percent(p.value, total)}`));
    })));
}

/** Colours of status classes. */
export const STATUS_COLORS = /** @type {Record<string, string>} */ ({
  '1xx': '#94a3b8', '2xx': '#10b981', '3xx': '#3b82f6', '4xx': '#f59e0b', '5xx': '#ef4444', '0': '#64748b',
});

/**
 * A thin bar split by status class ('2xx' → count), for table rows.
 * @param {Record<string, number>} statuses
 * @returns {HTMLElement}
 */
export function statusBar(statuses) {
  const entries = Object.entries(statuses ?? {}).filter(([, v]) => v > 0).sort(([a], [b]) => a.localeCompare(b));
  const total = entries.reduce((sum, [, v]) => sum + v, 0);
  const bar = h('div', { class: 'status-bar', title: entries.map(([k, v]) => `${k === '0' ? 'no answer' : k}: ${fmt.exact(v)}`).join('\n') || 'no requests' });
  for (const [k, v] of entries) {
    const seg = h('span');
    seg.style.width = `${(100 * v) / total}%`;
    seg.style.background = STATUS_COLORS[k] ?? '#94a3b8';
    bar.append(seg);
  }
  return bar;
}

/**
 * Horizontal bars, one per entry, sorted by value.
 * @param {{ label: string, value: number, color?: string, note?: string }[]} items
 * @param {{ testid?: string }} [opts]
 * @returns {HTMLElement}
 */
export function bars(items, opts = {}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return h('ul', { class: 'hbars', testid: opts.testid ?? null }, items.map((it) => {
    const fill = h('span', { class: 'hbar-fill' });
    fill.style.width = `${Math.max(1, (100 * it.value) / max)}%`;
    if (it.color) fill.style.background = it.color;
    return h('li', {},
      h('span', { class: 'hbar-label' }, it.label),
      h('span', { class: 'hbar-track' }, fill),
      h('span', { class: 'hbar-value' }, it.note ?? fmt.count(it.value)));
  }));
}
