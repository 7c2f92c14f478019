/**
 * The `alerts:` section of the policy file: a plain-object parser and
 * validator that returns typed options, every problem reported with the
 * path of its field (`alerts.sinks[2].routingKey: …`). Unknown keys are
 * errors, with a "did you mean" when one is close.
 *
 * It reports through the same `report(path, message)` interface as the
 * other sections (src/config/auth.ts), so the policy loader can pass its
 * Checker and get file and line positions; `loadAlertsConfig` is the
 * standalone form that throws `AlertsConfigError`.
 *
 * Secrets are references, as in src/config/auth.ts: the parsed config keeps
 * the variable's name or the file's path, never the secret, so it can be
 * logged or diffed; create-sinks.ts resolves them when the sinks are built.
 *
 * ```yaml
 * alerts:
 *   resolveAfter: 5m              # no signal for this long → resolved
 *   repeatInterval: 1h            # re-notify a firing alert at most this often
 *   groupWait: 10s                # first notification waits to collect more signals (0 = at once)
 *   groupBy: [operation]          # label names: rule + these labels make one alert
 *   maxNotificationsPerMinute: 30 # storm throttle across all alerts, then one digest a minute
 *   maxFiring: 10000              # firing alerts held at most
 *   maxResolvedKept: 1000         # resolved alerts kept for the alert list
 *   delivery:                     # defaults for every sink
 *     maxAttempts: 5
 *     backoff: 500ms              # first retry wait, doubled each time, with jitter
 *     maxBackoff: 30s
 *     queueSize: 1000             # per sink; past it the oldest waiting notification is dropped
 *     attemptTimeout: 30s
 *   sinks:
 *     - type: webhook
 *       name: soc                 # optional; default: the type (type-<index> when a type repeats)
 *       url: https://soc.example.com/hooks/apiwarden
 *       secret: { env: APIWARDEN_WEBHOOK_KEY }   # HMAC key; or { file: /run/secrets/key }
 *       minSeverity: medium       # optional: critical, high, medium, low, info (default info: all)
 *       kinds: [firing, resolved] # optional: firing, repeat, resolved, acknowledged, digest
 *       timeout: 10s              # optional, every sink
 *       delivery: { maxAttempts: 3 }   # optional, overrides alerts.delivery
 *     - type: slack
 *       url: { env: SLACK_WEBHOOK_URL }          # the URL is the credential: a secret reference
 *       link: https://warden.example.com/alerts/{fingerprint}
 *     - type: pagerduty
 *       routingKey: { file: /run/secrets/pagerduty-routing-key }
 *       url: https://events.pagerduty.com/v2/enqueue   # default
 *       source: gateway-eu1       # default: the host name
 *       minSeverity: high
 *     - type: alertmanager
 *       url: http://alertmanager:9093
 *     - type: syslog
 *       protocol: tcp             # udp or tcp (octet counting)
 *       host: siem.example.com
 *       port: 6514                # default 514
 *       facility: local0          # default local0
 *       hostname: gateway-eu1     # default: the host name
 *       appName: apiwarden
 *       maxMessageBytes: 8192     # default 2048 (udp) / 8192 (tcp)
 *     - type: email
 *       host: smtp.example.com
 *       port: 587                 # default 587, 465 with secure: true
 *       secure: false             # true: TLS from the start
 *       requireTls: true          # default true when a password is set
 *       user: alerts@example.com
 *       password: { env: SMTP_PASSWORD }
 *       from: apiwarden <alerts@example.com>
 *       to: [soc@example.com]
 * ```
 *
 * A secret is `{ env: NAME }` (preferred), `{ file: path }` (relative to the
 * policy file; one trailing newline is dropped) or `{ value: … }` (inline:
 * the secret then lives in the policy file).
 */
