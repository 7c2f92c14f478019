/**
 * Loading the policy file: YAML (with positions) → JSON Schema check (shape,
 * types, unknown keys, defaults) → value parsing and cross-field checks →
 * `PolicyConfig`. Every problem found is collected with file, line, column
 * and field; nothing is returned unless there are none.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { locateYamlNode, type Positioned } from './yaml-locate.ts';
import { describeValue, didYouMean, fieldName, PolicyError, type PolicyProblem } from './policy-error.ts';
import { parseAlerts } from '../alerts/config.ts';
import { parseAuth } from './auth.ts';
import { parseKeyPart, parseRateLimits } from './rate-limits.ts';
import { policySchema } from './schema.ts';
import type { AdminConfig, BusConfig, ListenerConfig, LoginConfig, StoreConfig, Mode, PolicyConfig, RetiredPrefix, SunsetEntry, UpstreamConfig } from './types.ts';
import {
  canonicalIp, isIpAddress, parseCidr, parseDate, parseDuration, parseHostPattern, parseHttpUrl,
  parseOperationRef, parsePathPrefix, parseSize,
} from './values.ts';

export { PolicyError, type PolicyProblem } from './policy-error.ts';
export { parseDuration, parseSize } from './values.ts';

type Path = (string | number)[];
/** What we need of a YAML node: where it starts. */

// Compiled once. useDefaults fills the schema's defaults into the parsed data.
const validate = new Ajv({ allErrors: true, verbose: true, useDefaults: true, allowUnionTypes: true, strict: true })
  .compile(policySchema);

/** Collects problems and finds their position through the YAML document. */
class Checker {
  readonly problems: PolicyProblem[] = [];
  readonly #file: string;
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(file: string, doc: Document, lines: LineCounter) {
    this.#file = file;
    this.#doc = doc;
    this.#lines = lines;
  }

  /**
   * Reports a problem at the value of `path` (or its key). When `path` is not
   * written in the file (a default, a missing field), the nearest written
   * parent is used. `field` defaults to `path`.
   */
  report(path: Path, message: string, options: { at?: 'key' | 'value'; field?: Path } = {}): void {
    const offset = this.#offset(path, options.at ?? 'value');
    const { line, col } = this.#lines.linePos(offset);
    this.problems.push({ file: this.#file, line, column: col, field: fieldName(options.field ?? path), message });
  }

  /** Runs a value parser; the reason it throws becomes a problem at `path`. */
  convert<T>(path: Path, parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (err) {
      this.report(path, (err as Error).message);
      return fallback;
    }
  }

  /** Whether `path` is written in the file (rather than filled in by a default). */
  has(path: Path): boolean {
    return this.#locate(path).found;
  }

  /** The line of `path`, for "first defined at line N". */
  lineOf(path: Path): number {
    return this.#lines.linePos(this.#offset(path, 'value')).line;
  }

  #offset(path: Path, at: 'key' | 'value'): number {
    const { node, key } = this.#locate(path);
    // An empty value (`port:`) has its range after the colon; the key reads better.
    const isEmpty = isScalar(node) && node.value === null && !node.source;
    const target = at === 'key' || isEmpty ? (key ?? node) : node;
    return target?.range?.[0] ?? 0;
  }

  /** The YAML node written at `path` and its key, or the nearest written parent. */
  #locate(path: Path): { node: Positioned | null; key: Positioned | null; found: boolean } {
    return locateYamlNode(this.#doc, path);
  }
}

// ---------------------------------------------------------------------------
// JSON Schema errors → problems

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false',
  array: 'a list', object: 'a mapping', null: 'empty',
};

/** "/upstreams/0/url" → ['upstreams', 0, 'url'] (RFC 6901 unescaping). */
function pointerToPath(pointer: string): Path {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => {
    const segment = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(segment) ? Number(segment) : segment;
  });
}

