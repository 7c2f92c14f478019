// @ts-check
/** Clients & bans: who talks to the API most, who is banned or slowed, and what detection decided. */
import { api, get, query } from './api.js';
import { h, replace } from './dom.js';
import * as fmt from './format.js';
import { RenderGate } from './page.js';
import { errorText, pager, table, toast, when } from './ui.js';

const SORTS = /** @type {Record<string, string>} */ ({ requests: 'Requests', misses: '404s', bytesOut: 'Bytes sent', refused: 'Refused' });
const DURATIONS = /** @type {[string, string][]} */ ([['10m', '10 minutes'], ['1h', '1 hour'], ['1d', '1 day']]);
const PAGE_SIZE = 20;

/**
 * @param {import('./api.js').Ban} ban
 */
function banText(ban) {
  if (ban.kind === 'delay') return `slowed ${ban.delayMs ? `by ${fmt.millis(ban.delayMs)}` : ''} until ${fmt.time(ban.until)}`;
  return `banned until ${fmt.time(ban.until)}`;
}

/**
 * @param {import('./page.js').PageContext} ctx
 * @returns {import('./page.js').Page}
 */
export function clientsPage(ctx) {
  let sort = ctx.params.get('sort') ?? 'requests';
  if (!(sort in SORTS)) sort = 'requests';
  let offset = 0;
  const gate = new RenderGate();

  const sortButtons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Sort clients by' });
  const clientsBody = h('div', { class: 'card-body flush' });
  const clientsFoot = h('div', { class: 'card-foot' });
  const bansBody = h('div', { class: 'card-body flush' });
  const decisionsBody = h('div', { class: 'card-body flush' });
  const summary = h('span', { class: 'muted', testid: 'clients-total' });

  // the ban form: a dialog outside the refreshed tables, so live updates leave it alone
  const keyInput = h('input', { type: 'text', class: 'input', testid: 'ban-key', required: true, spellcheck: 'false', 'aria-label': 'What to ban' });
  const durationSelect = h('select', { class: 'input', testid: 'ban-duration', 'aria-label': 'Duration' }, DURATIONS.map(([v, label]) => h('option', { value: v }, label)));
  durationSelect.value = '1h';
  const reasonInput = h('input', { type: 'text', class: 'input', testid: 'ban-reason', maxlength: 200, placeholder: 'Why (shown in the bans list)', 'aria-label': 'Reason' });
  const formError = h('p', { class: 'form-error', testid: 'ban-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-danger', testid: 'ban-submit' }, 'Ban');
  const dialogTitle = h('h2', {}, 'Ban');
  const form = h('form', { class: 'dialog-form', method: 'dialog' },
    dialogTitle,
    h('label', { class: 'field' }, h('span', {}, 'Key'), keyInput, h('small', { class: 'muted' }, 'ip:203.0.113.7, subnet:203.0.113.0/24, principal:<id>, apikey:<id>')),
    h('label', { class: 'field' }, h('span', {}, 'Duration'), durationSelect),
    h('label', { class: 'field' }, h('span', {}, 'Reason'), reasonInput),
    formError,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', testid: 'ban-cancel', onclick: () => dialog.close() }, 'Cancel'),
      submit));
  const dialog = h('dialog', { class: 'dialog', testid: 'ban-dialog' }, form);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void doBan();
  });

  /** @param {string} key @param {boolean} editable */
  function openBan(key, editable) {
    keyInput.value = key;
    keyInput.readOnly = !editable;
    reasonInput.value = '';
    durationSelect.value = '1h';
    formError.textContent = '';
    submit.disabled = false;
    dialogTitle.textContent = editable ? 'Ban a client' : `Ban ${key.replace(/^ip:/, '')}`;
    dialog.showModal();
    (editable ? keyInput : reasonInput).focus();
  }

  async function doBan() {
    const key = keyInput.value.trim();
    if (!/^(ip|subnet|principal|apikey|fingerprint):.+/.test(key)) {
      formError.textContent = 'The key starts with ip:, subnet:, principal:, apikey: or fingerprint:';
      return;
    }
    submit.disabled = true;
    formError.textContent = '';
    /** @type {{ key: string, duration: string, reason?: string }} */
    const body = { key, duration: durationSelect.value };
    const reason = reasonInput.value.trim();
    if (reason) body.reason = reason;
    try {
      await api('/api/v1/bans', { method: 'POST', body });
      dialog.close();
      toast(`Banned ${key} for ${DURATIONS.find(([v]) => v === body.duration)?.[1] ?? body.duration}`);
      gate.reset();
      ctx.refreshSoon();
    } catch (error) {
      submit.disabled = false;
      formError.textContent = errorText(error);
    }
  }

  /**
   * @param {HTMLButtonElement} button
   * @param {string} key
   */
  async function unban(button, key) {
    button.disabled = true;
    try {
      await api(`/api/v1/bans/${encodeURIComponent(key)}`, { method: 'DELETE' });
      toast(`Lifted the ban on ${key}`);
      gate.reset();
      ctx.refreshSoon();
    } catch (error) {
      button.disabled = false;
      toast(`Could not lift the ban: ${errorText(error)}`, 'error');
    }
  }

  /** @param {string} key */
  function unbanButton(key) {
    const b = h('button', { type: 'button', class: 'btn btn-small', testid: 'unban-button', 'data-key': key }, 'Unban');
    b.addEventListener('click', () => void unban(b, key));
    return b;
  }

  const el = h('div', { class: 'page', testid: 'page-clients' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Clients & bans'), h('p', { class: 'page-sub' }, 'Top talkers, who is banned or slowed down, and why.')), summary),
    h('section', { class: 'card' },
      h('header', { class: 'card-head' }, h('h2', {}, 'Top clients'), h('div', { class: 'card-actions' }, h('span', { class: 'muted small' }, 'Sort by'), sortButtons)),
      clientsBody, clientsFoot),
    h('section', { class: 'card', testid: 'bans' },
      h('header', { class: 'card-head' }, h('h2', {}, 'Active bans and slowdowns'),
        h('div', { class: 'card-actions' }, h('button', { type: 'button', class: 'btn btn-small', testid: 'ban-custom-button', onclick: () => openBan('ip:', true) }, '+ Ban a key'))),
      bansBody),
    h('section', { class: 'card', testid: 'decisions' }, h('header', { class: 'card-head' }, h('h2', {}, 'Recent detection decisions')), decisionsBody),
    dialog);

  function renderSorts() {
    replace(sortButtons, Object.entries(SORTS).map(([k, label]) => h('button', {
      type: 'button', class: `seg${sort === k ? ' active' : ''}`, testid: `clients-sort-${k}`, 'aria-pressed': String(sort === k),
      onclick: () => {
        sort = k;
        offset = 0;
        const p = new URLSearchParams();
        if (k !== 'requests') p.set('sort', k);
        ctx.replaceParams(p);
        renderSorts();
        gate.reset();
        ctx.refreshSoon();
      },
    }, label)));
  }
  renderSorts();

  return {
    el,
    wants: (type) => type === 'ban' || type === 'decision' || type === 'traffic',
    update(params) {
      const next = params.get('sort') ?? 'requests';
      sort = next in SORTS ? next : 'requests';
      renderSorts();
      gate.reset();
    },
    destroy() {
      if (dialog.open) dialog.close();
    },
    async refresh(signal) {
      const asked = `${sort}|${offset}`;
      /** @type {[import('./api.js').Page<import('./api.js').Client>, import('./api.js').Page<import('./api.js').Ban>, import('./api.js').Page<import('./api.js').Decision>]} */
      const [clients, bans, decisions] = await Promise.all([
        get(`/api/v1/clients${query({ sort, limit: PAGE_SIZE, offset })}`, signal),
        get('/api/v1/bans?limit=100', signal),
        get('/api/v1/decisions?limit=25', signal),
      ]);
      if (asked !== `${sort}|${offset}`) return;
      ctx.shellInfo({ activeBans: bans.items.filter((b) => b.kind === 'ban').length });
      if (!gate.changed([clients, bans, decisions]) && clientsBody.childElementCount > 0) return;
      replace(summary, `${fmt.exact(clients.total)} client${clients.total === 1 ? '' : 's'} · ${fmt.exact(bans.total)} active ban${bans.total === 1 ? '' : 's'}`);
      const banned = new Map(bans.items.map((b) => [b.key, b]));

      replace(clientsBody, table([
        { key: 'ip', label: 'Address', render: (c) => h('code', { class: 'ip' }, c.ip) },
        { key: 'requests', label: 'Requests', num: true, render: (c) => h('span', { title: fmt.exact(c.requests) }, fmt.count(c.requests)) },
        { key: 'misses', label: '404s', num: true, render: (c) => h('span', { class: c.requests > 10 && c.misses / c.requests > 0.5 ? 'danger' : null }, fmt.count(c.misses)) },
        { key: 'bytesOut', label: 'Sent', num: true, render: (c) => fmt.bytes(c.bytesOut) },
        { key: 'refused', label: 'Refused', num: true, render: (c) => h('span', { title: c.delayed ? `${fmt.exact(c.delayed)} delayed` : null }, fmt.count(c.refused)) },
        { key: 'lastSeen', label: 'Last seen', class: 'nowrap', render: (c) => when(c.lastSeen) },
        {
          key: 'state', label: 'State', render: (c) => {
            const ban = c.ban ?? banned.get(`ip:${c.ip}`) ?? null;
            if (!ban) {
              return c.lastDecision
                ? h('span', { class: 'muted small', title: 'the last decision about this address' }, 'last: ', h('span', { class: `badge decision-badge decision-${c.lastDecision}` }, c.lastDecision))
                : h('span', { class: 'muted' }, 'served');
            }
            return h('span', { class: 'ban-state', testid: 'client-ban-state' },
              h('span', {},
                h('span', { class: `badge ${ban.kind === 'ban' ? 'badge-banned' : 'badge-delay'}` }, ban.kind === 'ban' ? 'BANNED' : 'SLOWED'),
                h('span', { class: 'small' }, ` ${banText(ban).replace(/^(banned|slowed) /, '')}`)),
              ban.reason ? h('span', { class: 'muted small reason', title: ban.reason }, ban.reason) : null);
          },
        },
        {
          key: 'actions', label: '', render: (c) => {
            const ban = c.ban ?? banned.get(`ip:${c.ip}`) ?? null;
            return h('span', { class: 'row-actions' },
              ban ? unbanButton(ban.key) : null,
              !ban || ban.kind !== 'ban' ? h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', testid: 'ban-button', 'data-ip': c.ip, onclick: () => openBan(`ip:${c.ip}`, false) }, 'Ban') : null);
          },
        },
      ], clients.items, { rowTestid: 'client-row', rowAttrs: (c) => ({ 'data-ip': c.ip, 'data-banned': String(Boolean(c.ban ?? banned.get(`ip:${c.ip}`))) }), emptyText: 'No clients yet' }));
      replace(clientsFoot, pager(clients, (o) => {
        offset = o;
        gate.reset();
        ctx.refreshSoon();
      }, 'clients'));

      replace(bansBody, table([
        { key: 'key', label: 'Key', render: (b) => h('code', {}, b.key) },
        { key: 'kind', label: 'Kind', render: (b) => h('span', { class: `badge ${b.kind === 'ban' ? 'badge-banned' : 'badge-delay'}` }, b.kind === 'ban' ? 'ban' : `delay ${b.delayMs ? fmt.millis(b.delayMs) : ''}`) },
        { key: 'reason', label: 'Why', render: (b) => b.reason || h('span', { class: 'muted' }, '–') },
        { key: 'level', label: 'Level', num: true, render: (b) => (b.level ? String(b.level) : '–') },
        { key: 'until', label: 'Until', render: (b) => h('span', { title: fmt.fullTime(b.until) }, `${fmt.time(b.until)} (${fmt.ago(b.until)})`) },
        { key: 'actions', label: '', render: (b) => unbanButton(b.key) },
      ], bans.items, { rowTestid: 'ban-row', rowAttrs: (b) => ({ 'data-key': b.key }), emptyText: 'Nobody is banned or slowed down' }));

      replace(decisionsBody, table([
        { key: 'time', label: 'When', class: 'nowrap', render: (d) => when(d.time) },
        { key: 'action', label: 'Action', render: (d) => h('span', { class: `badge decision-badge decision-${d.action}` }, d.action, d.dryRun ? ' (dry run)' : '') },
        { key: 'rule', label: 'Rule', class: 'nowrap', render: (d) => d.rule },
        { key: 'who', label: 'Who', render: (d) => h('code', {}, d.banKey ?? (d.identity ? `${d.identity.kind}:${d.identity.value}` : '–')) },
        { key: 'reason', label: 'Why', render: (d) => h('span', { class: 'reason' }, d.reason ?? '') },
        { key: 'for', label: 'For', class: 'nowrap', render: (d) => (d.durationMs ? fmt.duration(d.durationMs) : '–') },
      ], decisions.items, { rowTestid: 'decision-row', emptyText: 'No decisions yet' }));
    },
  };
}
