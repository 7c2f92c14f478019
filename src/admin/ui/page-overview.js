// @ts-check
/** Overview: traffic over the last hour, the headline numbers, the top clients. */
import { get } from './api.js';
import { stacked } from './charts.js';
import { h, replace } from './dom.js';
import * as fmt from './format.js';
import { RenderGate } from './page.js';
import { CLASS_COLORS, CLASS_LABELS, DECISION_COLORS, capitalize, card, colorOf, severityBadge, table, tile, when } from './ui.js';

const CLASS_ORDER = ['documented', 'shadow', 'zombie', 'unknown', 'rejected'];
const DECISION_ORDER = ['forwarded', 'limited', 'denied', 'banned', 'blocked', 'gone', 'rejected', 'upstream_error', 'aborted'];
const DECISION_LABELS = /** @type {Record<string, string>} */ ({ upstream_error: 'Upstream error' });
/** what counts as refused by the gateway */
const REFUSALS = ['limited', 'denied', 'banned', 'blocked', 'gone', 'rejected'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

/**
 * Sixty minutes ending at `now`'s minute, empty minutes as zeros.
 * @param {import('./api.js').TrafficPoint[]} traffic
 * @param {number} now
 * @param {'byClass' | 'byDecision'} by
 */
export function hourSeries(traffic, now, by) {
  const last = Math.floor(now / 60_000) * 60_000;
  const byMinute = new Map(traffic.map((p) => [p.minute, p]));
  /** @type {import('./charts.js').Point[]} */
  const points = [];
  for (let i = 59; i >= 0; i--) {
    const minute = last - i * 60_000;
    points.push({ x: minute, values: { ...(byMinute.get(minute)?.[by] ?? {}) } });
  }
  return points;
}

/**
 * The series of a breakdown, in a preferred order, then any other keys seen.
 * @param {import('./charts.js').Point[]} points
 * @param {string[]} order
 * @param {Record<string, string>} colors
 * @param {Record<string, string>} [labels]
 * @returns {import('./charts.js').Series[]}
 */
export function seriesOf(points, order, colors, labels = {}) {
  const keys = new Set();
  for (const p of points) for (const k of Object.keys(p.values)) keys.add(k);
  const ordered = [...order.filter((k) => keys.has(k)), ...[...keys].filter((k) => !order.includes(k)).sort()];
  return ordered.map((key) => ({ key, label: labels[key] ?? capitalize(key), color: colorOf(colors, key) }));
}

/**
 * @param {import('./page.js').PageContext} ctx
 * @returns {import('./page.js').Page}
 */
export function overviewPage(ctx) {
  const tiles = h('div', { class: 'tile-rows' });
  const byClass = h('div', { class: 'chart-host', testid: 'chart-by-class' });
  const byDecision = h('div', { class: 'chart-host', testid: 'chart-by-decision' });
  const clients = h('div');
  const subtitle = h('p', { class: 'page-sub' });
  const el = h('div', { class: 'page', testid: 'page-overview' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Overview'), subtitle)),
    tiles,
    h('div', { class: 'grid-2' },
      card('Traffic by class · last hour', byClass),
      card('Traffic by decision · last hour', byDecision)),
    card('Top clients', clients, { flush: true, actions: h('a', { href: '#/clients', class: 'link', testid: 'overview-all-clients' }, 'All clients →') }));
  const gate = new RenderGate();

  return {
    el,
    wants: () => true,
    redraw: () => gate.reset(),
    async refresh(signal) {
      /** @type {import('./api.js').Overview} */
      const ov = await get('/api/v1/overview', signal);
      ctx.shellInfo({ firingAlerts: ov.alerts?.firing ?? 0, activeBans: ov.bans?.active ?? 0, mode: ov.mode });
      if (!gate.changed(ov) && byClass.childElementCount > 0) return;

      replace(subtitle, `${ov.mode === 'monitor' ? 'Monitor mode: nothing is refused, what would be is reported' : 'Enforce mode'} · up ${fmt.duration((ov.uptimeSeconds ?? 0) * 1000)} · updated `, when(ov.generatedAt));

      const req = ov.requests ?? {};
      const total = req.total ?? 0;
      const decisions = req.byDecision ?? {};
      const refused = REFUSALS.reduce((sum, k) => sum + (decisions[k] ?? 0), 0);
      const ep = ov.endpoints ?? {};
      const bySeverity = ov.alerts?.bySeverity ?? {};
      const firing = ov.alerts?.firing ?? 0;
      replace(tiles, h('div', { class: 'tiles' },
        tile({ label: 'Requests', value: fmt.count(total), sub: `${fmt.count(decisions.forwarded ?? 0)} forwarded · ${fmt.count(refused)} refused`, testid: 'tile-requests' }),
        tile({
          label: 'Firing alerts', value: fmt.count(firing), href: '#/alerts?status=firing', testid: 'tile-alerts', tone: firing > 0 ? 'red' : undefined,
          sub: SEVERITIES.some((s) => (bySeverity[s] ?? 0) > 0)
            ? h('span', { class: 'sev-list' }, SEVERITIES.filter((s) => (bySeverity[s] ?? 0) > 0).map((s) => h('span', { class: 'sev-count' }, severityBadge(s), ` ${bySeverity[s]}`)))
            : 'all quiet',
        }),
        tile({ label: 'Active bans', value: fmt.count(ov.bans?.active ?? 0), sub: `${fmt.count(ov.bans?.slowdowns ?? 0)} slowed down`, href: '#/clients', testid: 'tile-bans' })),
      h('div', { class: 'tiles' },
        tile({ label: 'Endpoints', value: fmt.count(ep.total ?? 0), sub: `${fmt.count(ep.documented ?? 0)} documented · ${fmt.count(ep.unauthenticated ?? 0)} without auth`, href: '#/inventory', testid: 'tile-endpoints' }),
        tile({ label: 'Shadow', value: fmt.count(ep.shadow ?? 0), sub: 'served, in no document', href: '#/inventory?class=shadow', testid: 'tile-shadow', tone: (ep.shadow ?? 0) > 0 ? 'amber' : undefined }),
        tile({ label: 'Zombie', value: fmt.count(ep.zombie ?? 0), sub: 'deprecated, still answering', href: '#/inventory?class=zombie', testid: 'tile-zombie', tone: (ep.zombie ?? 0) > 0 ? 'purple' : undefined }),
        tile({ label: 'Exposed', value: fmt.count(ep.exposed ?? 0), sub: 'sensitive data without auth', href: '#/inventory?flag=exposed', testid: 'tile-exposed', tone: (ep.exposed ?? 0) > 0 ? 'red' : undefined })));

      const traffic = ov.traffic ?? [];
      const now = ov.generatedAt || Date.now();
      const classPoints = hourSeries(traffic, now, 'byClass');
      replace(byClass, stacked(classPoints, seriesOf(classPoints, CLASS_ORDER, CLASS_COLORS, CLASS_LABELS), { width: byClass.clientWidth || 560, kind: 'area', testid: 'traffic-class-chart' }));
      const decisionPoints = hourSeries(traffic, now, 'byDecision');
      replace(byDecision, stacked(decisionPoints, seriesOf(decisionPoints, DECISION_ORDER, DECISION_COLORS, DECISION_LABELS), { width: byDecision.clientWidth || 560, kind: 'bar', testid: 'traffic-decision-chart' }));

      replace(clients, table([
        { key: 'ip', label: 'Address', render: (c) => h('code', {}, c.ip) },
        { key: 'requests', label: 'Requests', num: true, render: (c) => fmt.count(c.requests) },
        { key: 'misses', label: '404s', num: true, render: (c) => fmt.count(c.misses) },
        { key: 'refused', label: 'Refused', num: true, render: (c) => fmt.count(c.refused) },
        { key: 'bytesOut', label: 'Sent', num: true, render: (c) => fmt.bytes(c.bytesOut) },
        { key: 'lastSeen', label: 'Last seen', render: (c) => when(c.lastSeen) },
        { key: 'ban', label: '', render: (c) => (c.ban ? h('span', { class: `badge ${c.ban.kind === 'ban' ? 'badge-banned' : 'badge-delay'}` }, c.ban.kind === 'ban' ? 'banned' : 'slowed') : null) },
      ], ov.topClients ?? [], { rowTestid: 'overview-client-row', emptyText: 'No clients yet', rowAttrs: (c) => ({ 'data-ip': c.ip }) }));
    },
  };
}
