/**
 * Sensitive-looking fields in response schemas: personal data and secrets
 * that an unauthenticated operation must not hand out. The reference
 * incident (DESIGN.md) was an account lookup answering with account and
 * device details for a phone number.
 *
 * Names are compared after lower-casing and removing "_", "-", "." and
 * spaces, so `phone_number`, `phoneNumber` and `Phone-Number` are one name.
 * A name matches when it is one of EXACT, or ends with one of SUFFIXES
 * (`receipt_email`, `client_secret`). Besides names, `format: email`,
 * `format: password` and a `pattern` that accepts E.164 phone numbers and
 * rejects words mark a field. A heuristic: it says "look here", not "this
 * leaks".
 */

import { isRecord } from '../openapi/util.ts';
import { escapePointerSegment } from './json-pointer.ts';

export type SensitiveKind = 'contact' | 'government-id' | 'birth-date' | 'credential' | 'financial';

export interface SensitiveField {
  /** where in the response body, e.g. "data[].email" ("(body)" for the body itself) */
  path: string;
  kind: SensitiveKind;
  /** pointer to the property's schema in the dereferenced document */
  pointer: string;
  /** what gave it away */
  reason: 'name' | 'format' | 'pattern';
}

const EXACT: ReadonlyMap<string, SensitiveKind> = new Map([
  ...['phone', 'phonenumber', 'mobile', 'mobilenumber', 'mobilephone', 'cellphone', 'telephone', 'msisdn',
    'email', 'emailaddress'].map((n) => [n, 'contact'] as const),
  ...['ssn', 'socialsecuritynumber', 'nationalid', 'nationalidnumber', 'nationalidentifier', 'passport',
    'passportnumber', 'driverslicense', 'driverlicense', 'driverslicensenumber', 'taxid', 'personalidnumber',
  ].map((n) => [n, 'government-id'] as const),
  ...['dob', 'dateofbirth', 'birthdate', 'birthday'].map((n) => [n, 'birth-date'] as const),
  ...['password', 'passwd', 'token', 'accesstoken', 'refreshtoken', 'idtoken', 'authtoken', 'apitoken',
    'sessiontoken', 'secret', 'clientsecret', 'apikey', 'privatekey', 'otp'].map((n) => [n, 'credential'] as const),
  ...['iban', 'cardnumber', 'creditcardnumber', 'creditcard', 'pan', 'cvv', 'cvc', 'accountnumber',
    'bankaccountnumber'].map((n) => [n, 'financial'] as const),
]);

const SUFFIXES: ReadonlyArray<readonly [string, SensitiveKind]> = [
  ['phonenumber', 'contact'], ['phone', 'contact'], ['msisdn', 'contact'], ['email', 'contact'], ['emailaddress', 'contact'],
  ['ssn', 'government-id'], ['nationalid', 'government-id'], ['passportnumber', 'government-id'],
  ['dateofbirth', 'birth-date'], ['birthdate', 'birth-date'],
  ['password', 'credential'], ['secret', 'credential'], ['accesstoken', 'credential'], ['refreshtoken', 'credential'],
  ['apikey', 'credential'], ['privatekey', 'credential'],
  ['iban', 'financial'], ['cardnumber', 'financial'], ['accountnumber', 'financial'],
];

/** Names that end like a credential but are paging cursors or identifiers, not secrets. */
const NOT_SECRET = /(page|cursor|pagination|continuation|next|prev)/;

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]/g, '');
}

/** The kind of a property name, or null when it does not look sensitive. */
export function classifyName(name: string): SensitiveKind | null {
  const n = normaliseName(name);
  const exact = EXACT.get(n);
  if (exact) return exact === 'credential' && NOT_SECRET.test(n) ? null : exact;
  for (const [suffix, kind] of SUFFIXES) {
    if (n.endsWith(suffix) && !(kind === 'credential' && NOT_SECRET.test(n))) return kind;
  }
  return null;
}

// E.164 (ITU-T E.164): "+", country code, up to 15 digits in all.
const E164_SAMPLES = ['+14155552671', '+447911123456', '+33612345678'];
const NOT_PHONE_SAMPLES = ['hello', 'abc123', 'user@example.com'];
const patternCache = new Map<string, boolean>();

