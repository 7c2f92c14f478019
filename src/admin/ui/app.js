// @ts-check
/**
 * The apiwarden console: sign-in, hash routing, live updates (the event
 * stream, with polling as a fallback) and the pages.
 */
import { Unauthorized, api, clearToken, get, getToken, openStream, setToken, whenUnauthorized } from './api.js';
import { $, h, replace } from './dom.js';
import { alertsPage } from './page-alerts.js';
import { clientsPage } from './page-clients.js';
import { endpointPage } from './page-endpoint.js';
import { inventoryPage } from './page-inventory.js';
import { overviewPage } from './page-overview.js';
import { errorText } from './ui.js';

const POLL_MS = 5000;
const REQUEST_TIMEOUT_MS = 15_000;
/** the quickest two refreshes follow each other when events pour in */
const MIN_GAP_MS = 700;

/** @type {Record<string, (ctx: import('./page.js').PageContext) => import('./page.js').Page>} */
const ROUTES = {
  '': overviewPage,
  inventory: inventoryPage,
  endpoint: endpointPage,
  alerts: alertsPage,
  clients: clientsPage,
};
/** the navigation entry each route lights up */
const NAV_OF = /** @type {Record<string, string>} */ ({ '': 'overview', inventory: 'inventory', endpoint: 'inventory', alerts: 'alerts', clients: 'clients' });
const TITLES = /** @type {Record<string, string>} */ ({ '': 'Overview', inventory: 'Inventory', endpoint: 'Endpoint', alerts: 'Alerts', clients: 'Clients & bans' });

/** @returns {{ name: string, arg: string, params: URLSearchParams }} */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const [name = '', ...rest] = path.split('/');
  return { name: name in ROUTES ? name : '', arg: safeDecode(rest.join('/')), params };
}

/** @param {string} text */
function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const signinView = $('#signin');
const appView = $('#app');
const main = $('#main');
const streamState = $('#stream-state');

/** @type {{ name: string, arg: string, page: import('./page.js').Page, controller: AbortController } | null} */
let current = null;
/** @type {{ close(): void } | null} */
let stream = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let poller;
let inFlight = false;
let pending = false;
let lastRefresh = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let soon;
const notice = h('div', { class: 'page-notice', testid: 'page-error', role: 'status', hidden: true });

/** @param {{ firingAlerts?: number, activeBans?: number, mode?: string }} info */
function shellInfo(info) {
  if (info.firingAlerts !== undefined) setCount('nav-alerts-count', info.firingAlerts);
  if (info.activeBans !== undefined) setCount('nav-bans-count', info.activeBans);
  if (info.mode !== undefined) {
    const pill = $('#mode');
    pill.textContent = info.mode;
    pill.className = `mode mode-${info.mode}`;
    pill.hidden = false;
  }
}

/** @param {string} id @param {number} n */
function setCount(id, n) {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = n > 99 ? '99+' : String(n);
  el.hidden = n === 0;
}

async function refresh() {
  if (!current) return;
  if (inFlight) {
    pending = true;
    return;
  }
  const target = current;
  inFlight = true;
  pending = false;
  lastRefresh = Date.now();
  try {
    // a hung call must not hold every later refresh back
    await target.page.refresh(AbortSignal.any([target.controller.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]));
    if (current === target) notice.hidden = true;
  } catch (error) {
    if (error instanceof Unauthorized || target.controller.signal.aborted) return;
    if (current === target) {
      notice.textContent = `Could not load this page: ${errorText(error)}. Retrying…`;
      notice.hidden = false;
    }
  } finally {
    inFlight = false;
  }
  if (pending && current) refreshSoon();
}

/** Refresh shortly, coalescing bursts of events into one call. */
function refreshSoon() {
  if (soon !== undefined) return;
  const wait = Math.max(60, MIN_GAP_MS - (Date.now() - lastRefresh));
  soon = setTimeout(() => {
    soon = undefined;
    void refresh();
  }, wait);
}