import { ApiwardenError } from '../errors.ts';
import { describeValue, didYouMean, fieldName } from '../config/policy-error.ts';
import { parseDuration, parseHttpUrl } from '../config/values.ts';
import { FACILITIES, type FacilityName } from './rfc5424.ts';
import { isSeverity } from './severity.ts';
import { NOTIFICATION_KINDS, SEVERITIES, type NotificationKind, type Severity } from './types.ts';

type Path = (string | number)[];
type Raw = Record<string, unknown>;

export interface AlertsReporter {
  report(path: Path, message: string): void;
}

export type AlertSecretRef = { env: string } | { file: string } | { value: string };

/** The same names as DeliveryOptions: pass it as createAlertManager's `delivery` or a SinkRoute's. */
export interface DeliveryConfig {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxQueue: number;
  attemptTimeoutMs: number;
}

interface SinkCommon {
  name: string;
  /** notifications below this severity are not sent to the sink */
  minSeverity: Severity;
  /** null: every kind the sink supports */
  kinds: NotificationKind[] | null;
  timeoutMs: number | null;
  /** only what the sink overrides */
  delivery: Partial<DeliveryConfig>;
}

export type SinkConfig = SinkCommon & (
  | { type: 'webhook'; url: string; secret: AlertSecretRef }
  | { type: 'slack'; url: AlertSecretRef; link: string | null }
  | { type: 'pagerduty'; url: string | null; routingKey: AlertSecretRef; source: string | null; link: string | null }
  | { type: 'alertmanager'; url: string; link: string | null }
  | { type: 'syslog'; protocol: 'udp' | 'tcp'; host: string; port: number; facility: FacilityName; hostname: string | null; appName: string; maxMessageBytes: number | null }
  | { type: 'email'; host: string; port: number | null; secure: boolean; requireTls: boolean | null; user: string | null; password: AlertSecretRef | null; from: string; to: string[]; link: string | null }
);

export type SinkType = SinkConfig['type'];
export const SINK_TYPES: readonly SinkType[] = ['webhook', 'slack', 'pagerduty', 'alertmanager', 'syslog', 'email'];

export interface AlertsConfig {
  resolveAfterMs: number;
  repeatIntervalMs: number;
  groupWaitMs: number;
  groupBy: string[];
  maxNotificationsPerMinute: number;
  maxFiring: number;
  maxResolvedKept: number;
  delivery: DeliveryConfig;
  sinks: SinkConfig[];
}

export const ALERTS_DEFAULTS = {
  resolveAfter: '5m',
  repeatInterval: '1h',
  groupWait: '10s',
  maxNotificationsPerMinute: 30,
  maxFiring: 10_000,
  maxResolvedKept: 1000,
  delivery: { maxAttempts: 5, backoff: '500ms', maxBackoff: '30s', queueSize: 1000, attemptTimeout: '30s' },
} as const;

const ROOT_KEYS = ['resolveAfter', 'repeatInterval', 'groupWait', 'groupBy', 'maxNotificationsPerMinute', 'maxFiring', 'maxResolvedKept', 'delivery', 'sinks'];
const DELIVERY_KEYS = ['maxAttempts', 'backoff', 'maxBackoff', 'queueSize', 'attemptTimeout'];
const COMMON_KEYS = ['type', 'name', 'minSeverity', 'kinds', 'timeout', 'delivery'];
const SINK_KEYS: Record<SinkType, string[]> = {
  webhook: ['url', 'secret'],
  slack: ['url', 'link'],
  pagerduty: ['url', 'routingKey', 'source', 'link'],
  alertmanager: ['url', 'link'],
  syslog: ['protocol', 'host', 'port', 'facility', 'hostname', 'appName', 'maxMessageBytes'],
  email: ['host', 'port', 'secure', 'requireTls', 'user', 'password', 'from', 'to', 'link'],
};

export class AlertsConfigError extends ApiwardenError {
  readonly problems: Array<{ field: string; message: string }>;
  constructor(problems: Array<{ field: string; message: string }>) {
    super('CONFIG_INVALID', problems.map((p) => `${p.field}: ${p.message}`).join('\n'));
    this.name = 'AlertsConfigError';
    this.problems = problems;
  }
}