/** true when a JSON Schema `pattern` accepts E.164 numbers and rejects words */
export function isPhonePattern(pattern: string): boolean {
  let cached = patternCache.get(pattern);
  if (cached !== undefined) return cached;
  try {
    // OAS: patterns are ECMA-262 regular expressions, unanchored.
    const re = new RegExp(pattern, 'u');
    cached = E164_SAMPLES.every((s) => re.test(s)) && !NOT_PHONE_SAMPLES.some((s) => re.test(s));
  } catch {
    cached = false;
  }
  patternCache.set(pattern, cached);
  return cached;
}

/** The kind a schema's own keywords give away, whatever its property name. */
function classifySchema(schema: Record<string, unknown>): { kind: SensitiveKind; reason: 'format' | 'pattern' } | null {
  if (schema.format === 'email') return { kind: 'contact', reason: 'format' };
  if (schema.format === 'password') return { kind: 'credential', reason: 'format' };
  if (typeof schema.pattern === 'string' && isPhonePattern(schema.pattern)) return { kind: 'contact', reason: 'pattern' };
  return null;
}

/**
 * A bound on nesting, in properties: what a response carries five objects
 * deep is still in it, but Stripe-style expandable objects reach most of the
 * schema graph from any response, and a finding that lists a field ten
 * levels down is noise.
 */
const MAX_PROPERTY_DEPTH = 6;
/** A bound on the work for one response, whatever the schema graph. */
const MAX_NODES = 20_000;

/**
 * The sensitive-looking fields of a response schema (dereferenced, possibly
 * cyclic). Breadth first, and each schema object once: a field reachable
 * along several paths is reported at the shallowest, so that the message
 * names `email` rather than `data[].customer.default_source.owner.email`.
 */
export function findSensitiveFields(schema: unknown, pointer: string): SensitiveField[] {
  const found: SensitiveField[] = [];
  const visited = new Set<object>();
  const queue: Array<{ node: unknown; at: string; path: string; depth: number }> = [{ node: schema, at: pointer, path: '', depth: 0 }];
  if (isRecord(schema)) {
    const own = classifySchema(schema);
    if (own) found.push({ path: '(body)', kind: own.kind, pointer, reason: own.reason });
  }
  // hot path on large documents: an index instead of shift()
  for (let i = 0; i < queue.length && visited.size < MAX_NODES; i++) {
    const { node, at, path, depth } = queue[i]!;
    if (!isRecord(node) || visited.has(node)) continue;
    visited.add(node);
    if (isRecord(node.properties) && depth < MAX_PROPERTY_DEPTH) {
      for (const [name, sub] of Object.entries(node.properties)) {
        const subPointer = `${at}/properties/${escapePointerSegment(name)}`;
        const subPath = path === '' ? name : `${path}.${name}`;
        const byName = classifyName(name);
        const bySchema = !byName && isRecord(sub) ? classifySchema(sub) : null;
        if (byName) found.push({ path: subPath, kind: byName, pointer: subPointer, reason: 'name' });
        else if (bySchema) found.push({ path: subPath, kind: bySchema.kind, pointer: subPointer, reason: bySchema.reason });
        queue.push({ node: sub, at: subPointer, path: subPath, depth: depth + 1 });
      }
    }
    if (isRecord(node.items)) queue.push({ node: node.items, at: `${at}/items`, path: `${path}[]`, depth });
    if (Array.isArray(node.prefixItems)) {
      node.prefixItems.forEach((s, j) => queue.push({ node: s, at: `${at}/prefixItems/${j}`, path: `${path}[${j}]`, depth }));
    }
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach((s, j) => queue.push({ node: s, at: `${at}/${key}/${j}`, path, depth }));
    }
    if (isRecord(node.additionalProperties)) {
      queue.push({ node: node.additionalProperties, at: `${at}/additionalProperties`, path: `${path}{*}`, depth: depth + 1 });
    }
  }
  return found;
}
