/**
 * Reading the value of a key part (see config/rate-limits.ts) from one
 * request. A value that is absent makes the rule not apply to the request;
 * a value that is ambiguous (a repeated query parameter or header, whose
 * winner depends on the upstream's framework) refuses the request, because
 * limiting one copy while the upstream reads the other is a bypass.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import type { KeyPart } from '../config/types.ts';
import { subnetOf } from '../http/cidr.ts';
import type { Principal } from '../auth/types.ts';

export interface RequestFacts {
  clientIp: string;
  /** the operationId, or "METHOD path" for shadow requests, or '' */
  operation: string;
  /** percent-decoded path parameters of the matched operation, or null */
  params: Readonly<Record<string, string>> | null;
  /** raw query string without '?' */
  query: string;
  headers: IncomingHttpHeaders;
  rawHeaders: readonly string[];
  principal: Principal | null;
  /** the parsed body when a rule needs it: a JSON value, a form as a record, or undefined */
  body: unknown;
}

/** A value found, none, or a refusal. */
export type PartValue = string | null | typeof AMBIGUOUS;
export const AMBIGUOUS: unique symbol = Symbol('ambiguous');

export interface SubnetBits {
  ipv4: number;
  ipv6: number;
}

/** Values longer than this are hashed, so a key never holds an attacker's megabyte. */
const MAX_VALUE_LENGTH = 128;

export function readPart(part: KeyPart, facts: RequestFacts, subnet: SubnetBits): PartValue {
  switch (part.source) {
    case 'ip':
      return facts.clientIp;
    case 'subnet':
      return subnetOf(facts.clientIp, subnet.ipv4, subnet.ipv6);
    case 'global':
      return '*';
    case 'operation':
      return facts.operation === '' ? null : facts.operation;
    case 'principal':
      return facts.principal ? facts.principal.id : null;
    case 'apiKey':
      // the key's id, never the key itself: keys end up in events and stores
      return facts.principal?.method === 'apiKey' ? facts.principal.id : null;
    case 'claim': {
      const claim = facts.principal?.claims[part.name];
      return scalar(claim);
    }
    case 'path':
      return bounded(facts.params?.[part.name] ?? null);
    case 'query':
      return queryValue(facts.query, part.name);
    case 'header':
      return headerValue(facts.rawHeaders, part.name);
    case 'body':
      return bodyValue(facts.body, part.fieldPath);
  }
}

function scalar(value: unknown): string | null {
  if (typeof value === 'string') return bounded(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function bounded(value: string | null): string | null {
  if (value === null || value === '') return null;
  if (value.length <= MAX_VALUE_LENGTH) return value;
  return `sha256:${createHash('sha256').update(value).digest('base64url')}`;
}

/**
 * The single value of a query parameter. Names and values are
 * percent-decoded ('+' as space, as HTML forms and most frameworks do); a
 * name given twice is ambiguous (Express takes an array, PHP the last, many
 * Java frameworks the first).
 */
export function queryValue(query: string, name: string): PartValue {
  if (query === '') return null;
  let found: string | null = null;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    if (decode(rawName) !== name) continue;
    if (found !== null) return AMBIGUOUS;
    found = eq === -1 ? '' : decode(pair.slice(eq + 1));
  }
  return bounded(found);
}

function decode(text: string): string {
  const plus = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    // malformed escapes stay as written (the canonicaliser already refused bad ones in the path)
    return plus;
  }
}

/** The single value of a header (name lower-cased); repeated → ambiguous. */
function headerValue(rawHeaders: readonly string[], name: string): PartValue {
  let found: string | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== name) continue;
    if (found !== null) return AMBIGUOUS;
    found = rawHeaders[i + 1]!.trim();
  }
  return bounded(found);
}

function bodyValue(body: unknown, fieldPath: readonly string[]): string | null {
  let node = body;
  for (const field of fieldPath) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return null;
    if (!Object.hasOwn(node, field)) return null;
    node = (node as Record<string, unknown>)[field];
  }
  return scalar(node);
}