/** Parses and validates; throws AlertsConfigError listing every problem. */
export function loadAlertsConfig(raw: unknown): AlertsConfig {
  const problems: Array<{ field: string; message: string }> = [];
  const config = parseAlerts(raw, { report: (path, message) => problems.push({ field: fieldName(path), message }) });
  if (problems.length > 0) throw new AlertsConfigError(problems);
  return config;
}

function isObject(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** A small reader bound to the reporter: each getter reports at the field's path and returns a fallback. */
function reader(r: AlertsReporter) {
  const unknownKeys = (raw: Raw, at: Path, allowed: readonly string[]) => {
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue;
      const guess = didYouMean(key, allowed);
      r.report([...at, key], `unknown field '${key}'${guess ? `; did you mean '${guess}'?` : ''} (allowed: ${allowed.join(', ')})`);
    }
  };
  const duration = (raw: Raw, at: Path, key: string, fallback: string | null, options: { allowZero?: boolean } = {}): number | null => {
    const value = raw[key] ?? fallback;
    if (value === null) return null;
    if (options.allowZero && (value === 0 || value === '0' || (typeof value === 'string' && /^0+(ms|s|m|h|d)$/.test(value)))) return 0;
    try {
      return parseDuration(value as string | number);
    } catch (err) {
      r.report([...at, key], (err as Error).message);
      return parseDuration(fallback ?? '1s');
    }
  };
  const integer = (raw: Raw, at: Path, key: string, fallback: number | null, min: number, max: number): number | null => {
    const value = raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      r.report([...at, key], `must be a whole number from ${min} to ${max} (got ${describeValue(value)})`);
      return fallback;
    }
    return value;
  };
  const text = (raw: Raw, at: Path, key: string, options: { required?: boolean; max?: number } = {}): string | null => {
    const value = raw[key];
    if (value === undefined) {
      if (options.required) r.report([...at, key], 'is required');
      return null;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      r.report([...at, key], `must be a non-empty string (got ${describeValue(value)})`);
      return null;
    }
    if (options.max !== undefined && value.length > options.max) {
      r.report([...at, key], `must be at most ${options.max} characters`);
      return null;
    }
    return value;
  };
  const bool = (raw: Raw, at: Path, key: string): boolean | null => {
    const value = raw[key];
    if (value === undefined) return null;
    if (typeof value !== 'boolean') {
      r.report([...at, key], `must be true or false (got ${describeValue(value)})`);
      return null;
    }
    return value;
  };
  const url = (raw: Raw, at: Path, key: string, required: boolean): string | null => {
    const value = text(raw, at, key, { required });
    if (value === null) return null;
    try {
      return parseHttpUrl(value, 'link');
    } catch (err) {
      r.report([...at, key], (err as Error).message);
      return null;
    }
  };
  /** a URL template with {fingerprint}: checked with the placeholder filled in */
  const link = (raw: Raw, at: Path): string | null => {
    const value = text(raw, at, 'link');
    if (value === null) return null;
    try {
      parseHttpUrl(value.replaceAll('{fingerprint}', '0123456789abcdef'), 'link');
      return value;
    } catch (err) {
      r.report([...at, 'link'], (err as Error).message);
      return null;
    }
  };
  const secret = (raw: Raw, at: Path, key: string, required: boolean): AlertSecretRef | null => {
    const value = raw[key];
    const here = [...at, key];
    const hint = "give exactly one of 'env' (an environment variable: keeps the secret out of the file), 'file' (a file holding the secret) or 'value'";
    if (value === undefined) {
      if (required) r.report(here, `is required; ${hint}`);
      return null;
    }
    if (!isObject(value)) {
      r.report(here, `must be a secret reference such as { env: NAME }, not ${describeValue(value)}; ${hint}`);
      return null;
    }
    const kinds = Object.keys(value);
    const unknown = kinds.filter((k) => !['env', 'file', 'value'].includes(k));
    if (unknown.length > 0 || kinds.length !== 1) {
      r.report(here, unknown.length > 0 ? `unknown field '${unknown[0]}'; ${hint}` : hint);
      return null;
    }
    const kind = kinds[0] as 'env' | 'file' | 'value';
    const v = value[kind];
    if (typeof v !== 'string' || v === '') {
      r.report([...here, kind], `must be a non-empty string (got ${describeValue(v)})`);
      return null;
    }
    if (kind === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      r.report([...here, 'env'], `"${v}" is not an environment variable name`);
      return null;
    }
    return kind === 'env' ? { env: v } : kind === 'file' ? { file: v } : { value: v };
  };
  const oneOf = <T extends string>(raw: Raw, at: Path, key: string, allowed: readonly T[], fallback: T | null): T | null => {
    const value = raw[key];
    if (value === undefined) {
      if (fallback === null) r.report([...at, key], `is required: one of ${allowed.join(', ')}`);
      return fallback;
    }
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
    r.report([...at, key], `must be one of ${allowed.join(', ')} (got ${describeValue(value)})${guess ? `; did you mean '${guess}'?` : ''}`);
    return fallback;
  };
  return { unknownKeys, duration, integer, text, bool, url, link, secret, oneOf };
}

