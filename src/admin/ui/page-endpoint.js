// @ts-check
/** One endpoint: its traffic, who calls it and how, the data it carries and what is wrong with it. */
import { ApiError, get } from './api.js';
import { STATUS_COLORS, bars, donut, stacked } from './charts.js';
import { breakable, h, replace } from './dom.js';
import * as fmt from './format.js';
import { RenderGate } from './page.js';
import { capitalize, card, empty, endpointBadges, keyValues, severityBadge, table, tile, when } from './ui.js';

const AUTH_LABELS = /** @type {Record<string, string>} */ ({
  none: 'No credential', apikey: 'API key', bearer: 'Bearer token', basic: 'Basic', cookie: 'Cookie', mtls: 'Client certificate', hmac: 'HMAC signature', other: 'Other',
});
const SEVERITY_RANK = /** @type {Record<string, number>} */ ({ critical: 0, high: 1, medium: 2, low: 3, info: 4 });

/**
 * @param {{ minute: number, count: number, errors: number }[]} traffic
 * @param {number} now
 */
function minuteSeries(traffic, now) {
  const last = Math.floor(now / 60_000) * 60_000;
  const byMinute = new Map(traffic.map((p) => [p.minute, p]));
  /** @type {import('./charts.js').Point[]} */
  const points = [];
  for (let i = 59; i >= 0; i--) {
    const minute = last - i * 60_000;
    const p = byMinute.get(minute);
    points.push({ x: minute, values: { ok: Math.max(0, (p?.count ?? 0) - (p?.errors ?? 0)), errors: p?.errors ?? 0 } });
  }
  return points;
}

/**
 * A finding's evidence: known parts as tables, the rest as key/values.
 * @param {Record<string, unknown>} evidence
 */
function evidenceView(evidence) {
  /** @type {HTMLElement[]} */
  const parts = [];
  /** @type {Record<string, unknown>} */
  const rest = {};
  for (const [k, v] of Object.entries(evidence)) {
    if (Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
      const rows = /** @type {Record<string, unknown>[]} */ (v);
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 6);
      parts.push(h('div', { class: 'evidence-block' }, h('h4', {}, k),
        table(keys.map((key) => ({ key, label: key, render: (/** @type {Record<string, unknown>} */ r) => cell(r[key]) })), rows.slice(0, 10))));
    } else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
      parts.push(h('div', { class: 'evidence-block' }, h('h4', {}, k), h('ul', { class: 'chips' }, v.map((x) => h('li', { class: 'chip' }, String(x))))));
    } else {
      rest[k] = v;
    }
  }
  if (Object.keys(rest).length > 0) parts.unshift(keyValues(rest));
  return parts;
}

/** @param {unknown} v */
function cell(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return v > 1e12 && v < 1e13 ? fmt.time(v) : fmt.exact(v);
  if (typeof v === 'string') return v;
  return h('code', { class: 'json' }, JSON.stringify(v));
}

/**
 * @param {import('./page.js').PageContext} ctx
 * @returns {import('./page.js').Page}
 */
