/**
 * The admin listener: the console's API (src/admin/openapi.yaml), the
 * Prometheus metrics and the dashboard, on its own address (loopback by
 * default). Every route but the dashboard's static files requires the
 * bearer token of `admin.token`; the files hold no data, and a browser
 * cannot send a bearer header when it opens a page, so the page asks for
 * the token and sends it on each call.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import findMyWay from 'find-my-way';
import { parse as parseYaml } from 'yaml';
import type { AdminConfig } from '../config/types.ts';
import { resolveSecret } from '../config/auth.ts';
import { parseDuration } from '../config/values.ts';
import { subnetOf } from '../http/cidr.ts';
import type { Decision } from '../detect/types.ts';
import type { GatewayRuntime } from '../gateway/runtime.ts';
import type { Ban } from '../limiter/types.ts';
import { createClientTable, type ClientSort } from './clients.ts';
import { createAdminMetrics } from './metrics.ts';
import { redactPolicy } from './redact.ts';
import { createTokenCheck } from './token.ts';
import { createTrafficSeries } from './traffic.ts';
import { createInventoryViews, filterInventory, SEVERITY_RANK, summaryOf, type InventoryFilter } from './views.ts';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));
const OPENAPI_FILE = fileURLToPath(new URL('./openapi.yaml', import.meta.url));
const MAX_LIMIT = 500;
const MAX_STREAMS = 50;
const MAX_BODY_BYTES = 16 * 1024;
const BAN_KEY = /^(ip|subnet|principal|apikey|fingerprint):[^\s]{1,256}$/;
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
};

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, params: Record<string, string | undefined>, query: URLSearchParams) => Promise<void> | void;

class BadRequest extends Error {}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function problem(res: http.ServerResponse, status: number, title: string, detail?: string): void {
  const text = JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}) });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new BadRequest(`${name} must be an integer from ${min} to ${max}`);
  return Number(raw);
}

function enumParam<T extends string>(query: URLSearchParams, name: string, values: readonly T[], fallback: T | null): T | null {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new BadRequest(`${name} must be one of ${values.join(', ')}`);
  return raw as T;
}

function page<T>(items: readonly T[], query: URLSearchParams): { items: T[]; total: number; limit: number; offset: number } {
  const limit = intParam(query, 'limit', 50, 1, MAX_LIMIT);
  const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  return { items: items.slice(offset, offset + limit), total: items.length, limit, offset };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest('the body is too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('the body is not JSON');
  }
}

export async function startAdminServer(runtime: GatewayRuntime, config: AdminConfig, log: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void, clock: () => number = Date.now): Promise<AdminServer> {
  const isAuthorised = createTokenCheck(resolveSecret(config.token, 'admin.token'));
  const startedAt = clock();
  const traffic = createTrafficSeries();
  const clients = createClientTable();
  const metrics = createAdminMetrics(runtime);
  const documentsOf = (): { documents: string[]; retired: string[] } => ({
    documents: [...new Set(runtime.config.upstreams.flatMap((u) => u.openapi))],
    retired: [...new Set(runtime.config.upstreams.flatMap((u) => u.retired.map((r) => r.prefix)))],
  });
  const initial = documentsOf();
  const views = createInventoryViews(runtime.discovery?.inventory ?? null, initial.documents, initial.retired);
  const templater = runtime.discovery?.inventory.templater ?? null;
  const streams = new Set<http.ServerResponse>();

  const broadcast = (event: string, data: unknown): void => {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of streams) s.write(text);
  };

  const unsubscribeBus = runtime.bus.subscribe((e) => {
    metrics.observe(e);
    // the endpoint an event counts under: its documented template, or the template discovery learned
    let key: string | null = null;
    if (e.template !== null) key = `${e.method} ${e.template}`;
    else if (templater !== null && e.path !== null && e.class !== 'rejected') key = `${e.method} ${templater.match(e.method, e.host, e.path).template}`;
    traffic.add(e.time, e.class, e.decision, key, e.status >= 500 || e.status === 0);
    clients.add(e.clientIp, e.time, e.status, e.bytesOut, e.decision, e.limit?.action === 'delay');
  });
  const unsubscribeDecisions = runtime.detection?.onDecision((d: Decision) => broadcast('decision', d)) ?? (() => {});

  // alerts have no listener: the stream compares what changed every 2 s
  const alertVersions = new Map<string, string>();
  const ticker = setInterval(() => {
    if (streams.size === 0) return;
    const now = clock();
    broadcast('traffic', traffic.points(now, 1)[0]);
    for (const a of runtime.alerts.list()) {
      const version = `${a.status}|${a.lastSeenAt}|${a.acknowledgedAt ?? ''}|${a.count}`;
      if (alertVersions.get(a.fingerprint) === version) continue;
      alertVersions.set(a.fingerprint, version);
      broadcast('alert', a);
    }
  }, 2000);
  ticker.unref();

  async function listBans(now: number): Promise<Record<string, unknown>[]> {
    const bans = (await runtime.limiter.store.listBans(now, 1000)).map((b) => ({ key: b.key, until: b.until, kind: 'ban', delayMs: 0, level: b.level, reason: b.reason }));
    const slowdowns = runtime.limiter.slowdowns.list(now).map((s) => ({ key: s.key, until: s.until, kind: 'delay', delayMs: s.delayMs, level: 1, reason: s.reason }));
    return [...bans, ...slowdowns].sort((a, b) => b.until - a.until);
  }

  const routes: Record<string, Record<string, Handler>> = {
    '/healthz': { GET: (_q, res) => send(res, 200, { status: 'ok' }) },
    '/readyz': {
      GET: async (_q, res) => {
        const checks: Record<string, string> = { listeners: runtime.addresses.length > 0 ? 'ok' : 'unbound' };
        try {
          await runtime.limiter.store.listBans(clock(), 1);
          checks.limiter = 'ok';
        } catch (error) {
          checks.limiter = `unavailable: ${(error as Error).message}`;
        }
        const isReady = Object.values(checks).every((c) => c === 'ok');
        send(res, isReady ? 200 : 503, { status: isReady ? 'ok' : 'unavailable', checks });
      },
    },
    '/metrics': {
      GET: async (_q, res) => {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
    },
    '/openapi.json': { GET: async (_q, res) => send(res, 200, parseYaml(await readFile(OPENAPI_FILE, 'utf8'))) },
    '/api/v1/overview': {
      GET: async (_q, res) => {
        const now = clock();
        const snapshot = await views.snapshot();
        const count = (pred: (v: (typeof snapshot.endpoints)[number]) => boolean): number => snapshot.endpoints.filter(pred).length;
        const firing = runtime.alerts.list({ status: 'firing' });
        const bySeverity: Record<string, number> = {};
        for (const a of firing) bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
        send(res, 200, {
          generatedAt: now,
          uptimeSeconds: (now - startedAt) / 1000,
          mode: runtime.config.mode,
          requests: traffic.totals,
          endpoints: {
            total: snapshot.endpoints.length, documented: count((v) => v.class === 'documented'), shadow: count((v) => v.class === 'shadow'),
            zombie: count((v) => v.class === 'zombie'), exposed: count((v) => v.isExposed), unauthenticated: count((v) => v.isUnauthenticated),
          },
          alerts: { firing: firing.length, bySeverity },
          bans: { active: runtime.limiter.bans.size, slowdowns: runtime.limiter.slowdowns.size },
          traffic: traffic.points(now),
          topClients: clients.top('requests').slice(0, 5),
        });
      },
    },
    '/api/v1/traffic': { GET: (_q, res, _p, query) => send(res, 200, { points: traffic.points(clock(), intParam(query, 'minutes', 60, 1, 60)) }) },
    '/api/v1/inventory': {
      GET: async (_q, res, _p, query) => {
        const filter: InventoryFilter = {
          q: query.get('q') || null,
          cls: enumParam(query, 'class', ['documented', 'shadow', 'zombie'] as const, null),
          flag: enumParam(query, 'flag', ['unauthenticated', 'sensitive', 'exposed'] as const, null),
          sort: enumParam(query, 'sort', ['count', 'lastSeen', 'firstSeen', 'template', 'clients', 'p95'] as const, 'count')!,
          order: enumParam(query, 'order', ['asc', 'desc'] as const, 'desc')!,
        };
        const snapshot = await views.snapshot();
        const p = page(filterInventory(snapshot.endpoints, filter), query);
        send(res, 200, { ...p, items: p.items.map(summaryOf) });
      },
    },
    '/api/v1/inventory/:id': {
      GET: async (_q, res, params) => {
        const snapshot = await views.snapshot();
        const v = snapshot.byId.get(params.id ?? '');
        if (!v) return problem(res, 404, 'No such endpoint');
        send(res, 200, { endpoint: { ...v.endpoint, id: v.id, class: v.class }, findings: v.findings, traffic: traffic.endpoint(`${v.endpoint.method} ${v.endpoint.template}`, clock()) });
      },
    },
    '/api/v1/findings': {
      GET: async (_q, res, _p, query) => {
        const kind = enumParam(query, 'kind', ['exposure', 'shadow', 'zombie', 'drift', 'orphan'] as const, null);
        const min = enumParam(query, 'minSeverity', ['critical', 'high', 'medium', 'low', 'info'] as const, 'info')!;
        const snapshot = await views.snapshot();
        const list = snapshot.findings
          .filter((f) => (kind === null || f.kind === kind) && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[min])
          .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.id.localeCompare(b.id));
        send(res, 200, page(list, query));
      },
    },
    '/api/v1/alerts': {
      GET: (_q, res, _p, query) => {
        const status = enumParam(query, 'status', ['firing', 'resolved'] as const, null);
        const list = runtime.alerts.list(status ? { status } : {}).sort((a, b) => b.startsAt - a.startsAt);
        send(res, 200, page(list, query));
      },
    },
    '/api/v1/alerts/:fingerprint/acknowledge': {
      POST: (_q, res, params) => {
        const alert = runtime.alerts.acknowledge(params.fingerprint ?? '', 'admin');
        if (!alert) return problem(res, 404, 'No such firing alert');
        broadcast('alert', alert);
        send(res, 200, alert);
      },
    },
    '/api/v1/alerts/:fingerprint/resolve': {
      POST: (_q, res, params) => {
        const alert = runtime.alerts.resolve(params.fingerprint ?? '', 'admin');
        if (!alert) return problem(res, 404, 'No such firing alert');
        broadcast('alert', alert);
        send(res, 200, alert);
      },
    },
    '/api/v1/clients': {
      GET: async (_q, res, _p, query) => {
        const sort = enumParam(query, 'sort', ['requests', 'misses', 'bytesOut', 'refused'] as const, 'requests')! as ClientSort;
        const now = clock();
        const p = page(clients.top(sort), query);
        const subnet = runtime.config.rateLimits.subnet;
        const items = p.items.map((c) => {
          const keys = [`ip:${c.ip}`, `subnet:${subnetOf(c.ip, subnet.ipv4, subnet.ipv6)}`];
          const ban = runtime.limiter.bans.find(keys, now);
          const slowdown = runtime.limiter.slowdowns.find(keys, now);
          const active = ban ? { key: ban.key, until: ban.until, kind: 'ban', delayMs: 0, level: ban.level, reason: ban.reason }
            : slowdown ? { key: slowdown.key, until: slowdown.until, kind: 'delay', delayMs: slowdown.delayMs, level: 1, reason: slowdown.reason } : null;
          return { ...c, ban: active };
        });
        send(res, 200, { ...p, items });
      },
    },
    '/api/v1/decisions': { GET: (_q, res, _p, query) => send(res, 200, page([...(runtime.detection?.decisions ?? [])].reverse(), query)) },
    '/api/v1/bans': {
      GET: async (_q, res, _p, query) => send(res, 200, page(await listBans(clock()), query)),
      POST: async (req, res) => {
        const body = await readJson(req);
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object with key and duration');
        const { key, duration, reason } = body as Record<string, unknown>;
        const extra = Object.keys(body).filter((k) => k !== 'key' && k !== 'duration' && k !== 'reason');
        if (extra.length > 0) throw new BadRequest(`unknown field ${extra[0]}`);
        if (typeof key !== 'string' || !BAN_KEY.test(key)) throw new BadRequest('key must be ip:<address>, subnet:<cidr>, principal:<id>, apikey:<id> or fingerprint:<hash>');
        if (typeof duration !== 'string') throw new BadRequest('duration must be a string such as 10m, 1h or 1d');
        let ms: number;
        try {
          ms = parseDuration(duration);
        } catch (error) {
          throw new BadRequest(`duration: ${(error as Error).message}`);
        }
        if (!(ms > 0)) throw new BadRequest('duration must be positive');
        if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200)) throw new BadRequest('reason must be a string of at most 200 characters');
        const ban: Ban = { key, until: clock() + ms, level: 0, reason: typeof reason === 'string' && reason !== '' ? `operator: ${reason}` : 'operator' };
        runtime.limiter.bans.add(ban);
        await runtime.limiter.store.addBan(ban);
        log('info', 'ban added from the admin API', { key, until: new Date(ban.until).toISOString() });
        const view = { ...ban, kind: 'ban', delayMs: 0 };
        broadcast('ban', { action: 'add', ban: view });
        send(res, 201, view);
      },
    },
    '/api/v1/bans/:key': {
      DELETE: async (_q, res, params) => {
        const key = params.key ?? '';
        runtime.limiter.bans.remove(key);
        const wasSlowed = runtime.limiter.slowdowns.remove(key);
        const wasBanned = await runtime.limiter.store.removeBan(key);
        if (!wasBanned && !wasSlowed) return problem(res, 404, 'No such ban');
        log('info', 'ban lifted from the admin API', { key });
        broadcast('ban', { action: 'remove', key });
        res.writeHead(204).end();
      },
    },
    '/api/v1/config': { GET: (_q, res) => send(res, 200, redactPolicy(runtime.config)) },
    '/api/v1/reload': {
      POST: async (_q, res) => {
        const result = await runtime.reload();
        if (result.ok) {
          const next = documentsOf();
          views.reset(next.documents, next.retired);
        }
        send(res, result.ok ? 200 : 409, result);
      },
    },
    '/api/v1/stream': {
      GET: (req, res) => {
        if (streams.size >= MAX_STREAMS) return problem(res, 503, 'Too many live streams');
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`event: hello\ndata: ${JSON.stringify({ time: clock() })}\n\n`);
        streams.add(res);
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(heartbeat);
          streams.delete(res);
        });
      },
    },
  };

  const router = findMyWay({
    ignoreTrailingSlash: true,
    caseSensitive: true,
    maxParamLength: 500,
    defaultRoute: (_req, res) => problem(res, 404, 'Not found'),
  });
  for (const [path, methods] of Object.entries(routes)) {
    for (const [method, handler] of Object.entries(methods)) {
      router.on(method as 'GET', path, (req, res, params) => {
        void (async () => {
          const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
          try {
            await handler(req, res, params as Record<string, string | undefined>, query);
          } catch (error) {
            if (res.headersSent) return void res.destroy();
            if (error instanceof BadRequest) return problem(res, 400, 'Bad request', error.message);
            log('error', 'admin API route failed', { route: path, error: String(error) });
            problem(res, 500, 'Internal error');
          }
        })();
      });
    }
  }

  async function serveUi(pathname: string, res: http.ServerResponse): Promise<void> {
    const relative = pathname === '/' ? 'index.html' : pathname.slice('/ui/'.length);
    const file = normalize(join(UI_DIR, relative));
    // never outside the UI folder, whatever the encoded dots
    if (!file.startsWith(UI_DIR.endsWith(sep) ? UI_DIR : UI_DIR + sep)) return problem(res, 404, 'Not found');
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-cache',
        // the page loads only its own files and talks only to this listener
        'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(body);
    } catch {
      problem(res, 404, 'Not found');
    }
  }

  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && (pathname === '/' || pathname.startsWith('/ui/'))) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        return problem(res, 400, 'Bad request');
      }
      return void serveUi(decoded, res);
    }
    if (!isAuthorised(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer realm="apiwarden-admin"');
      return problem(res, 401, 'Authentication required', 'send the admin token as Authorization: Bearer <token>');
    }
    router.lookup(req, res);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log('info', 'admin listener up', { url });

  return {
    url,
    async close() {
      clearInterval(ticker);
      unsubscribeBus();
      unsubscribeDecisions();
      metrics.stop();
      for (const s of streams) s.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
