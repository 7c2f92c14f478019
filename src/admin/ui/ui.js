// @ts-check
/** Pieces shared by the pages: badges, tiles, tables, pagers, messages. */
import { h } from './dom.js';
import * as fmt from './format.js';

export const CLASS_COLORS = /** @type {Record<string, string>} */ ({
  documented: '#64748b', shadow: '#f59e0b', zombie: '#8b5cf6', unknown: '#cbd5e1', rejected: '#ef4444',
});
export const CLASS_LABELS = /** @type {Record<string, string>} */ ({
  documented: 'Documented', shadow: 'Shadow', zombie: 'Zombie', unknown: 'Unmatched', rejected: 'Rejected',
});
export const DECISION_COLORS = /** @type {Record<string, string>} */ ({
  forwarded: '#10b981', denied: '#f97316', limited: '#eab308', delayed: '#06b6d4', banned: '#dc2626', blocked: '#991b1b',
  rejected: '#94a3b8', gone: '#8b5cf6', upstream_error: '#be123c', aborted: '#cbd5e1',
});
const EXTRA_COLORS = ['#0ea5e9', '#14b8a6', '#a855f7', '#f43f5e', '#84cc16', '#6366f1', '#d946ef'];

/**
 * A stable colour for a key that has none assigned.
 * @param {Record<string, string>} palette
 * @param {string} key
 */
export function colorOf(palette, key) {
  const known = palette[key];
  if (known) return known;
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return EXTRA_COLORS[hash % EXTRA_COLORS.length] ?? '#94a3b8';
}

/** @param {string} s */
export function capitalize(s) {
  return s ? s[0]?.toUpperCase() + s.slice(1) : s;
}

/**
 * A badge: kind picks the colour, testid is `badge-<kind>`.
 * @param {string} kind shadow | zombie | documented | unauthenticated | sensitive | exposed | severity-… | …
 * @param {string} text
 * @param {string} [title]
 */
export function badge(kind, text, title) {
  return h('span', { class: `badge badge-${kind}`, testid: `badge-${kind}`, title: title ?? null }, text);
}

/** @param {string} severity */
export function severityBadge(severity) {
  return h('span', { class: `badge sev sev-${severity}`, testid: 'severity' }, severity);
}

/**
 * The class and flag badges of an endpoint.
 * @param {{ class: string, unauthenticated?: boolean, exposed?: boolean, dataClasses?: string[] | Record<string, unknown> }} ep
 */
export function endpointBadges(ep) {
  const classes = Array.isArray(ep.dataClasses) ? ep.dataClasses : Object.keys(ep.dataClasses ?? {});
  const titles = /** @type {Record<string, string>} */ ({
    documented: 'In the OpenAPI documents',
    shadow: 'Served but in no document',
    zombie: 'Deprecated or removed in the documents, still answering',
  });
  return h('span', { class: 'badges' },
    badge(ep.class, ep.class, titles[ep.class]),
    ep.exposed ? badge('exposed', 'EXPOSED', 'Sensitive data answered without authentication') : null,
    ep.unauthenticated ? badge('unauthenticated', 'no auth', 'Answered 2xx to requests without credentials') : null,
    classes.length > 0 ? badge('sensitive', classes.join(', '), 'Sensitive data seen') : null);
}

/**
 * A number tile; with href, the whole tile is a link.
 * @param {{ label: string, value: string, sub?: string | Node | null, href?: string, testid?: string, tone?: string, small?: boolean }} t
 */
export function tile(t) {
  const body = [h('div', { class: 'tile-label' }, t.label), h('div', { class: t.small ? 'tile-value tile-value-small' : 'tile-value', testid: t.testid ? `${t.testid}-value` : null }, t.value), t.sub ? h('div', { class: 'tile-sub' }, t.sub) : null];
  const cls = `tile${t.tone ? ` tone-${t.tone}` : ''}`;
  return t.href ? h('a', { class: `${cls} tile-link`, href: t.href, testid: t.testid ?? null }, body) : h('div', { class: cls, testid: t.testid ?? null }, body);
}

/**
 * A relative time that shows the exact time on hover.
 * @param {number | null | undefined} t
 */
export function when(t) {
  return h('time', { datetime: fmt.fullTime(t) || null, title: t ? `${fmt.time(t)} (${fmt.fullTime(t)})` : null }, fmt.ago(t));
}

/**
 * A card with a title, optional actions on the right, and a body.
 * @param {string} title
 * @param {import('./dom.js').Children} body
 * @param {{ actions?: import('./dom.js').Children, testid?: string, class?: string, flush?: boolean }} [opts] flush: a table edge to edge
 */
export function card(title, body, opts = {}) {
  return h('section', { class: `card${opts.class ? ` ${opts.class}` : ''}`, testid: opts.testid ?? null },
    h('header', { class: 'card-head' }, h('h2', {}, title), opts.actions ? h('div', { class: 'card-actions' }, opts.actions) : null),
    h('div', { class: opts.flush ? 'card-body flush' : 'card-body' }, body));
}