function parseDelivery(raw: unknown, at: Path, r: AlertsReporter, withDefaults: boolean): Partial<DeliveryConfig> {
  if (raw === undefined) raw = {};
  if (!isObject(raw)) {
    r.report(at, `must be a mapping (got ${describeValue(raw)})`);
    return {};
  }
  const x = reader(r);
  x.unknownKeys(raw, at, DELIVERY_KEYS);
  const D = ALERTS_DEFAULTS.delivery;
  const out: Partial<DeliveryConfig> = {};
  const put = <K extends keyof DeliveryConfig>(k: K, v: number | null) => {
    if (v !== null) out[k] = v;
  };
  put('maxAttempts', x.integer(raw, at, 'maxAttempts', withDefaults ? D.maxAttempts : null, 1, 20));
  put('baseDelayMs', x.duration(raw, at, 'backoff', withDefaults ? D.backoff : null));
  put('maxDelayMs', x.duration(raw, at, 'maxBackoff', withDefaults ? D.maxBackoff : null));
  put('maxQueue', x.integer(raw, at, 'queueSize', withDefaults ? D.queueSize : null, 1, 100_000));
  put('attemptTimeoutMs', x.duration(raw, at, 'attemptTimeout', withDefaults ? D.attemptTimeout : null));
  if (out.baseDelayMs !== undefined && out.maxDelayMs !== undefined && out.baseDelayMs > out.maxDelayMs) {
    r.report([...at, 'maxBackoff'], 'must be at least backoff');
  }
  return out;
}

