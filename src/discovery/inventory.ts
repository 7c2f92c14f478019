/**
 * The endpoint inventory: every request seen, inline or from a log, counted
 * against its endpoint (host, method, template). A request that a loaded
 * document routes is counted under the documented template; any other goes
 * through the templater, which learns templates from the paths themselves.
 *
 * Learned templates move as traffic grows ('/users/1' is static until
 * enough ids show that the position is a parameter), so counters are kept
 * per template as it was when the request came, with one concrete path as
 * a witness, and resolved again through the templater when read: the
 * accumulators whose witnesses now map to one template are merged. The same
 * resolution runs every COMPACT_EVERY requests, so early per-id
 * accumulators do not pile up.
 *
 * Bodies are inspected on a sample only (sampleRate, maxBodyBytes): their
 * JSON shape and the sensitive data classes in them. A body is parsed only
 * when whole; a cut one is still scanned for data classes.
 */
import { authSeenOf } from './auth-seen.ts';
import { EndpointStats } from './endpoint-stats.ts';
import { mergeFindings, scanBody, scanPath, scanQuery, type SensitiveFindings } from './sensitive-scan.ts';
import { createPathTemplater, type PathTemplater } from './templater.ts';
import type { AuthSeen, BodySample, InventoryEndpoint, LearnedTemplate, ObservedRequest } from './types.ts';

/** What a source already knows about a request (the gateway routed it; a log of apiwarden events says so). */
export interface ObserveHint {
  /** the documented template, when the source matched one */
  template?: string | null;
  operationId?: string | null;
  /** how the request authenticated, when the source knows better than the headers */
  auth?: AuthSeen | null;
}

/** Documented operations to key requests by (built from the loaded documents). */
export interface DocumentedRoutes {
  match(method: string, host: string, path: string): { template: string; operationId: string } | null;
}

export interface InventoryOptions {
  routes?: DocumentedRoutes | null;
  templater?: PathTemplater;
  /** share of requests whose bodies are inspected, 0..1 (default 1: every request that carries a body sample) */
  sampleRate?: number;
  /** bytes of a body looked at (default 65,536); the source may have cut it shorter */
  maxBodyBytes?: number;
  /** accumulators kept; past it, new endpoints are counted under '(other)' (default 20,000) */
  maxEndpoints?: number;
}

export interface InventoryStats {
  requests: number;
  /** requests whose bodies were inspected */
  sampled: number;
  /** accumulators held now (before resolution) */
  accumulators: number;
  /** requests counted under '(other)' because maxEndpoints was reached */
  overflow: number;
}

export interface Inventory {
  observe(request: ObservedRequest, hint?: ObserveHint): void;
  /**
   * Continue from stored records (a restart). A learned template comes back
   * as it was stored; if the templater learns it again, the two merge.
   */
  restore(records: readonly InventoryEndpoint[]): void;
  /** every endpoint, learned templates resolved as the templater knows them now */
  endpoints(): InventoryEndpoint[];
  stats(): InventoryStats;
  readonly templater: PathTemplater;
}

const COMPACT_EVERY = 10_000;
const OTHER = '(other)';

interface Accumulator {
  host: string;
  method: string;
  template: string;
  operationId: string | null;
  /** a concrete path of this accumulator (null for documented ones) */
  witness: string | null;
  /** the host as received, for learned ones */
  witnessHost: string;
  stats: EndpointStats;
}