export function endpointPage(ctx) {
  const id = ctx.arg;
  const content = h('div', { class: 'page-content' }, h('div', { class: 'loading' }, 'Loading…'));
  const el = h('div', { class: 'page', testid: 'page-endpoint' },
    h('a', { href: '#/inventory', class: 'back link', testid: 'back-to-inventory' }, '← Inventory'),
    content);
  const gate = new RenderGate();

  return {
    el,
    wants: (type) => type === 'traffic',
    redraw: () => gate.reset(),
    async refresh(signal) {
      /** @type {import('./api.js').EndpointDetail} */
      let detail;
      try {
        detail = await get(`/api/v1/inventory/${encodeURIComponent(id)}`, signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          replace(content, h('div', { class: 'notice', testid: 'endpoint-missing' }, 'No such endpoint: it may have been forgotten since, or the link is wrong.'));
          return;
        }
        throw error;
      }
      if (!gate.changed(detail)) return;
      render(detail);
    },
  };

  /** @param {import('./api.js').EndpointDetail} detail */
  function render(detail) {
    const ep = detail.endpoint;
    const dataClasses = Array.isArray(ep.dataClasses) ? Object.fromEntries(ep.dataClasses.map((c) => [c, null])) : (ep.dataClasses ?? {});
    const findings = [...(detail.findings ?? [])].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9));
    const exposed = ep.exposed ?? findings.some((f) => f.kind === 'exposure');
    const unauthenticated = ep.unauthenticated ?? (ep.unauthenticatedSuccess ?? 0) > 0;
    const statuses = ep.statuses ?? {};
    const errors = Object.entries(statuses).filter(([k]) => k === '5xx' || k === '0').reduce((s, [, v]) => s + v, 0);
    const total = Object.values(statuses).reduce((s, v) => s + v, 0);

    const trafficHost = h('div', { class: 'chart-host', testid: 'endpoint-traffic' });
    const head = h('div', { class: 'page-head' },
      h('div', {},
        h('h1', { class: 'endpoint-title', testid: 'endpoint-title' }, h('span', { class: `method method-${ep.method.toLowerCase()}` }, ep.method), ' ', h('span', { class: 'template' }, breakable(ep.template))),
        h('p', { class: 'page-sub' },
          ep.host ? ['Host ', h('code', {}, ep.host), ' · '] : null,
          ep.operationId ? ['Operation ', h('code', {}, ep.operationId)] : 'In no document',
          ep.learned ? ` · template learned from ${fmt.count(ep.learned.count)} requests (${Math.round(ep.learned.confidence * 100)} % sure)` : null)),
      endpointBadges({ class: ep.class, exposed, unauthenticated, dataClasses: Object.keys(dataClasses) }));

    const tiles = h('div', { class: 'tiles' },
      tile({ label: 'Requests', value: fmt.count(ep.count), sub: `${fmt.count(ep.sampled ?? 0)} bodies sampled`, testid: 'endpoint-requests' }),
      tile({ label: 'Clients', value: fmt.count(ep.clients), sub: 'distinct addresses', testid: 'endpoint-clients' }),
      tile({ label: 'Latency p95', value: fmt.millis(ep.latency?.p95Ms ?? null), sub: ep.latency && ep.latency.count > 0 ? `mean ${fmt.millis(ep.latency.sumMs / ep.latency.count)} · max ${fmt.millis(ep.latency.maxMs)}` : null }),
      tile({ label: 'Server errors', value: fmt.percent(errors, total), sub: `${fmt.count(errors)} of ${fmt.count(total)}`, tone: errors > 0 ? 'red' : undefined }),
      tile({ label: 'First seen', value: ep.firstSeen ? fmt.ago(ep.firstSeen) : 'never', sub: fmt.time(ep.firstSeen), small: true }),
      tile({ label: 'Last seen', value: ep.lastSeen ? fmt.ago(ep.lastSeen) : 'never', sub: fmt.time(ep.lastSeen), small: true }));

    const findingList = findings.length === 0
      ? empty('Nothing wrong found: what is served matches the documents.')
      : h('ol', { class: 'findings' }, findings.map((f) => h('li', { class: `finding finding-${f.severity}`, testid: 'finding', 'data-kind': f.kind },
        h('div', { class: 'finding-head' }, severityBadge(f.severity), h('span', { class: 'finding-kind' }, f.kind), h('strong', { class: 'finding-title' }, f.title ?? capitalize(f.kind))),
        f.detail ? h('p', { class: 'finding-detail' }, f.detail) : null,
        f.evidence && Object.keys(f.evidence).length > 0 ? h('details', { class: 'evidence', open: f.severity === 'critical' || f.severity === 'high' }, h('summary', {}, 'Evidence'), evidenceView(f.evidence)) : null,
        f.firstSeen || f.lastSeen ? h('p', { class: 'muted small' }, 'Seen ', when(f.firstSeen), ' – ', when(f.lastSeen)) : null)));

    const statusParts = Object.entries(statuses).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ({ label: k === '0' ? 'no answer' : k, value: v, color: STATUS_COLORS[k] ?? '#94a3b8' }));
    const auth = Object.entries(ep.auth ?? {}).sort(([, a], [, b]) => b - a).map(([k, v]) => ({ label: AUTH_LABELS[k] ?? k, value: v, color: k === 'none' ? '#ef4444' : '#3b82f6' }));

    const dataRows = Object.entries(dataClasses).map(([name, seen]) => ({ name, seen }));
    const dataView = dataRows.length === 0
      ? empty('No sensitive data seen in sampled bodies, paths or queries.')
      : table([
        { key: 'name', label: 'Data', render: (r) => h('span', { class: 'badge badge-sensitive' }, r.name) },
        { key: 'request', label: 'In requests', num: true, render: (r) => fmt.count(r.seen?.request ?? 0) },
        { key: 'response', label: 'In answers', num: true, render: (r) => fmt.count(r.seen?.response ?? 0) },
        { key: 'unauth', label: 'Without auth', num: true, render: (r) => {
          const n = (r.seen?.unauthenticatedResponse ?? 0) + (r.seen?.unauthenticatedLookup ?? 0);
          return h('span', { class: n > 0 ? 'danger' : null }, fmt.count(n));
        } },
        { key: 'where', label: 'Where', render: (r) => (r.seen?.paths ?? []).map((p) => h('code', { class: 'chip' }, p)) },
        { key: 'examples', label: 'Examples (masked)', render: (r) => (r.seen?.examples ?? []).map((x) => h('code', { class: 'chip masked' }, x)) },
      ], dataRows, { rowTestid: 'data-class-row' });

    const queryRows = Object.entries(ep.query ?? {}).map(([name, types]) => ({ name, types }));
    const queryView = queryRows.length === 0 ? empty('No query parameters seen.') : table([
      { key: 'name', label: 'Parameter', render: (r) => h('code', {}, r.name) },
      { key: 'types', label: 'Values seen', render: (r) => Object.entries(r.types).map(([t, n]) => h('span', { class: 'chip' }, `${t} × ${fmt.count(n)}`)) },
    ], queryRows, { rowTestid: 'query-row' });

    const params = ep.learned?.params ?? [];
    const paramView = params.length === 0 ? null : card('Path parameters (learned)', table([
      { key: 'name', label: 'Parameter', render: (p) => h('code', {}, `{${p.name}}`) },
      { key: 'distinct', label: 'Distinct values', num: true, render: (p) => fmt.count(p.distinct) },
      { key: 'shapes', label: 'Shapes', render: (p) => Object.entries(p.shapes ?? {}).map(([t, n]) => h('span', { class: 'chip' }, `${t} × ${fmt.count(n)}`)) },
      { key: 'examples', label: 'Examples', render: (p) => (p.examples ?? []).map((x) => h('code', { class: 'chip' }, x)) },
    ], params), { flush: true });

    const contentTypes = [...Object.entries(ep.requestContentTypes ?? {}).map(([t, n]) => ({ dir: 'request', t, n })), ...Object.entries(ep.responseContentTypes ?? {}).map(([t, n]) => ({ dir: 'answer', t, n }))];

    const clients = detail.topClients ?? [];
    replace(content,
      head,
      tiles,
      card(`Findings (${findings.length})`, findingList, { testid: 'findings', class: findings.length > 0 ? 'card-alert' : '' }),
      h('div', { class: 'grid-2-1' },
        card('Requests per minute · last hour', trafficHost),
        card('Status mix', statusParts.length > 0 ? donut(statusParts, { sub: 'requests', testid: 'status-mix' }) : empty('No answers yet'))),
      card('Sensitive data', dataView, { testid: 'data-classes', flush: dataRows.length > 0 }),
      h('div', { class: 'grid-3' },
        card('Authentication seen', auth.length > 0 ? bars(auth, { testid: 'auth-seen' }) : empty('No requests yet')),
        card('Query parameters', queryView, { testid: 'query-params', flush: queryRows.length > 0 }),
        card('Content types', contentTypes.length === 0 ? empty('No bodies seen.') : table([
          { key: 'dir', label: 'In', render: (r) => r.dir },
          { key: 't', label: 'Type', render: (r) => h('code', {}, r.t) },
          { key: 'n', label: 'Count', num: true, render: (r) => fmt.count(r.n) },
        ], contentTypes), { flush: contentTypes.length > 0 })),
      paramView,
      clients.length > 0 ? card('Top clients', table([
        { key: 'ip', label: 'Address', render: (c) => h('code', {}, c.ip) },
        { key: 'requests', label: 'Requests', num: true, render: (c) => fmt.count(c.requests) },
        { key: 'misses', label: '404s', num: true, render: (c) => fmt.count(c.misses) },
        { key: 'lastSeen', label: 'Last seen', render: (c) => when(c.lastSeen) },
      ], clients), { flush: true }) : null);
    // the chart measures its card once it is in the page
    replace(trafficHost, stacked(minuteSeries(detail.traffic ?? [], Date.now()), [
      { key: 'ok', label: 'Answered', color: '#3b82f6' },
      { key: 'errors', label: 'Errors', color: '#ef4444' },
    ], { width: trafficHost.clientWidth || 640, kind: 'bar', testid: 'endpoint-traffic-chart', empty: 'No requests in the last hour' }));
  }
}