function reportSchemaErrors(c: Checker, errors: readonly ErrorObject[]): void {
  // `upstream:` written for `upstreams:` is one mistake: report the unknown
  // key with its suggestion, not also "upstreams is required".
  const suggested = new Set<string>();
  for (const err of errors) {
    if (err.keyword !== 'additionalProperties') continue;
    const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const guess = didYouMean(String(err.params.additionalProperty), known);
    if (guess) suggested.add(`${err.instancePath}/${guess}`);
  }
  for (const err of errors) {
    if (err.keyword === 'required' && suggested.has(`${err.instancePath}/${String(err.params.missingProperty)}`)) continue;
    reportSchemaError(c, err);
  }
}

function reportSchemaError(c: Checker, err: ErrorObject): void {
  const path = pointerToPath(err.instancePath);
  const schema = (err.parentSchema ?? {}) as {
    description?: string; type?: string | string[]; minimum?: number; maximum?: number; properties?: object;
  };
  const got = describeValue(err.data);
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = String(err.params.additionalProperty);
      const known = Object.keys(schema.properties ?? {});
      const guess = didYouMean(name, known);
      const hint = guess ? ` (did you mean '${guess}'?)` : `; expected one of: ${known.join(', ')}`;
      c.report([...path, name], `unknown field '${name}'${hint}`, { at: 'key' });
      return;
    }
    case 'required':
      c.report(path, 'is required', { field: [...path, String(err.params.missingProperty)] });
      return;
    case 'type': {
      const types = ([] as string[]).concat(schema.type ?? []).map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      const subject = path.length === 0 ? 'the policy file must be' : 'must be';
      c.report(path, `${subject} ${schema.description ?? types} (got ${got})`);
      return;
    }
    case 'enum': {
      const allowed = (err.params.allowedValues as unknown[]).map((v) => `'${String(v)}'`);
      const guess = typeof err.data === 'string'
        ? didYouMean(err.data, (err.params.allowedValues as unknown[]).map(String))
        : undefined;
      c.report(path, `must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)} (got ${got})${guess ? `; did you mean '${guess}'?` : ''}`);
      return;
    }
    case 'minimum':
    case 'maximum': {
      const range = schema.minimum !== undefined && schema.maximum !== undefined
        ? `between ${schema.minimum} and ${schema.maximum}`
        : schema.minimum !== undefined ? `at least ${schema.minimum}` : `at most ${schema.maximum}`;
      c.report(path, `must be ${range} (got ${String(err.data)})`);
      return;
    }
    case 'minItems':
      c.report(path, 'must list at least one entry');
      return;
    case 'minLength':
      c.report(path, 'must not be empty');
      return;
    case 'pattern':
      c.report(path, `must be ${schema.description ?? `a string matching ${String(err.params.pattern)}`} (got ${got})`);
      return;
    default:
      c.report(path, err.message ?? 'is invalid');
  }
}

// ---------------------------------------------------------------------------
// Parsed data → PolicyConfig

type Raw = Record<string, unknown>;
const asRecord = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isText = (v: unknown): v is string => typeof v === 'string';
const isAmount = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
const INVALID_DATE = new Date(Number.NaN);