function parseSink(raw: unknown, at: Path, r: AlertsReporter): SinkConfig | null {
  if (!isObject(raw)) {
    r.report(at, `must be a mapping with a 'type' (got ${describeValue(raw)})`);
    return null;
  }
  const x = reader(r);
  const type = x.oneOf(raw, at, 'type', SINK_TYPES, null);
  if (type === null) return null;
  x.unknownKeys(raw, at, [...COMMON_KEYS, ...SINK_KEYS[type]]);

  let kinds: NotificationKind[] | null = null;
  if (raw.kinds !== undefined) {
    if (!Array.isArray(raw.kinds) || raw.kinds.length === 0) r.report([...at, 'kinds'], `must be a non-empty list of ${NOTIFICATION_KINDS.join(', ')}`);
    else {
      kinds = [];
      raw.kinds.forEach((k, i) => {
        if (typeof k === 'string' && (NOTIFICATION_KINDS as readonly string[]).includes(k)) kinds!.push(k as NotificationKind);
        else r.report([...at, 'kinds', i], `must be one of ${NOTIFICATION_KINDS.join(', ')} (got ${describeValue(k)})`);
      });
    }
  }
  const minSeverity = raw.minSeverity === undefined ? 'info' : x.oneOf(raw, at, 'minSeverity', SEVERITIES, 'info')!;
  const common: SinkCommon = {
    name: x.text(raw, at, 'name', { max: 64 }) ?? '',
    minSeverity: isSeverity(minSeverity) ? minSeverity : 'info',
    kinds,
    timeoutMs: x.duration(raw, at, 'timeout', null),
    delivery: raw.delivery === undefined ? {} : parseDelivery(raw.delivery, [...at, 'delivery'], r, false),
  };

  switch (type) {
    case 'webhook': {
      const url = x.url(raw, at, 'url', true);
      const secret = x.secret(raw, at, 'secret', true);
      return url && secret ? { ...common, type, url, secret } : null;
    }
    case 'slack': {
      if (typeof raw.url === 'string') {
        r.report([...at, 'url'], "a Slack webhook URL is a credential: write it as a secret reference, { env: SLACK_WEBHOOK_URL } (or { value: '…' })");
        return null;
      }
      const url = x.secret(raw, at, 'url', true);
      if (url && 'value' in url) {
        try {
          parseHttpUrl(url.value, 'link');
        } catch (err) {
          r.report([...at, 'url', 'value'], (err as Error).message);
        }
      }
      const link = x.link(raw, at);
      return url ? { ...common, type, url, link } : null;
    }
    case 'pagerduty': {
      const routingKey = x.secret(raw, at, 'routingKey', true);
      const url = x.url(raw, at, 'url', false);
      return routingKey ? { ...common, type, url, routingKey, source: x.text(raw, at, 'source', { max: 255 }), link: x.link(raw, at) } : null;
    }
    case 'alertmanager': {
      const url = x.url(raw, at, 'url', true);
      if (url && /\/api\/v[12]\/alerts\/?$/.test(url)) r.report([...at, 'url'], 'give the Alertmanager base URL (e.g. http://alertmanager:9093); /api/v2/alerts is added');
      return url ? { ...common, type, url, link: x.link(raw, at) } : null;
    }
    case 'syslog': {
      const protocol = x.oneOf(raw, at, 'protocol', ['udp', 'tcp'] as const, null);
      const host = x.text(raw, at, 'host', { required: true, max: 255 });
      const port = x.integer(raw, at, 'port', 514, 1, 65_535)!;
      const facility = x.oneOf(raw, at, 'facility', Object.keys(FACILITIES) as FacilityName[], 'local0')!;
      // RFC 5426 §3.2: every receiver accepts 480 bytes; a UDP payload cannot exceed 65 507
      const maxMessageBytes = x.integer(raw, at, 'maxMessageBytes', null, 480, protocol === 'tcp' ? 1_048_576 : 65_507);
      const hostname = x.text(raw, at, 'hostname', { max: 255 });
      const appName = x.text(raw, at, 'appName', { max: 48 }) ?? 'apiwarden';
      return protocol && host ? { ...common, type, protocol, host, port, facility, hostname, appName, maxMessageBytes } : null;
    }
    case 'email': {
      const host = x.text(raw, at, 'host', { required: true, max: 255 });
      const from = x.text(raw, at, 'from', { required: true, max: 320 });
      const user = x.text(raw, at, 'user', { max: 320 });
      const password = x.secret(raw, at, 'password', false);
      if (password && user === null) r.report([...at, 'password'], "a password needs a 'user'");
      const to: string[] = [];
      if (!Array.isArray(raw.to) || raw.to.length === 0) r.report([...at, 'to'], 'must list at least one recipient address');
      else raw.to.forEach((address, i) => {
        if (typeof address === 'string' && /^[^\s@]+@[^\s@]+$/.test(address.replace(/^.*<(.+)>\s*$/, '$1'))) to.push(address);
        else r.report([...at, 'to', i], `must be an e-mail address (got ${describeValue(address)})`);
      });
      const secure = x.bool(raw, at, 'secure') ?? false;
      const requireTls = x.bool(raw, at, 'requireTls');
      if (secure && requireTls === false) r.report([...at, 'requireTls'], 'secure: true always uses TLS; remove requireTls: false');
      const port = x.integer(raw, at, 'port', null, 1, 65_535);
      return host && from && to.length > 0 ? { ...common, type, host, port, secure, requireTls, user, password, from, to, link: x.link(raw, at) } : null;
    }
  }
}