export function createInventory(options: InventoryOptions = {}): Inventory {
  const templater = options.templater ?? createPathTemplater();
  const routes = options.routes ?? null;
  const sampleRate = Math.min(1, Math.max(0, options.sampleRate ?? 1));
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  const maxEndpoints = options.maxEndpoints ?? 20_000;
  const accumulators = new Map<string, Accumulator>();
  /**
   * Learned accumulators by the templater's answer (observeMatch returns one
   * object per template until the tree changes shape) and method: a request
   * on a known endpoint builds no key string. Cleared whenever the
   * accumulators are re-keyed (compact, restore).
   */
  const byAnswer = new Map<object, Map<string, Accumulator>>();
  let requests = 0;
  let sampled = 0;
  let overflow = 0;
  let sinceCompaction = 0;
  // deterministic sampling: every 1/sampleRate-th request, evenly
  let sampleCredit = 0;
  /** the evidence of learned templates as stored, until the templater learns them again */
  const learnedOnRestore = new Map<string, LearnedTemplate | null>();

  function accumulatorFor(key: string, make: () => Omit<Accumulator, 'stats'>): Accumulator {
    const acc = accumulators.get(key);
    if (acc !== undefined) return acc;
    return newAccumulator(key, make);
  }

  function newAccumulator(key: string, make: () => Omit<Accumulator, 'stats'>): Accumulator {
    let acc: Accumulator | undefined;
    if (accumulators.size >= maxEndpoints) {
      overflow++;
      const otherKey = `O\u0000${OTHER}`;
      acc = accumulators.get(otherKey);
      if (acc === undefined) accumulators.set(otherKey, acc = { host: '', method: OTHER, template: OTHER, operationId: null, witness: null, witnessHost: '', stats: new EndpointStats() });
      return acc;
    }
    acc = { ...make(), stats: new EndpointStats() };
    accumulators.set(key, acc);
    return acc;
  }

  // hot path: one walk of the templater's tree, two map lookups by identity and method
  function learnedAccumulator(method: string, host: string, path: string): Accumulator {
    const learned = templater.observeMatch(method, host, path);
    let byMethod = byAnswer.get(learned);
    if (byMethod !== undefined) {
      const acc = byMethod.get(method);
      if (acc !== undefined) return acc;
    }
    const key = learnedKey(learned.host, method, learned.template);
    let acc = accumulators.get(key);
    if (acc === undefined) {
      const isFull = accumulators.size >= maxEndpoints;
      acc = newAccumulator(key, () => ({ host: learned.host, method, template: learned.template, operationId: null, witness: path, witnessHost: host }));
      // past maxEndpoints it is '(other)', counted as overflow per request: not cached
      if (isFull) return acc;
    }
    if (byMethod === undefined) byAnswer.set(learned, byMethod = new Map());
    byMethod.set(method, acc);
    return acc;
  }

  /** merges learned accumulators whose witnesses resolve to one template now */
  function compact(): void {
    // most of the time every witness still resolves where it is kept: nothing to rebuild (and no garbage)
    let isMoved = false;
    for (const acc of accumulators.values()) {
      if (acc.witness === null) continue;
      const now = templater.match(acc.method, acc.witnessHost, acc.witness);
      if (now.host !== acc.host || now.template !== acc.template) {
        isMoved = true;
        break;
      }
    }
    if (!isMoved) {
      // the entries are all still right; the answers of a tree that changed shape since are dead keys
      if (byAnswer.size > 2 * accumulators.size + 256) byAnswer.clear();
      return;
    }
    byAnswer.clear();
    const merged = new Map<string, Accumulator>();
    for (const [key, acc] of accumulators) {
      if (acc.witness === null) {
        const into = merged.get(key);
        if (into === undefined) merged.set(key, acc);
        else into.stats.merge(acc.stats);
        continue;
      }
      const now = templater.match(acc.method, acc.witnessHost, acc.witness);
      const nextKey = learnedKey(now.host, acc.method, now.template);
      const restored = merged.get(nextKey);
      if (restored !== undefined && restored.witness === null) {
        // learned again after a restart: the live accumulator takes the stored counts
        restored.stats.merge(acc.stats);
        merged.set(nextKey, { ...restored, witness: acc.witness, witnessHost: acc.witnessHost, host: now.host, template: now.template });
        continue;
      }
      const into = merged.get(nextKey);
      if (into === undefined) merged.set(nextKey, { ...acc, host: now.host, template: now.template });
      else into.stats.merge(acc.stats);
    }
    accumulators.clear();
    for (const [key, acc] of merged) accumulators.set(key, acc);
  }

  // only requests with a body sample: path and query alone are not worth a scan per log line
  function shouldSample(request: ObservedRequest): boolean {
    if (request.requestBody === null && request.responseBody === null) return false;
    if (sampleRate >= 1) return true;
    sampleCredit += sampleRate;
    if (sampleCredit < 1) return false;
    sampleCredit -= 1;
    return true;
  }

  function inspect(acc: Accumulator, request: ObservedRequest, auth: AuthSeen | null): void {
    sampled++;
    // path and query apart: a value there is what the caller looks up by
    const lookup: SensitiveFindings = scanPath(request.path);
    if (request.query !== null && request.query !== '') mergeFindings(lookup, scanQuery(request.query));
    const requestFound: SensitiveFindings = mergeFindings(new Map(), lookup);
    const requestBody = cut(request.requestBody, maxBodyBytes);
    const responseBody = cut(request.responseBody, maxBodyBytes);
    if (requestBody !== null) mergeFindings(requestFound, scanBody(requestBody));
    const responseFound = responseBody !== null ? scanBody(responseBody) : new Map();
    acc.stats.addSample(request, auth, { requestJson: jsonOf(requestBody), responseJson: jsonOf(responseBody) }, { request: requestFound, response: responseFound, lookup });
  }

  return {
    templater,

    restore(records) {
      byAnswer.clear();
      for (const record of records) {
        const key = record.operationId !== null
          ? `D\u0000${record.host}\u0000${record.method}\u0000${record.template}`
          : record.template === OTHER ? `O\u0000${OTHER}` : learnedKey(record.host, record.method, record.template);
        const stats = EndpointStats.fromRecord(record);
        const known = accumulators.get(key);
        if (known !== undefined) {
          known.stats.merge(stats);
          continue;
        }
        accumulators.set(key, { host: record.host, method: record.method, template: record.template, operationId: record.operationId, witness: null, witnessHost: record.host, stats });
        learnedOnRestore.set(key, record.learned);
      }
    },

    observe(request, hint) {
      requests++;
      const method = request.method;
      const host = request.host;
      let acc: Accumulator;
      const documented = hint?.template ? { template: hint.template, operationId: hint.operationId ?? null } : routes?.match(method, host, request.path) ?? null;
      if (documented !== null) {
        const { template, operationId } = documented;
        acc = accumulatorFor(`D\u0000${host}\u0000${method}\u0000${template}`, () => ({ host, method, template, operationId, witness: null, witnessHost: host }));
      } else {
        acc = learnedAccumulator(method, host, request.path);
      }
      const auth = hint?.auth !== undefined && hint.auth !== null ? hint.auth : authSeenOf(request.requestHeaders, request.query);
      acc.stats.add(request, auth);
      if (shouldSample(request)) inspect(acc, request, auth);
      if (++sinceCompaction >= COMPACT_EVERY) {
        sinceCompaction = 0;
        compact();
      }
    },

    endpoints() {
      compact();
      const learnedByKey = new Map<string, LearnedTemplate>();
      for (const t of templater.templates()) learnedByKey.set(`${t.host}\u0000${t.template}`, t);
      const out: InventoryEndpoint[] = [];
      for (const acc of accumulators.values()) {
        const learned = acc.operationId !== null ? null
          : learnedByKey.get(`${acc.host}\u0000${acc.template}`) ?? learnedOnRestore.get(learnedKey(acc.host, acc.method, acc.template)) ?? null;
        out.push(acc.stats.toRecord(acc, learned));
      }
      out.sort((a, b) => b.count - a.count || compareText(a.template, b.template) || compareText(a.method, b.method));
      return out;
    },

    stats() {
      return { requests, sampled, accumulators: accumulators.size, overflow };
    },
  };
}

function learnedKey(host: string, method: string, template: string): string {
  return `L\u0000${host}\u0000${method}\u0000${template}`;
}

function cut(sample: BodySample | null, maxBytes: number): BodySample | null {
  if (sample === null) return null;
  // text length is in UTF-16 units; a unit per byte is the conservative bound for the cap
  if (sample.text.length <= maxBytes) return sample;
  return { contentType: sample.contentType, text: sample.text.slice(0, maxBytes), truncated: true };
}

/** the parsed body when it is whole JSON, else undefined (a cut body has no reliable shape) */
function jsonOf(sample: BodySample | null): unknown {
  if (sample === null || sample.truncated) return undefined;
  const type = (sample.contentType ?? '').toLowerCase();
  if (!type.includes('json')) return undefined;
  try {
    return JSON.parse(sample.text) as unknown;
  } catch {
    return undefined;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
