/**
 * The inventory as the console shows it: each endpoint with a stable id, its
 * class (documented, shadow, zombie) and badges, held against the policy's
 * documents. Computing the findings walks the whole inventory, so a snapshot
 * is kept and rebuilt behind the answers at most once a second (less often
 * when a rebuild is slow), whatever the number of requests to the admin
 * API; filters, sorting and pages work on it.
 */
import { loadDocument } from '../openapi/load.ts';
import { loadOperationDetails, type OperationDetails } from '../openapi/responses.ts';
import type { LoadedDocument } from '../openapi/types.ts';
import type { Inventory } from '../discovery/inventory.ts';
import { diffInventory } from '../discovery/spec-diff.ts';
import type { Finding, InventoryEndpoint, Severity } from '../discovery/types.ts';

export type EndpointClass = 'documented' | 'shadow' | 'zombie';

export interface EndpointView {
  id: string;
  endpoint: InventoryEndpoint;
  class: EndpointClass;
  isExposed: boolean;
  isUnauthenticated: boolean;
  dataClasses: string[];
  findings: Finding[];
}

export interface InventorySnapshot {
  at: number;
  endpoints: EndpointView[];
  byId: Map<string, EndpointView>;
  findings: Finding[];
}

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** opaque and URL-safe; the same endpoint keeps its id across snapshots and restarts */
export function endpointId(host: string, method: string, template: string): string {
  return Buffer.from(`${host}\u0000${method}\u0000${template}`, 'utf8').toString('base64url');
}

export interface InventoryViews {
  snapshot(): Promise<InventorySnapshot>;
  /** forget the documents (after a reload) */
  reset(documents: readonly string[], retiredPrefixes: readonly string[]): void;
}

const MAX_AGE_MS = 1000;

export function createInventoryViews(inventory: Inventory | null, documents: readonly string[], retiredPrefixes: readonly string[]): InventoryViews {
  let files = documents;
  let retired = retiredPrefixes;
  let loaded: Promise<{ current: LoadedDocument[]; details: Map<string, OperationDetails> }> | null = null;
  let cached: InventorySnapshot | null = null;
  let building: Promise<InventorySnapshot> | null = null;
  let lastBuildMs = 0;

  function loadDocuments(): Promise<{ current: LoadedDocument[]; details: Map<string, OperationDetails> }> {
    loaded ??= (async () => {
      const current = await Promise.all(files.map((f) => loadDocument(f)));
      const details = new Map<string, OperationDetails>();
      for (const f of files) for (const [k, v] of await loadOperationDetails(f)) details.set(k, v);
      return { current, details };
    })();
    return loaded;
  }

  async function build(): Promise<InventorySnapshot> {
    const { current, details } = await loadDocuments();
    const startedAt = performance.now();
    const endpoints = inventory ? inventory.endpoints() : [];
    const findings = diffInventory(endpoints, { current, details }, { retiredPrefixes: retired });
    const findingsByKey = new Map<string, Finding[]>();
    for (const f of findings) {
      const key = `${f.host}\u0000${f.method}\u0000${f.template}`;
      const list = findingsByKey.get(key);
      if (list) list.push(f);
      else findingsByKey.set(key, [f]);
    }
    const views: EndpointView[] = endpoints.map((endpoint) => {
      const own = findingsByKey.get(`${endpoint.host}\u0000${endpoint.method}\u0000${endpoint.template}`) ?? [];
      const cls: EndpointClass = own.some((f) => f.kind === 'zombie') ? 'zombie' : own.some((f) => f.kind === 'shadow') || endpoint.operationId === null ? 'shadow' : 'documented';
      return {
        id: endpointId(endpoint.host, endpoint.method, endpoint.template),
        endpoint,
        class: cls,
        isExposed: own.some((f) => f.kind === 'exposure'),
        isUnauthenticated: (endpoint.unauthenticatedSuccess ?? 0) > 0,
        dataClasses: Object.keys(endpoint.dataClasses).sort(),
        findings: own,
      };
    });
    lastBuildMs = performance.now() - startedAt;
    return { at: Date.now(), endpoints: views, byId: new Map(views.map((v) => [v.id, v])), findings };
  }

  function rebuild(): Promise<InventorySnapshot> {
    building ??= build().then((s) => {
      cached = s;
      return s;
    }).finally(() => {
      building = null;
    });
    return building;
  }

  return {
    async snapshot() {
      if (cached === null) return rebuild();
      // stale while revalidating: answer at once, rebuild behind; a rebuild
      // blocks the event loop for its duration (~130 ms for 10,000
      // endpoints), so big inventories are rebuilt less often (at most a
      // tenth of the time spent rebuilding)
      if (Date.now() - cached.at >= Math.max(MAX_AGE_MS, 10 * lastBuildMs)) void rebuild().catch(() => {});
      return cached;
    },
    reset(documents, retiredPrefixes) {
      files = documents;
      retired = retiredPrefixes;
      loaded = null;
      cached = null;
    },
  };
}

export interface InventoryFilter {
  q: string | null;
  cls: EndpointClass | null;
  flag: 'unauthenticated' | 'sensitive' | 'exposed' | null;
  sort: 'count' | 'lastSeen' | 'firstSeen' | 'template' | 'clients' | 'p95';
  order: 'asc' | 'desc';
}

export function filterInventory(views: readonly EndpointView[], f: InventoryFilter): EndpointView[] {
  const q = f.q?.toLowerCase() ?? null;
  const out = views.filter((v) => {
    if (f.cls !== null && v.class !== f.cls) return false;
    if (f.flag === 'unauthenticated' && !v.isUnauthenticated) return false;
    if (f.flag === 'sensitive' && v.dataClasses.length === 0) return false;
    if (f.flag === 'exposed' && !v.isExposed) return false;
    if (q !== null) {
      const e = v.endpoint;
      if (!e.template.toLowerCase().includes(q) && !e.method.toLowerCase().includes(q) && !(e.operationId ?? '').toLowerCase().includes(q) && !e.host.toLowerCase().includes(q)) return false;
    }
    return true;
  });
  const key = (v: EndpointView): number | string => {
    switch (f.sort) {
      case 'count': return v.endpoint.count;
      case 'lastSeen': return v.endpoint.lastSeen;
      case 'firstSeen': return v.endpoint.firstSeen;
      case 'clients': return v.endpoint.clients;
      case 'p95': return v.endpoint.latency.p95Ms ?? -1;
      case 'template': return v.endpoint.template;
    }
  };
  const sign = f.order === 'asc' ? 1 : -1;
  return out.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb));
    return c !== 0 ? sign * c : a.id.localeCompare(b.id);
  });
}

/** what the inventory table needs of an endpoint (the detail route sends the whole entry) */
export function summaryOf(v: EndpointView): Record<string, unknown> {
  const e = v.endpoint;
  return {
    id: v.id, host: e.host, method: e.method, template: e.template, operationId: e.operationId, class: v.class,
    count: e.count, firstSeen: e.firstSeen, lastSeen: e.lastSeen, statuses: e.statuses, clients: e.clients, p95Ms: e.latency.p95Ms,
    auth: e.auth, dataClasses: v.dataClasses, unauthenticated: v.isUnauthenticated, exposed: v.isExposed,
    findings: v.findings.map((f) => ({ kind: f.kind, severity: f.severity })),
  };
}
