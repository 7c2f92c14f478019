/**
 * The `rateLimits` section after the schema check: windows, key parts and
 * bans parsed into values, with cross-field checks. The same rule parser
 * reads rules attached to operations (`x-apiwarden-rate-limit`), so a rule
 * means the same wherever it is written.
 */
import { parseCidr, parseDuration, parseOperationRef, parseSize } from './values.ts';
import type { KeyPart, KeyPartSource, RateLimitBan, RateLimitRule, RateLimitsConfig, RateLimitWindow } from './types.ts';

type Path = (string | number)[];
type Raw = Record<string, unknown>;

/** How the parser reports: file positions for the policy file, a prefix for documents. */
export interface RuleReporter {
  report(path: Path, message: string): void;
}

/** Runs a value parser; what it throws is reported at `path` and `fallback` stands in. */
export function reportingParser(r: RuleReporter): <T>(path: Path, parse: () => T, fallback: T) => T {
  return (path, parse, fallback) => {
    try {
      return parse();
    } catch (err) {
      r.report(path, (err as Error).message);
      return fallback;
    }
  };
}

const SIMPLE_SOURCES = new Set<KeyPartSource>(['ip', 'subnet', 'apiKey', 'principal', 'operation', 'global']);
const NAMED_SOURCES = new Set<KeyPartSource>(['path', 'query', 'header', 'claim', 'body']);
const ALL_SOURCES = [...SIMPLE_SOURCES, ...[...NAMED_SOURCES].map((s) => `${s}.<name>`)];

/** "path.phone" → { source: 'path', name: 'phone' }. Throws with a message that lists what exists. */
export function parseKeyPart(text: string): KeyPart {
  if (SIMPLE_SOURCES.has(text as KeyPartSource)) return { source: text as KeyPartSource, name: '', fieldPath: [], text };
  const dot = text.indexOf('.');
  const source = (dot === -1 ? text : text.slice(0, dot)) as KeyPartSource;
  const name = dot === -1 ? '' : text.slice(dot + 1);
  if (!NAMED_SOURCES.has(source)) {
    throw new Error(`unknown key part "${text}"; use one of ${ALL_SOURCES.join(', ')}`);
  }
  if (name === '') throw new Error(`key part "${text}" needs a name after the dot, e.g. ${source}.id`);
  if (source === 'body') {
    const fieldPath = name.split('.');
    if (fieldPath.some((f) => f === '')) throw new Error(`key part "${text}": empty field in the body path`);
    return { source, name, fieldPath, text };
  }
  // header names are case-insensitive (RFC 9110 §5.1); the others are compared as written
  return { source, name: source === 'header' ? name.toLowerCase() : name, fieldPath: [], text };
}

/** "10/1s", "600/1m", "20000/1d", "5/h" → a window (no burst). */
export function parseWindow(value: unknown): RateLimitWindow {
  if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*\/\s*(\d*)\s*([a-z]+)\s*$/.exec(value);
    if (!m) throw new Error(`"${value}" is not a window; write it as <count>/<duration>, e.g. 10/1s, 600/1m, 20000/1d`);
    const limit = Number(m[1]);
    if (limit < 1) throw new Error(`"${value}": the count must be at least 1`);
    let periodMs: number;
    try {
      periodMs = parseDuration(`${m[2] === '' ? '1' : m[2]}${m[3]}`);
    } catch {
      throw new Error(`"${value}": "${m[2]}${m[3]}" is not a duration; write the period with ms, s, m, h or d, e.g. 10/1s, 600/1m, 5/1h, 20000/1d`);
    }
    return { limit, periodMs: checkPeriod(periodMs, value), burst: null };
  }
  const raw = value as Raw;
  const periodMs = checkPeriod(parseDuration(raw.per as string | number), String(raw.per));
  const burst = typeof raw.burst === 'number' ? raw.burst : null;
  return { limit: raw.limit as number, periodMs, burst };
}

function checkPeriod(ms: number, written: string): number {
  if (ms < 1000) throw new Error(`"${written}": a window must last at least 1s`);
  return ms;
}