function route() {
  const { name, arg, params } = parseHash();
  if (current && current.name === name && current.arg === arg && current.page.update) {
    current.page.update(params);
    refreshSoon();
    return;
  }
  if (current) {
    current.controller.abort();
    current.page.destroy?.();
  }
  inFlight = false;
  /** @type {import('./page.js').PageContext} */
  const ctx = {
    arg,
    params,
    replaceParams(p) {
      const text = p.toString();
      const hash = `#/${name}${arg ? `/${encodeURIComponent(arg)}` : ''}${text ? `?${text}` : ''}`;
      if (location.hash !== hash) history.replaceState(null, '', hash);
    },
    refreshSoon,
    shellInfo,
  };
  const page = ROUTES[name]?.(ctx) ?? overviewPage(ctx);
  current = { name, arg, page, controller: new AbortController() };
  notice.hidden = true;
  replace(main, notice, page.el);
  document.title = `${TITLES[name] ?? 'Overview'} · apiwarden`;
  for (const link of document.querySelectorAll('[data-nav]')) {
    const active = link.getAttribute('data-nav') === NAV_OF[name];
    link.classList.toggle('active', active);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.scrollTo?.(0, 0);
  void refresh();
}

/** Counts for the navigation, whatever the page. */
async function refreshShell() {
  try {
    /** @type {import('./api.js').Overview} */
    const ov = await get('/api/v1/overview');
    shellInfo({ firingAlerts: ov.alerts?.firing ?? 0, activeBans: ov.bans?.active ?? 0, mode: ov.mode });
  } catch {
    // the page shows the error
  }
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let shellSoon;

/**
 * @param {string} type
 * @param {unknown} data
 */
function onEvent(type, data) {
  if (current?.page.wants?.(type, data)) refreshSoon();
  if ((type === 'alert' || type === 'ban') && shellSoon === undefined) {
    shellSoon = setTimeout(() => {
      shellSoon = undefined;
      void refreshShell();
    }, 500);
  }
}

/** @param {import('./api.js').StreamState} state */
function onStreamState(state) {
  streamState.className = `stream stream-${state}`;
  streamState.setAttribute('data-state', state);
  replace(streamState, h('span', { class: 'dot', 'aria-hidden': 'true' }), state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…');
  streamState.title = state === 'live' ? 'Receiving live updates' : 'Live updates interrupted: polling every 5 s';
}

function start() {
  signinView.hidden = true;
  appView.hidden = false;
  stream?.close();
  stream = openStream(onEvent, onStreamState);
  clearInterval(poller);
  // the fallback when the stream is down or quiet: events usually refresh sooner
  poller = setInterval(() => {
    if (document.visibilityState === 'hidden' || Date.now() - lastRefresh < POLL_MS - 500) return;
    void refresh();
  }, 1000);
  const shellTimer = setInterval(() => {
    if (!getToken()) clearInterval(shellTimer);
    else if (document.visibilityState !== 'hidden') void refreshShell();
  }, 15_000);
  void refreshShell();
  route();
}

function stop() {
  stream?.close();
  stream = null;
  clearInterval(poller);
  if (current) {
    current.controller.abort();
    current.page.destroy?.();
    current = null;
  }
  replace(main);
}

/** @param {string} [message] */
function showSignin(message) {
  stop();
  appView.hidden = true;
  signinView.hidden = false;
  const error = $('#token-error');
  error.textContent = message ?? '';
  error.hidden = !message;
  const input = /** @type {HTMLInputElement} */ ($('#token-input'));
  input.value = '';
  input.focus();
}

$('#token-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('#token-input'));
  const button = /** @type {HTMLButtonElement} */ ($('#token-submit'));
  const error = $('#token-error');
  const token = input.value.trim();
  if (!token) return;
  button.disabled = true;
  error.hidden = true;
  try {
    await api('/healthz', { token });
    setToken(token);
    start();
  } catch (err) {
    error.textContent = err instanceof Unauthorized ? 'That token was refused.' : `Could not reach the admin API: ${errorText(err)}`;
    error.hidden = false;
    input.select();
  } finally {
    button.disabled = false;
  }
});

$('#signout').addEventListener('click', () => {
  clearToken();
  showSignin();
});

whenUnauthorized(() => {
  if (!appView.hidden) showSignin('The admin token was refused: sign in again.');
});

window.addEventListener('hashchange', () => {
  if (getToken()) route();
});

/** @type {ReturnType<typeof setTimeout> | undefined} */
let resizing;
let width = window.innerWidth;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => {
    if (!current || window.innerWidth === width) return;
    width = window.innerWidth;
    // charts are drawn to their container's width: draw them again (forms and dialogs stay as they are)
    current.page.redraw?.();
    refreshSoon();
  }, 300);
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && current) void refresh();
});

if (getToken()) start();
else showSignin();
