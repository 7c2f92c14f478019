// @ts-check
/** Inventory: every endpoint seen or documented, searchable, filterable, sortable. */
import { get, query } from './api.js';
import { statusBar } from './charts.js';
import { breakable, h, replace } from './dom.js';
import * as fmt from './format.js';
import { RenderGate } from './page.js';
import { endpointBadges, pager, table, when } from './ui.js';

const PAGE_SIZE = 50;
const CLASSES = ['documented', 'shadow', 'zombie'];
const FLAGS = /** @type {Record<string, string>} */ ({ exposed: 'Exposed', unauthenticated: 'No auth', sensitive: 'Sensitive data' });
const SORTS = ['count', 'lastSeen', 'firstSeen', 'template', 'clients', 'p95'];

/**
 * @typedef {{ q: string, class: string, flag: string, sort: string, order: 'asc' | 'desc', offset: number }} InventoryState
 */

/**
 * @param {URLSearchParams} p
 * @returns {InventoryState}
 */
function stateOf(p) {
  const cls = p.get('class') ?? '';
  const flag = p.get('flag') ?? '';
  const sort = p.get('sort') ?? 'count';
  return {
    q: p.get('q') ?? '',
    class: CLASSES.includes(cls) ? cls : '',
    flag: flag in FLAGS ? flag : '',
    sort: SORTS.includes(sort) ? sort : 'count',
    order: p.get('order') === 'asc' ? 'asc' : 'desc',
    offset: Math.max(0, Number(p.get('offset')) || 0),
  };
}

/** @param {InventoryState} st */
function paramsOf(st) {
  const p = new URLSearchParams();
  if (st.q) p.set('q', st.q);
  if (st.class) p.set('class', st.class);
  if (st.flag) p.set('flag', st.flag);
  if (st.sort !== 'count') p.set('sort', st.sort);
  if (st.order !== 'desc') p.set('order', st.order);
  if (st.offset) p.set('offset', String(st.offset));
  return p;
}

/**
 * @param {import('./page.js').PageContext} ctx
 * @returns {import('./page.js').Page}
 */
export function inventoryPage(ctx) {
  let st = stateOf(ctx.params);
  const gate = new RenderGate();

  const search = h('input', { type: 'search', class: 'search', placeholder: 'Search path, method or operation…', testid: 'inventory-search', 'aria-label': 'Search endpoints', value: st.q });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typing;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => change({ q: search.value.trim(), offset: 0 }), 250);
  });

  const classButtons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Class' });
  const flagButtons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Flag' });
  const summary = h('span', { class: 'muted', testid: 'inventory-total' });
  const body = h('div', { class: 'card-body flush', testid: 'inventory-results' });
  const footer = h('div', { class: 'card-foot' });

  const el = h('div', { class: 'page', testid: 'page-inventory' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Inventory'), h('p', { class: 'page-sub' }, 'Every endpoint the gateway has seen, held against the documents.')), summary),
    h('div', { class: 'toolbar' }, search, classButtons, flagButtons),
    h('section', { class: 'card' }, body, footer));

  function renderFilters() {
    replace(classButtons, ['', ...CLASSES].map((c) => h('button', {
      type: 'button', class: `seg${st.class === c ? ' active' : ''}${c ? ` seg-${c}` : ''}`, testid: `filter-class-${c || 'all'}`, 'aria-pressed': String(st.class === c),
      onclick: () => change({ class: c, offset: 0 }),
    }, c ? c[0]?.toUpperCase() + c.slice(1) : 'All classes')));
    replace(flagButtons, Object.entries(FLAGS).map(([f, label]) => h('button', {
      type: 'button', class: `seg${st.flag === f ? ' active' : ''} seg-flag-${f}`, testid: `filter-flag-${f}`, 'aria-pressed': String(st.flag === f),
      onclick: () => change({ flag: st.flag === f ? '' : f, offset: 0 }),
    }, label)));
    if (search.value.trim() !== st.q && document.activeElement !== search) search.value = st.q;
  }

  /** @param {Partial<InventoryState>} patch */
  function change(patch) {
    st = { ...st, ...patch };
    ctx.replaceParams(paramsOf(st));
    renderFilters();
    body.setAttribute('aria-busy', 'true');
    gate.reset();
    ctx.refreshSoon();
  }

  /** @param {string} key */
  function sortBy(key) {
    if (st.sort === key) change({ order: st.order === 'desc' ? 'asc' : 'desc', offset: 0 });
    else change({ sort: key, order: key === 'template' ? 'asc' : 'desc', offset: 0 });
  }

  renderFilters();

  return {
    el,
    wants: (type) => type === 'traffic',
    update(params) {
      st = stateOf(params);
      search.value = st.q;
      renderFilters();
      gate.reset();
    },
    async refresh(signal) {
      const asked = st;
      /** @type {import('./api.js').Page<import('./api.js').EndpointSummary>} */
      const page = await get(`/api/v1/inventory${query({ q: asked.q, class: asked.class, flag: asked.flag, sort: asked.sort, order: asked.order, limit: PAGE_SIZE, offset: asked.offset })}`, signal);
      if (asked !== st) return; // the filters changed meanwhile; another refresh follows
      body.removeAttribute('aria-busy');
      if (!gate.changed(page) && body.childElementCount > 0) return;
      replace(summary, `${fmt.exact(page.total)} endpoint${page.total === 1 ? '' : 's'}`);
      replace(body, table([
        {
          key: 'template', label: 'Endpoint', sortable: true, class: 'endpoint-cell',
          render: (e) => h('div', { class: 'endpoint-cell-inner' },
            h('span', { class: `method method-${e.method.toLowerCase()}` }, e.method),
            h('div', {},
              h('a', { href: `#/endpoint/${encodeURIComponent(e.id)}`, class: 'endpoint-link', testid: 'endpoint-link' }, breakable(e.template)),
              e.host || e.operationId ? h('div', { class: 'op' }, [e.operationId, e.host ? `on ${e.host}` : null].filter(Boolean).join(' · ')) : null)),
        },
        { key: 'class', label: 'Badges', class: 'badges-cell', render: (e) => endpointBadges(e) },
        { key: 'count', label: 'Requests', num: true, sortable: true, render: (e) => h('span', { title: fmt.exact(e.count) }, fmt.count(e.count)) },
        { key: 'status', label: 'Status mix', render: (e) => statusBar(e.statuses) },
        { key: 'clients', label: 'Clients', num: true, sortable: true, render: (e) => fmt.count(e.clients) },
        { key: 'p95', label: 'p95', num: true, sortable: true, render: (e) => fmt.millis(e.p95Ms) },
        { key: 'lastSeen', label: 'Last seen', sortable: true, render: (e) => (e.count > 0 ? when(e.lastSeen) : h('span', { class: 'muted' }, 'never')) },
      ], page.items, {
        rowTestid: 'inventory-row',
        rowAttrs: (e) => ({ 'data-id': e.id, 'data-class': e.class, 'data-template': e.template, 'data-method': e.method }),
        onRow: (e) => {
          location.hash = `#/endpoint/${encodeURIComponent(e.id)}`;
        },
        sort: asked.sort,
        order: asked.order,
        onSort: sortBy,
        emptyText: asked.q || asked.class || asked.flag ? 'No endpoint matches these filters' : 'No endpoints yet: send traffic through the gateway',
        testid: 'inventory-table',
      }));
      replace(footer, pager(page, (offset) => change({ offset }), 'inventory'));
    },
  };
}