/**
 * One rule, from the policy file or an operation extension. `at` prefixes
 * the paths reported. Returns null when the rule had problems (already reported).
 */
export function parseRateLimitRule(raw: Raw, at: Path, origin: string, r: RuleReporter): RateLimitRule | null {
  let ok = true;
  const fail = (path: Path, message: string): void => {
    ok = false;
    r.report([...at, ...path], message);
  };
  const attempt = <T>(path: Path, parse: () => T, fallback: T): T => {
    try {
      return parse();
    } catch (err) {
      fail(path, (err as Error).message);
      return fallback;
    }
  };

  const match = (raw.match ?? {}) as Raw;
  const keyList = typeof raw.key === 'string' ? [raw.key] : ((raw.key as string[] | undefined) ?? ['ip']);
  const key = keyList.map((k, i) => attempt(typeof raw.key === 'string' ? ['key'] : ['key', i], () => parseKeyPart(k), null)).filter((k): k is KeyPart => k !== null);
  const windows = ((raw.limits as unknown[] | undefined) ?? []).map((w, i) => attempt(['limits', i], () => parseWindow(w), null)).filter((w): w is RateLimitWindow => w !== null);
  const tiers: Record<string, RateLimitWindow[]> = {};
  for (const [plan, list] of Object.entries((raw.tiers ?? {}) as Record<string, unknown[]>)) {
    tiers[plan] = list.map((w, i) => attempt(['tiers', plan, i], () => parseWindow(w), null)).filter((w): w is RateLimitWindow => w !== null);
  }
  let distinct: RateLimitRule['distinct'] = null;
  if (raw.distinct !== undefined) {
    const d = raw.distinct as Raw;
    const of = attempt(['distinct', 'of'], () => parseKeyPart(d.of as string), null);
    const periodMs = attempt(['distinct', 'per'], () => checkPeriod(parseDuration(d.per as string | number), String(d.per)), 0);
    if (of) distinct = { of, limit: d.limit as number, periodMs };
    if (of && key.some((k) => k.text === of.text)) fail(['distinct', 'of'], `"${of.text}" is also the rule's key: a key always touches exactly one value of itself`);
  }
  // on what was written: a window that failed to parse was reported already
  if ((raw.limits as unknown[] | undefined ?? []).length === 0 && raw.distinct === undefined && Object.keys((raw.tiers ?? {}) as object).length === 0) {
    fail([], 'a rule needs limits, tiers or distinct (otherwise it limits nothing)');
  }
  for (const w of windows) {
    if (w.burst !== null && w.burst > w.limit * 100) fail(['limits'], `burst ${w.burst} is more than 100 times the limit ${w.limit}; this is almost certainly a mistake`);
  }

  const maxDelayMs = attempt(['maxDelay'], () => parseDuration((raw.maxDelay as string | number | undefined) ?? '10s'), 0);
  let ban: RateLimitBan | null = null;
  if (raw.ban !== undefined) {
    const b = raw.ban as Raw;
    ban = {
      key: (b.key as RateLimitBan['key'] | undefined) ?? 'ip',
      after: (b.after as number | undefined) ?? 3,
      withinMs: attempt(['ban', 'within'], () => parseDuration((b.within as string | number | undefined) ?? '10m'), 0),
      durationsMs: ((b.durations as unknown[] | undefined) ?? ['1m', '10m', '1h', '1d']).map((d, i) => attempt(['ban', 'durations', i], () => parseDuration(d as string | number), 0)),
      resetAfterMs: attempt(['ban', 'resetAfter'], () => parseDuration((b.resetAfter as string | number | undefined) ?? '1d'), 0),
    };
  }
  const countStatus = Array.isArray(raw.countStatus) ? (raw.countStatus as number[]) : null;
  const action = (raw.action as RateLimitRule['action'] | undefined) ?? 'reject';
  if (countStatus && action === 'delay') {
    fail(['action'], 'a rule that counts by outcome cannot delay: the outcome is known only after the request was served; use reject');
  }

  if (!ok) return null;
  return {
    name: raw.name as string,
    match: {
      operations: ((match.operations as string[] | undefined) ?? []).map((op, i) => attempt(['match', 'operations', i], () => parseOperationRef(op), op)),
      tags: (match.tags as string[] | undefined) ?? [],
      methods: ((match.methods as string[] | undefined) ?? []).map((m) => m.toUpperCase()),
      classes: (match.classes as RateLimitRule['match']['classes'] | undefined) ?? [],
      upstreams: (match.upstreams as string[] | undefined) ?? [],
    },
    key,
    windows,
    tiers,
    distinct,
    cost: (raw.cost as number | undefined) ?? 1,
    countStatus,
    action,
    maxDelayMs,
    ban,
    onFailure: (raw.onFailure as RateLimitRule['onFailure'] | undefined) ?? 'local',
    dryRun: raw.dryRun === true,
    origin,
  };
}