/** Sink names: as given, else the type, or type-<index> when the type repeats. Duplicates are errors. */
function nameSinks(sinks: Array<{ sink: SinkConfig; index: number }>, r: AlertsReporter): void {
  const perType = new Map<string, number>();
  for (const { sink } of sinks) perType.set(sink.type, (perType.get(sink.type) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const { sink, index } of sinks) {
    const explicit = sink.name !== '';
    if (!explicit) sink.name = (perType.get(sink.type) ?? 0) > 1 ? `${sink.type}-${index}` : sink.type;
    const first = seen.get(sink.name);
    if (first !== undefined) {
      r.report(['alerts', 'sinks', index, 'name'], `'${sink.name}' is already the name of alerts.sinks[${first}]; give each sink its own name`);
    } else seen.set(sink.name, index);
  }
}

/** The `alerts:` section → typed options. Reports problems through `r`; the result is only meaningful when none were reported. */
export function parseAlerts(raw: unknown, r: AlertsReporter): AlertsConfig {
  const at: Path = ['alerts'];
  const x = reader(r);
  const D = ALERTS_DEFAULTS;
  if (raw === undefined || raw === null) raw = {};
  if (!isObject(raw)) {
    r.report(at, `must be a mapping (got ${describeValue(raw)})`);
    raw = {};
  }
  const root = raw as Raw;
  x.unknownKeys(root, at, ROOT_KEYS);

  const groupBy: string[] = [];
  if (root.groupBy !== undefined) {
    if (!Array.isArray(root.groupBy)) r.report([...at, 'groupBy'], `must be a list of label names (got ${describeValue(root.groupBy)})`);
    else root.groupBy.forEach((name, i) => {
      if (typeof name !== 'string' || name === '') r.report([...at, 'groupBy', i], `must be a label name (got ${describeValue(name)})`);
      else if (groupBy.includes(name)) r.report([...at, 'groupBy', i], `'${name}' is listed twice`);
      else groupBy.push(name);
    });
  }

  const sinks: Array<{ sink: SinkConfig; index: number }> = [];
  if (root.sinks !== undefined) {
    if (!Array.isArray(root.sinks)) r.report([...at, 'sinks'], `must be a list of sinks (got ${describeValue(root.sinks)})`);
    else root.sinks.forEach((s, index) => {
      const sink = parseSink(s, [...at, 'sinks', index], r);
      if (sink) sinks.push({ sink, index });
    });
  }
  nameSinks(sinks, r);

  return {
    resolveAfterMs: x.duration(root, at, 'resolveAfter', D.resolveAfter)!,
    repeatIntervalMs: x.duration(root, at, 'repeatInterval', D.repeatInterval)!,
    groupWaitMs: x.duration(root, at, 'groupWait', D.groupWait, { allowZero: true })!,
    groupBy,
    maxNotificationsPerMinute: x.integer(root, at, 'maxNotificationsPerMinute', D.maxNotificationsPerMinute, 1, 10_000)!,
    maxFiring: x.integer(root, at, 'maxFiring', D.maxFiring, 1, 1_000_000)!,
    maxResolvedKept: x.integer(root, at, 'maxResolvedKept', D.maxResolvedKept, 0, 1_000_000)!,
    delivery: parseDelivery(root.delivery, [...at, 'delivery'], r, true) as DeliveryConfig,
    sinks: sinks.map((s) => s.sink),
  };
}
