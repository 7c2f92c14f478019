// @ts-check
/** Alerts: a timeline, newest first, with the evidence, to acknowledge or resolve. */
import { api, get, query } from './api.js';
import { h, replace } from './dom.js';
import * as fmt from './format.js';
import { RenderGate } from './page.js';
import { empty, errorText, pager, severityBadge, table, toast, when } from './ui.js';

const PAGE_SIZE = 50;
const FILTERS = /** @type {Record<string, string>} */ ({ '': 'All', firing: 'Firing', resolved: 'Resolved' });

/**
 * @param {import('./page.js').PageContext} ctx
 * @returns {import('./page.js').Page}
 */
export function alertsPage(ctx) {
  let status = ctx.params.get('status') ?? '';
  if (!(status in FILTERS)) status = '';
  let offset = 0;
  const gate = new RenderGate();
  const filters = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Status' });
  const list = h('div', { class: 'timeline-host' });
  const footer = h('div', { class: 'card-foot plain' });
  const summary = h('span', { class: 'muted', testid: 'alerts-total' });
  const el = h('div', { class: 'page', testid: 'page-alerts' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Alerts'), h('p', { class: 'page-sub' }, 'What detection and discovery raised, newest first.')), summary),
    h('div', { class: 'toolbar' }, filters),
    list, footer);

  function renderFilters() {
    replace(filters, Object.entries(FILTERS).map(([k, label]) => h('button', {
      type: 'button', class: `seg${status === k ? ' active' : ''}`, testid: `alerts-filter-${k || 'all'}`, 'aria-pressed': String(status === k),
      onclick: () => {
        status = k;
        offset = 0;
        const p = new URLSearchParams();
        if (k) p.set('status', k);
        ctx.replaceParams(p);
        renderFilters();
        gate.reset();
        ctx.refreshSoon();
      },
    }, label)));
  }
  renderFilters();

  /**
   * @param {HTMLButtonElement} button
   * @param {import('./api.js').Alert} alert
   * @param {'acknowledge' | 'resolve'} action
   */
  async function act(button, alert, action) {
    button.disabled = true;
    try {
      await api(`/api/v1/alerts/${encodeURIComponent(alert.fingerprint)}/${action}`, { method: 'POST' });
      toast(action === 'acknowledge' ? `Acknowledged: ${alert.summary}` : `Resolved: ${alert.summary}`);
      gate.reset();
      ctx.refreshSoon();
    } catch (error) {
      button.disabled = false;
      toast(`Could not ${action}: ${errorText(error)}`, 'error');
    }
  }

  /** @param {import('./api.js').Alert} a */
  function alertItem(a) {
    const firing = a.status === 'firing';
    const ev = a.evidence ?? {};
    const identities = ev.topIdentities ?? [];
    const examples = ev.exampleRequests ?? [];
    const counts = Object.entries(ev.counts ?? {});
    const labels = Object.entries(a.labels ?? {}).filter(([k]) => k !== 'rule');
    const ackButton = h('button', { type: 'button', class: 'btn', testid: 'ack-button' }, 'Acknowledge');
    ackButton.addEventListener('click', () => void act(ackButton, a, 'acknowledge'));
    const resolveButton = h('button', { type: 'button', class: 'btn btn-primary', testid: 'resolve-button' }, 'Resolve');
    resolveButton.addEventListener('click', () => void act(resolveButton, a, 'resolve'));
    return h('li', { class: `alert-item ${firing ? 'firing' : 'resolved'} sev-edge-${a.severity}${a.acknowledgedAt ? ' acked' : ''}`, testid: 'alert-row', 'data-fingerprint': a.fingerprint, 'data-status': a.status, 'data-rule': a.rule, 'data-acknowledged': String(Boolean(a.acknowledgedAt)) },
      h('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
      h('div', { class: 'alert-card' },
        h('div', { class: 'alert-head' },
          severityBadge(a.severity),
          h('span', { class: `badge ${firing ? 'badge-firing' : 'badge-resolved'}`, testid: 'alert-status' }, firing ? 'firing' : 'resolved'),
          a.acknowledgedAt ? h('span', { class: 'badge badge-acked', testid: 'alert-acknowledged', title: fmt.fullTime(a.acknowledgedAt) }, `acknowledged${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}`) : null,
          h('span', { class: 'alert-rule' }, a.rule),
          h('span', { class: 'spacer' }),
          h('span', { class: 'alert-count', title: 'signals received' }, `× ${fmt.count(a.count)}`)),
        h('p', { class: 'alert-summary', testid: 'alert-summary' }, a.summary),
        h('p', { class: 'alert-times muted' },
          'Started ', when(a.startsAt), ' · last seen ', when(a.lastSeenAt),
          a.endsAt ? [' · resolved ', when(a.endsAt), a.resolvedBy ? ` by ${a.resolvedBy}` : ' (quiet)'] : null),
        labels.length > 0 ? h('ul', { class: 'chips' }, labels.map(([k, v]) => h('li', { class: 'chip' }, h('span', { class: 'chip-key' }, k), ` ${v}`))) : null,
        identities.length > 0 || counts.length > 0 || examples.length > 0 ? h('details', { class: 'evidence', open: firing && !a.acknowledgedAt }, h('summary', {}, 'Evidence'),
          h('div', { class: 'evidence-grid' },
            counts.length > 0 ? h('div', { class: 'evidence-block' }, h('h4', {}, 'Counts'), h('ul', { class: 'counts' }, counts.map(([k, v]) => h('li', {}, h('strong', {}, fmt.count(v)), ` ${k}`)))) : null,
            identities.length > 0 ? h('div', { class: 'evidence-block' }, h('h4', {}, 'Top identities'), table([
              { key: 'kind', label: 'Kind', render: (i) => i.kind },
              { key: 'value', label: 'Identity', render: (i) => h('code', {}, i.value) },
              { key: 'count', label: 'Requests', num: true, render: (i) => fmt.count(i.count) },
            ], identities)) : null),
          examples.length > 0 ? h('div', { class: 'evidence-block' }, h('h4', {}, 'Example requests'), table([
            { key: 'time', label: 'Time', render: (r) => fmt.time(r.time) },
            { key: 'client', label: 'Client', render: (r) => h('code', {}, r.clientIp) },
            { key: 'request', label: 'Request', render: (r) => h('code', { class: 'target' }, `${r.method} ${r.target}`) },
            { key: 'status', label: 'Status', num: true, render: (r) => h('span', { class: `status status-${String(r.status)[0]}xx` }, String(r.status)) },
          ], examples)) : null) : null,
        h('div', { class: 'alert-actions' },
          firing && !a.acknowledgedAt ? ackButton : null,
          firing ? resolveButton : null)));
  }

  return {
    el,
    wants: (type) => type === 'alert',
    update(params) {
      const next = params.get('status') ?? '';
      status = next in FILTERS ? next : '';
      offset = 0;
      renderFilters();
      gate.reset();
    },
    async refresh(signal) {
      const asked = `${status}|${offset}`;
      /** @type {import('./api.js').Page<import('./api.js').Alert>} */
      const page = await get(`/api/v1/alerts${query({ status, limit: PAGE_SIZE, offset })}`, signal);
      if (asked !== `${status}|${offset}`) return;
      const firing = page.items.filter((a) => a.status === 'firing').length;
      ctx.shellInfo(status === '' && offset === 0 && page.total <= PAGE_SIZE ? { firingAlerts: firing } : {});
      if (!gate.changed(page) && list.childElementCount > 0) return;
      replace(summary, `${fmt.exact(page.total)} alert${page.total === 1 ? '' : 's'}`);
      replace(list, page.items.length === 0
        ? h('section', { class: 'card' }, empty(status === 'firing' ? 'No alert is firing.' : 'No alerts yet.'))
        : h('ol', { class: 'timeline', testid: 'alerts-timeline' }, page.items.map(alertItem)));
      replace(footer, page.total > PAGE_SIZE ? pager(page, (o) => {
        offset = o;
        gate.reset();
        ctx.refreshSoon();
      }, 'alerts') : null);
    },
  };
}