/** The whole `rateLimits` section (schema defaults already filled in). */
export function parseRateLimits(raw: Raw, r: RuleReporter): RateLimitsConfig {
  const at = (...rest: Path): Path => ['rateLimits', ...rest];
  const attempt = reportingParser(r);
  const redis = (raw.redis ?? {}) as Raw;
  const subnet = (raw.subnet ?? {}) as Raw;
  const tarpit = (raw.tarpit ?? {}) as Raw;
  const rules: RateLimitRule[] = [];
  const names = new Map<string, number>();
  ((raw.rules as Raw[] | undefined) ?? []).forEach((rule, i) => {
    const parsed = parseRateLimitRule(rule, at('rules', i), `rateLimits.rules[${i}]`, r);
    const name = rule.name as string;
    const first = names.get(name);
    if (first !== undefined) r.report(at('rules', i, 'name'), `duplicate rule name '${name}' (first used by rules[${first}])`);
    else names.set(name, i);
    if (parsed) rules.push(parsed);
  });
  const url = (redis.url as string | undefined) ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(url)) r.report(at('redis', 'url'), `"${url}" is not a redis:// or rediss:// URL`);
  return {
    store: (raw.store as 'memory' | 'redis' | undefined) ?? 'memory',
    redis: {
      url,
      cluster: ((redis.cluster as string[] | undefined) ?? []).map((node, i) => attempt(at('redis', 'cluster', i), () => parseHostPort(node), '')),
      prefix: (redis.prefix as string | undefined) ?? 'aw:',
      timeoutMs: attempt(at('redis', 'timeout'), () => parseDuration((redis.timeout as string | number | undefined) ?? '50ms'), 50),
      localAllowance: (redis.localAllowance as number | undefined) ?? 1 / 16,
      leaseLifetimeMs: attempt(at('redis', 'leaseLifetime'), () => leaseLifetimeOf(redis.leaseLifetime as string | number | undefined), 10_000),
    },
    maxKeys: (raw.maxKeys as number | undefined) ?? 1_000_000,
    allow: ((raw.allow as string[] | undefined) ?? []).map((v, i) => attempt(at('allow', i), () => parseCidr(v), '')),
    subnet: { ipv4: (subnet.ipv4 as number | undefined) ?? 24, ipv6: (subnet.ipv6 as number | undefined) ?? 64 },
    tarpit: {
      maxHeld: (tarpit.maxHeld as number | undefined) ?? 1000,
      maxHeldPerClient: (tarpit.maxHeldPerClient as number | undefined) ?? 16,
    },
    bodyInspectBytes: attempt(at('bodyInspectBytes'), () => parseSize((raw.bodyInspectBytes as string | number | undefined) ?? '64kb'), 65536),
    costs: (raw.costs as Record<string, number> | undefined) ?? {},
    rules,
  };
}

function parseHostPort(value: string): string {
  const m = /^([^:\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new Error(`"${value}" is not a host:port`);
  return value;
}

/** a lease lives from a second to a minute: shorter, no client comes back within it; longer, it outlives bans and outages too long */
function leaseLifetimeOf(value: string | number | undefined): number {
  const ms = parseDuration(value ?? '10s');
  if (ms < 1000 || ms > 60_000) throw new Error(`a lease lifetime must be from 1s to 1m, got ${String(value)}`);
  return ms;
}