/** 10000 → "10s", for messages. */
function formatMs(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** 2026-01-01 for a midnight UTC date, the full ISO form otherwise, for messages. */
function formatDate(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/**
 * The checks the schema cannot express. Values of the wrong type were
 * already reported by the schema and are skipped here; an invalid value
 * becomes NaN, an invalid date or '' so that cross-field checks stay quiet
 * about it (the result is discarded when there is any problem).
 */
class Compiler {
  readonly #c: Checker;
  readonly #base: string;
  /** upstreams with an invalid host or pathPrefix, left out of the routing check */
  readonly #unroutable = new Set<number>();

  constructor(c: Checker, base: string) {
    this.#c = c;
    this.#base = base;
  }

  duration(path: Path, raw: unknown): number {
    return isAmount(raw) ? this.#c.convert(path, () => parseDuration(raw), Number.NaN) : Number.NaN;
  }

  size(path: Path, raw: unknown): number {
    return isAmount(raw) ? this.#c.convert(path, () => parseSize(raw), Number.NaN) : Number.NaN;
  }

  date(path: Path, raw: unknown): Date | null {
    if (raw === undefined) return null;
    return isText(raw) ? this.#c.convert(path, () => parseDate(raw), INVALID_DATE) : INVALID_DATE;
  }

  link(path: Path, raw: unknown): string | null {
    if (raw === undefined) return null;
    return isText(raw) ? this.#c.convert(path, () => parseHttpUrl(raw, 'link'), '') : '';
  }

  /** A path relative to the policy file's folder. */
  file(raw: unknown): string {
    return isText(raw) ? resolve(this.#base, raw) : '';
  }

  postgres(raw: unknown): StoreConfig['postgres'] {
    if (raw === undefined || raw === null) return null;
    const pg = asRecord(raw);
    const url = asRecord(pg.url);
    if (!isText(url.env) && !isText(url.value)) this.#c.report(['store', 'postgres', 'url'], "needs 'env' (the name of an environment variable holding the URL, which may carry a password) or 'value'");
    return {
      url: { env: isText(url.env) ? url.env : null, value: isText(url.value) ? url.value : null },
      schema: pg.schema as string,
      poolSize: pg.poolSize as number,
    };
  }

  bus(raw: unknown): BusConfig {
    const bus = asRecord(raw);
    if (bus.nats === undefined || bus.nats === null) return { nats: null };
    const nats = asRecord(bus.nats);
    const spool = asRecord(nats.spool);
    return {
      nats: {
        servers: asList(nats.servers).filter(isText),
        stream: nats.stream as string,
        subject: nats.subject as string,
        decisions: nats.decisions as string,
        durable: nats.durable as string,
        spool: { dir: this.file(spool.dir), maxBytes: this.size(['bus', 'nats', 'spool', 'maxBytes'], spool.maxBytes) },
      },
    };
  }

  admin(raw: unknown): AdminConfig | null {
    if (raw === undefined || raw === null) return null;
    const admin = asRecord(raw);
    const listen = asRecord(admin.listen);
    const token = asRecord(admin.token);
    if (!isText(token.env) && !isText(token.value)) this.#c.report(['admin', 'token'], "needs 'env' (the name of an environment variable holding the token) or 'value'");
    if (isText(token.value) && token.value.length < 16) this.#c.report(['admin', 'token', 'value'], 'is too short to guard the console: use at least 16 characters (e.g. openssl rand -hex 24)');
    return {
      host: isText(listen.host) ? listen.host : '127.0.0.1',
      port: typeof listen.port === 'number' ? listen.port : 9090,
      token: { env: isText(token.env) ? token.env : null, value: isText(token.value) ? token.value : null },
    };
  }

  login(raw: Raw, index: number): LoginConfig {
    const account = isText(raw.account)
      ? this.#c.convert(['detection', 'logins', index, 'account'], () => {
        const part = parseKeyPart(raw.account as string);
        if (part.source !== 'body' && part.source !== 'query' && part.source !== 'header') {
          throw new Error(`the account tried is read from the request: use body.<field>, query.<name> or header.<name>, not "${part.text}"`);
        }
        return part;
      }, null)
      : null;
    return { operations: asList(raw.operations).filter(isText), account };
  }

  policy(raw: Raw): PolicyConfig {
    const c = this.#c;
    const mode = raw.mode as Mode;
    const limits = asRecord(raw.limits);
    const store = asRecord(raw.store);
    const discovery = asRecord(raw.discovery);
    const detection = asRecord(raw.detection);
    const accessLog = isText(raw.accessLog) ? raw.accessLog : 'stdout';

    const headersTimeoutMs = this.duration(['limits', 'headersTimeout'], limits.headersTimeout);
    const requestTimeoutMs = this.duration(['limits', 'requestTimeout'], limits.requestTimeout);
    // Node's http server refuses requestTimeout < headersTimeout (ERR_OUT_OF_RANGE) at start-up.
    if (requestTimeoutMs < headersTimeoutMs) {
      const at = c.has(['limits', 'requestTimeout']) ? 'requestTimeout' : 'headersTimeout';
      c.report(['limits', at], `requestTimeout (${formatMs(requestTimeoutMs)}) must be at least headersTimeout (${formatMs(headersTimeoutMs)}): the whole request cannot take less time than its head`);
    }

    const trusted = asList(raw.trustedProxies).map((v, i) =>
      isText(v) ? c.convert(['trustedProxies', i], () => parseCidr(v), '') : '');

    return {
      source: '', // set by parsePolicy
      mode,
      listeners: this.listeners(asList(raw.listeners)),
      upstreams: this.upstreams(asList(raw.upstreams), mode),
      trustedProxies: [...new Set(trusted)],
      limits: {
        headerBytes: this.size(['limits', 'headerBytes'], limits.headerBytes),
        bodyBytes: this.size(['limits', 'bodyBytes'], limits.bodyBytes),
        headersTimeoutMs,
        requestTimeoutMs,
        keepAliveTimeoutMs: this.duration(['limits', 'keepAliveTimeout'], limits.keepAliveTimeout),
        minBodyBytesPerSecond: limits.minBodyRate as number,
        slowReadTimeoutMs: this.duration(['limits', 'slowReadTimeout'], limits.slowReadTimeout),
        connectionsPerClient: limits.connectionsPerClient as number,
      },
      store: {
        sqlite: store.sqlite === ':memory:' ? ':memory:' : this.file(store.sqlite),
        postgres: this.postgres(store.postgres),
        flushIntervalMs: this.duration(['store', 'flushInterval'], store.flushInterval),
      },
      accessLog: { target: accessLog === 'stdout' || accessLog === 'off' ? accessLog : this.file(accessLog) },
      detection: {
        enabled: detection.enabled as boolean,
        ruleFiles: asList(detection.rules).map((f) => this.file(f)),
        builtins: detection.builtins as boolean,
        evaluateEveryMs: this.duration(['detection', 'evaluateEvery'], detection.evaluateEvery),
        maxIdentities: detection.maxIdentities as number,
        logins: asList(detection.logins).map((l, i) => this.login(asRecord(l), i)),
        autoLogins: detection.autoLogins as boolean,
      },
      alerts: parseAlerts(raw.alerts, c),
      admin: this.admin(raw.admin),
      bus: this.bus(raw.bus),
      discovery: {
        enabled: discovery.enabled as boolean,
        sampleRate: discovery.sampleRate as number,
        maxBodyBytes: this.size(['discovery', 'maxBodyBytes'], discovery.maxBodyBytes),
        maxEndpoints: discovery.maxEndpoints as number,
        saveIntervalMs: this.duration(['discovery', 'saveInterval'], discovery.saveInterval),
      },
      rejectMatrixParams: raw.rejectMatrixParams as boolean,
      forwardedHeaders: raw.forwardedHeaders as PolicyConfig['forwardedHeaders'],
      rateLimits: parseRateLimits(asRecord(raw.rateLimits), c),
      auth: parseAuth(asRecord(raw.auth), c),
    };
  }

  listeners(raws: unknown[]): ListenerConfig[] {
    const c = this.#c;
    const seen = new Map<string, number>();
    return raws.map((item, i) => {
      const raw = asRecord(item);
      const host = isText(raw.host) ? raw.host : '127.0.0.1';
      if (isText(raw.host) && host !== 'localhost' && !isIpAddress(host)) {
        const hint = /^\[.*\]$/.test(host)
          ? `; write the IPv6 address without brackets: ${host.slice(1, -1)}`
          : "; to serve a host name, listen on 0.0.0.0 or :: and route with upstreams[].hosts";
        c.report(['listeners', i, 'host'], `must be an IP address or 'localhost' (got "${host}")${hint}`);
      }
      let workers = 1;
      if (typeof raw.workers === 'number') workers = raw.workers;
      else if (raw.workers === 'auto') workers = availableParallelism();
      else if (isText(raw.workers)) c.report(['listeners', i, 'workers'], `must be a number of workers (1 or more) or 'auto' (got "${raw.workers}")`);
      const port = raw.port as number;
      // Port 0 asks the system for a free port, so several such listeners never clash.
      if (typeof port === 'number' && port !== 0) {
        const id = `${isIpAddress(host) ? canonicalIp(host) : host}:${port}`;
        const first = seen.get(id);
        if (first === undefined) seen.set(id, i);
        else {
          const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
          c.report(['listeners', i, 'port'], `${address} is already used by listeners[${first}] (line ${c.lineOf(['listeners', first])})`);
        }
      }
      let tls: ListenerConfig['tls'] = null;
      if (raw.tls !== undefined) {
        const t = asRecord(raw.tls);
        const file = (key: string): string => {
          const f = this.file(t[key]);
          if (f && !statSync(f, { throwIfNoEntry: false })?.isFile()) c.report(['listeners', i, 'tls', key], `file not found: ${f}`);
          return f;
        };
        const clientCertificates = (t.clientCertificates as 'none' | 'request' | 'require' | undefined) ?? 'none';
        tls = { cert: file('cert'), key: file('key'), ca: t.ca === undefined ? null : file('ca'), clientCertificates };
        if (clientCertificates !== 'none' && tls.ca === null) c.report(['listeners', i, 'tls', 'clientCertificates'], "client certificates need 'ca': the CA certificates they must chain to");
      }
      return { host, port, workers, tls };
    });
  }

  upstreams(raws: unknown[], globalMode: Mode): UpstreamConfig[] {
    const c = this.#c;
    const upstreams = raws.map((item, i) => this.upstream(asRecord(item), i, globalMode));

    const names = new Map<string, number>();
    upstreams.forEach((u, i) => {
      if (!u.name) return;
      const first = names.get(u.name);
      if (first === undefined) names.set(u.name, i);
      else c.report(['upstreams', i, 'name'], `duplicate upstream name '${u.name}' (first used by upstreams[${first}], line ${c.lineOf(['upstreams', first])})`);
    });

    // Two upstreams that could both claim one request make routing depend on
    // file order. A specific host beats "any host" and a longer pathPrefix a
    // shorter one, so only equal prefixes with a shared host (or both "any") clash.
    upstreams.forEach((u, j) => {
      if (this.#unroutable.has(j)) return;
      for (let i = 0; i < j; i++) {
        if (this.#unroutable.has(i)) continue;
        const other = upstreams[i]!;
        if (other.pathPrefix !== u.pathPrefix) continue;
        const shared = u.hosts.find((h) => other.hosts.includes(h));
        if (u.hosts.length === 0 && other.hosts.length === 0) {
          const at: Path = c.has(['upstreams', j, 'pathPrefix']) ? ['upstreams', j, 'pathPrefix'] : ['upstreams', j];
          c.report(at, `routing is ambiguous: upstreams[${i}] ('${other.name}', line ${c.lineOf(['upstreams', i])}) also serves any host under pathPrefix '${u.pathPrefix}'; give one of them hosts or a different pathPrefix`, { field: ['upstreams', j, 'pathPrefix'] });
          return;
        }
        if (shared !== undefined) {
          const k = u.hosts.indexOf(shared);
          c.report(['upstreams', j, 'hosts', k], `routing is ambiguous: upstreams[${i}] ('${other.name}', line ${c.lineOf(['upstreams', i])}) also serves host '${shared}' under pathPrefix '${u.pathPrefix}'; use a different host or pathPrefix`);
          return;
        }
      }
    });
    return upstreams;
  }

  upstream(raw: Raw, i: number, globalMode: Mode): UpstreamConfig {
    const c = this.#c;
    const at = (...rest: Path): Path => ['upstreams', i, ...rest];

    const url = isText(raw.url) ? c.convert(at('url'), () => parseHttpUrl(raw.url as string, 'upstream'), '') : '';

    // `openapi` may be one path or a list; each must name an existing file.
    const specs: Array<{ path: Path; value: unknown }> = isText(raw.openapi)
      ? [{ path: at('openapi'), value: raw.openapi }]
      : asList(raw.openapi).map((value, k) => ({ path: at('openapi', k), value }));
    const openapi = specs.filter((s) => isText(s.value) && s.value !== '').map((s) => {
      const file = this.file(s.value);
      const stat = statSync(file, { throwIfNoEntry: false });
      if (!stat) c.report(s.path, `OpenAPI file not found: ${file}`);
      else if (!stat.isFile()) c.report(s.path, `OpenAPI path is not a file: ${file}`);
      return file;
    });

    const problemsBefore = c.problems.length;
    const hosts = asList(raw.hosts).map((h, k) =>
      isText(h) ? c.convert(at('hosts', k), () => parseHostPattern(h), '') : '');
    const pathPrefix = isText(raw.pathPrefix) ? c.convert(at('pathPrefix'), () => parsePathPrefix(raw.pathPrefix as string), '') : '';
    if (c.problems.length > problemsBefore || !pathPrefix) this.#unroutable.add(i);

    return {
      name: isText(raw.name) ? raw.name : '',
      url,
      openapi,
      hosts: [...new Set(hosts)],
      pathPrefix,
      stripPrefix: raw.stripPrefix as boolean,
      mode: (raw.mode as Mode | undefined) ?? globalMode,
      retired: this.retired(asList(raw.retired), at, raw.stripPrefix === true || !pathPrefix ? '/' : pathPrefix),
      sunsets: this.sunsets(asList(raw.sunsets), at),
      shadowStatus: asRecord(raw.shadow).status as number,
      connections: raw.connections as number,
      timeoutMs: this.duration(at('timeout'), raw.timeout),
      bodyTimeoutMs: this.duration(at('bodyTimeout'), raw.bodyTimeout),
    };
  }

  /**
   * `routePrefix`: the pathPrefix when it is part of the paths the gateway
   * matches retired prefixes against (the route path: the request path, or
   * what remains of it after stripPrefix), '/' otherwise.
   */
  retired(raws: unknown[], at: (...rest: Path) => Path, routePrefix: string): RetiredPrefix[] {
    const c = this.#c;
    const seen = new Map<string, number>();
    return raws.map((item, k) => {
      const raw = asRecord(item);
      let prefix = '';
      if (isText(raw.prefix)) {
        prefix = c.convert(at('retired', k, 'prefix'), () => parsePathPrefix(raw.prefix as string), '');
        // Without stripPrefix, only paths under pathPrefix reach this
        // upstream, so a retired prefix outside it could never match.
        const inside = routePrefix === '/' || prefix === routePrefix || prefix.startsWith(`${routePrefix}/`);
        if (prefix && !inside) {
          c.report(at('retired', k, 'prefix'), `"${prefix}" is outside this upstream's pathPrefix "${routePrefix}" and would never match; write the full request path, e.g. "${routePrefix}${prefix === '/' ? '' : prefix}" (or set stripPrefix: true)`);
        }
        const first = seen.get(prefix);
        if (prefix && first !== undefined) c.report(at('retired', k, 'prefix'), `"${prefix}" is already listed at retired[${first}]`);
        else seen.set(prefix, k);
      }
      return {
        prefix,
        sunset: this.date(at('retired', k, 'sunset'), raw.sunset),
        link: this.link(at('retired', k, 'link'), raw.link),
        isPublic: raw.public === true,
      };
    });
  }

  sunsets(raws: unknown[], at: (...rest: Path) => Path): SunsetEntry[] {
    const c = this.#c;
    const seen = new Map<string, number>();
    return raws.map((item, k) => {
      const raw = asRecord(item);
      let operation = '';
      if (isText(raw.operation) && raw.operation !== '') {
        operation = c.convert(at('sunsets', k, 'operation'), () => parseOperationRef(raw.operation as string), '');
        const first = seen.get(operation);
        if (operation && first !== undefined) c.report(at('sunsets', k, 'operation'), `"${operation}" already has a schedule at sunsets[${first}]`);
        else seen.set(operation, k);
      }
      const sunset = this.date(at('sunsets', k, 'sunset'), raw.sunset) ?? INVALID_DATE;
      const deprecatedAt = this.date(at('sunsets', k, 'deprecatedAt'), raw.deprecatedAt);
      if (deprecatedAt && deprecatedAt.getTime() >= sunset.getTime()) {
        c.report(at('sunsets', k, 'deprecatedAt'), `must be before sunset (deprecatedAt ${formatDate(deprecatedAt)}, sunset ${formatDate(sunset)})`);
      }
      return { operation, sunset, deprecatedAt, link: this.link(at('sunsets', k, 'link'), raw.link) };
    });
  }
}

// ---------------------------------------------------------------------------

/**
 * Parses and validates the text of a policy file. `source` is the file's
 * path: it names the file in messages, and relative paths inside are
 * resolved against its folder. Throws `PolicyError` listing every problem.
 */
export function parsePolicy(text: string, source: string): PolicyConfig {
  const file = resolve(source);
  const lines = new LineCounter();
  // The core schema even under a `%YAML 1.1` directive: no yes/no booleans,
  // and dates stay strings so 2025-02-30 is refused instead of becoming March 2.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, schema: 'core', uniqueKeys: true });
  const c = new Checker(file, doc, lines);

  // Syntax problems make the rest meaningless: report them alone.
  for (const err of [...doc.errors, ...doc.warnings]) {
    const { line, col } = lines.linePos(err.pos[0]);
    // The yaml library says "Map keys must be unique" without naming the key.
    const duplicate = err.code === 'DUPLICATE_KEY' ? /^("[^"\n]*"|'[^'\n]*'|[^:\n]+?)\s*:/.exec(text.slice(err.pos[0])) : null;
    const message = duplicate
      ? `duplicate key '${duplicate[1]!.replace(/^["']|["']$/g, '')}': a key may appear only once in a mapping`
      : `invalid YAML: ${err.message.split('\n')[0]!}`;
    c.problems.push({ file, line, column: col, field: '', message });
  }
  visit(doc, {
    Alias(_, alias) {
      if (!alias.resolve(doc)) {
        const { line, col } = lines.linePos(alias.range?.[0] ?? 0);
        c.problems.push({ file, line, column: col, field: '', message: `alias *${alias.source} has no anchor &${alias.source} before it` });
      }
    },
    // An explicit !!timestamp tag still yields a Date; keep the written text
    // so the date checks see what the user wrote.
    Scalar(_, scalar) {
      if (scalar.value instanceof Date && scalar.source) scalar.value = scalar.source;
    },
  });
  if (c.problems.length > 0) throw new PolicyError(c.problems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new PolicyError([{ file, line: 1, column: 1, field: '', message: (err as Error).message }], { cause: err });
  }
  if (data === null || data === undefined) {
    throw new PolicyError([{ file, line: 1, column: 1, field: '', message: 'the policy file is empty; it needs at least listeners and upstreams' }]);
  }

  if (!validate(data)) {
    reportSchemaErrors(c, validate.errors ?? []);
  }
  const policy = new Compiler(c, dirname(file)).policy(asRecord(data));
  if (c.problems.length > 0) throw new PolicyError(c.problems);
  return { ...policy, source: file };
}

/** Reads and validates a policy file (see `parsePolicy`). */
export async function loadPolicy(file: string): Promise<PolicyConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new PolicyError([{ file: path, line: 0, column: 0, field: '', message: `cannot read the policy file: ${reason}` }], { cause: err });
  }
  return parsePolicy(text, path);
}