/** @param {string} text */
export function empty(text) {
  return h('div', { class: 'empty' }, text);
}

/**
 * A table. Columns may be sortable: clicking calls onSort(key).
 * @template T
 * @param {{ key: string, label: string, num?: boolean, sortable?: boolean, render: (row: T) => import('./dom.js').Children, class?: string }[]} columns
 * @param {T[]} rows
 * @param {{ rowTestid?: string, rowAttrs?: (row: T) => import('./dom.js').Attrs, onRow?: (row: T, e: MouseEvent) => void,
 *   sort?: string, order?: 'asc' | 'desc', onSort?: (key: string) => void, emptyText?: string, testid?: string }} [opts]
 */
export function table(columns, rows, opts = {}) {
  const head = h('tr', {}, columns.map((c) => {
    if (!c.sortable || !opts.onSort) return h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label);
    const active = opts.sort === c.key;
    const onSort = opts.onSort;
    return h('th', { class: `${c.num ? 'num ' : ''}sortable${active ? ' active' : ''}`, scope: 'col', 'aria-sort': active ? (opts.order === 'asc' ? 'ascending' : 'descending') : 'none' },
      h('button', { type: 'button', class: 'sort', testid: `sort-${c.key}`, onclick: () => onSort(c.key) },
        c.label, h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }, active ? (opts.order === 'asc' ? '▲' : '▼') : '↕')));
  }));
  const body = h('tbody', {}, rows.map((row) => {
    const tr = h('tr', { testid: opts.rowTestid ?? null, ...(opts.rowAttrs ? opts.rowAttrs(row) : {}) }, columns.map((c) => h('td', { class: [c.num ? 'num' : '', c.class ?? ''].join(' ').trim() || null }, c.render(row))));
    if (opts.onRow) {
      const onRow = opts.onRow;
      tr.classList.add('clickable');
      tr.addEventListener('click', (e) => {
        // buttons and links in the row do their own thing
        if (e.target instanceof Element && e.target.closest('a, button, input, select')) return;
        onRow(row, e);
      });
    }
    return tr;
  }));
  const t = h('table', { class: 'table', testid: opts.testid ?? null }, h('thead', {}, head), body);
  if (rows.length === 0) return h('div', { class: 'table-wrap' }, t, empty(opts.emptyText ?? 'Nothing yet'));
  return h('div', { class: 'table-wrap' }, t);
}

/**
 * "1–50 of 312" with previous and next.
 * @param {{ total: number, limit: number, offset: number }} page
 * @param {(offset: number) => void} go
 * @param {string} [prefix] testid prefix
 */
export function pager(page, go, prefix = 'page') {
  const from = page.total === 0 ? 0 : page.offset + 1;
  const to = Math.min(page.total, page.offset + page.limit);
  return h('div', { class: 'pager', testid: `${prefix}-pager` },
    h('span', { class: 'pager-text', testid: `${prefix}-range` }, `${fmt.exact(from)}–${fmt.exact(to)} of ${fmt.exact(page.total)}`),
    h('button', { type: 'button', class: 'btn btn-small', testid: `${prefix}-prev`, disabled: page.offset <= 0, onclick: () => go(Math.max(0, page.offset - page.limit)) }, '‹ Previous'),
    h('button', { type: 'button', class: 'btn btn-small', testid: `${prefix}-next`, disabled: page.offset + page.limit >= page.total, onclick: () => go(page.offset + page.limit) }, 'Next ›'));
}

/**
 * A message shown at the top of a page when its data could not be loaded.
 * @param {unknown} error
 */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Show a short-lived message in the corner.
 * @param {string} text
 * @param {'ok' | 'error'} [tone]
 */
export function toast(text, tone = 'ok') {
  let host = document.getElementById('toasts');
  if (!host) {
    host = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' });
    document.body.append(host);
  }
  const el = h('div', { class: `toast toast-${tone}`, testid: 'toast' }, text);
  host.append(el);
  setTimeout(() => el.classList.add('leaving'), 3500);
  setTimeout(() => el.remove(), 4000);
}

/**
 * Values of an evidence object as readable rows (nested objects as JSON text).
 * @param {Record<string, unknown>} obj
 */
export function keyValues(obj) {
  return h('dl', { class: 'kv' }, Object.entries(obj).map(([k, v]) => [
    h('dt', {}, k),
    h('dd', {}, valueView(v)),
  ]));
}

/**
 * A value of evidence: numbers and text as they are, a flat object as
 * chips ("2xx × 12"), anything else as JSON text.
 * @param {unknown} v
 * @returns {import('./dom.js').Children}
 */
export function valueView(v) {
  if (typeof v === 'number') return fmt.exact(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v);
    if (entries.length > 0 && entries.every(([, x]) => typeof x === 'number' || typeof x === 'string')) {
      return entries.map(([k, x]) => h('span', { class: 'chip' }, `${k} × ${typeof x === 'number' ? fmt.exact(x) : x}`));
    }
  }
  return h('code', { class: 'json' }, JSON.stringify(v));
}
