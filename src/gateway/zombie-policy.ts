import type { RetiredPrefix, SunsetEntry, UpstreamConfig } from '../config/types.ts';
import type { Operation } from '../openapi/types.ts';

/**
 * What the gateway does with a zombie: serve it with deprecation headers
 * until its sunset, then answer 410 Gone. Header values are rendered once,
 * at compile time.
 */
export interface ZombiePolicy {
  /** why this is a zombie, for events and logs */
  reason: 'deprecated-operation' | 'retired-prefix';
  /** epoch ms from which it is gone; Infinity = no sunset announced, -Infinity = gone already */
  sunsetAt: number;
  /** response headers added while it is still served (flat name/value list) */
  headers: readonly string[];
  /**
   * retired prefix only: served without credentials until its sunset (a
   * request under a retired prefix matches no operation, so no security
   * requirement can apply; without this it is denied in enforce mode)
   */
  isPublic: boolean;
}

/**
 * The `Deprecation` header needs a date (RFC 9745 §2.1). When neither the
 * policy nor the document (`x-deprecated-at`) gives one, the time this
 * process first compiled a plan stands in: any past date tells the client
 * the resource is deprecated now, and it stays stable across reloads.
 */
const PROCESS_START = Date.now();

export function compileRetiredPolicy(retired: RetiredPrefix): ZombiePolicy {
  const policy = { ...build('retired-prefix', retired.sunset, null, retired.link), isPublic: retired.isPublic };
  // a retired prefix without a sunset date is retired already: gone now
  return retired.sunset ? policy : { ...policy, sunsetAt: -Infinity };
}

/** The policy for a deprecated operation, or null when the operation is alive. */
export function compileOperationPolicy(operation: Operation, upstream: UpstreamConfig): ZombiePolicy | null {
  const entry = findSunsetEntry(operation, upstream.sunsets);
  if (!operation.deprecated && !entry) return null;
  const sunset = entry?.sunset ?? parseExtensionDate(operation.extensions['x-sunset']);
  const deprecatedAt = entry?.deprecatedAt ?? parseExtensionDate(operation.extensions['x-deprecated-at']);
  return build('deprecated-operation', sunset, deprecatedAt, entry?.link ?? null);
}

function findSunsetEntry(operation: Operation, entries: readonly SunsetEntry[]): SunsetEntry | undefined {
  const key = `${operation.method} ${operation.template}`;
  const documentKey = `${operation.method} ${operation.documentPath}`;
  return entries.find((e) => e.operation === operation.operationId || e.operation === key || e.operation === documentKey);
}

function parseExtensionDate(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function build(reason: ZombiePolicy['reason'], sunset: Date | null, deprecatedAt: Date | null, link: string | null): ZombiePolicy {
  const since = deprecatedAt?.getTime() ?? Math.min(PROCESS_START, sunset?.getTime() ?? PROCESS_START);
  // RFC 9745 §2.1: Deprecation is an RFC 9651 Date, "@" + integer seconds
  const headers = ['deprecation', `@${Math.floor(since / 1000)}`];
  // RFC 8594 §3: Sunset is an HTTP-date (IMF-fixdate, which toUTCString gives)
  if (sunset) headers.push('sunset', sunset.toUTCString());
  if (link) {
    const rel = sunset ? 'sunset' : 'deprecation';
    headers.push('link', `<${link}>; rel="${rel}"`);
  }
  return { reason, sunsetAt: sunset ? sunset.getTime() : Infinity, headers, isPublic: false };
}
