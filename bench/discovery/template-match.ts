/**
 * Path templates as the scorer compares them, and a matcher that maps a
 * request path to the most specific of a set of templates.
 *
 * The scorer's unit is the endpoint: a method and a template with its
 * parameter names erased (`GET /users/{}`): `{userId}` learned for
 * `{user_id}` is the right answer. Static text is compared percent-decoded,
 * since the document writes it raw and a templater keeps it as received.
 *
 * The matcher serves two purposes: the generator checks that every path it
 * makes routes back to the operation it was made for (a value never equals
 * a static sibling such as `me` beside `{id}`), and the peers' OpenAPI
 * output is applied to the traffic the way any consumer of a document would
 * apply it. Precedence is the usual one: segment by segment from the left, a
 * static segment before a segment with a parameter inside it (`{id}.pdf`)
 * before a whole-segment parameter, with backtracking. Not find-my-way (the
 * gateway's router): the peers' output holds templates it refuses, such as
 * one path under two parameter names.
 */

import { parseTemplate } from '../../src/openapi/template.ts';

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `/v1/users/{user_id}/cards/{id}` → `/v1/users/{}/cards/{}`, static text decoded. */
export function eraseNames(template: string): string {
  return template.split('/').map((segment) => safeDecode(segment.replace(/\{[^{}/]*\}/g, '\u0000')).replace(/\u0000/g, '{}')).join('/');
}

/**
 * The scorer's endpoint key. A trailing slash is dropped (`/users/` is
 * `/users`): apiwarden's templater folds them on purpose, as servers and
 * routers mostly do, and a document that declares both (rare) has them
 * counted once, as a duplicate.
 */
export function endpointKey(method: string, template: string): string {
  const erased = eraseNames(template);
  return `${method.toUpperCase()} ${erased.length > 1 && erased.endsWith('/') ? erased.slice(0, -1) : erased}`;
}

/**
 * Percent-encodes text for one path segment, leaving what RFC 3986 §3.3
 * allows raw in a segment (pchar: unreserved, sub-delims, ':' and '@') as
 * real clients leave it: `+14155550123`, `a@example.com`, `2024-01-31T10:00:00Z`.
 */
export function encodeSegment(text: string): string {
  return encodeURIComponent(text).replace(/%(21|24|26|27|28|29|2A|2B|2C|3A|3B|3D|40)/gi, (m) => decodeURIComponent(m));
}

interface Node {
  statics: Map<string, Node>;
  partials: Array<{ re: RegExp; node: Node }>;
  param: Node | null;
  /** method → index of the template that ends here */
  ends: Map<string, number>;
}

const newNode = (): Node => ({ statics: new Map(), partials: [], param: null, ends: new Map() });

export interface TemplateMatcher {
  /** the index of the most specific template for this method and path, or -1 */
  match(method: string, path: string): number;
}

export function compileMatcher(templates: ReadonlyArray<{ method: string; template: string }>): TemplateMatcher {
  const root = newNode();
  templates.forEach(({ method, template }, index) => {
    let node = root;
    for (const tokens of parseTemplate(template)) {
      const params = tokens.filter((t) => t.kind === 'param').length;
      if (params === 0) {
        const text = safeDecode(tokens.map((t) => (t.kind === 'static' ? t.text : '')).join(''));
        let next = node.statics.get(text);
        if (next === undefined) {
          next = newNode();
          node.statics.set(text, next);
        }
        node = next;
      } else if (tokens.length === 1) {
        node.param ??= newNode();
        node = node.param;
      } else {
        const source = `^${tokens.map((t) => (t.kind === 'static' ? escapeRegExp(safeDecode(t.text)) : '(.+?)')).join('')}$`;
        let entry = node.partials.find((p) => p.re.source === source);
        if (entry === undefined) {
          entry = { re: new RegExp(source, 's'), node: newNode() };
          node.partials.push(entry);
        }
        node = entry.node;
      }
    }
    const upper = method.toUpperCase();
    if (!node.ends.has(upper)) node.ends.set(upper, index);
  });

  const walk = (node: Node, segments: readonly string[], i: number, method: string): number => {
    if (i === segments.length) return node.ends.get(method) ?? -1;
    const segment = segments[i] as string;
    const exact = node.statics.get(segment);
    if (exact !== undefined) {
      const found = walk(exact, segments, i + 1, method);
      if (found !== -1) return found;
    }
    for (const { re, node: next } of node.partials) {
      if (!re.test(segment)) continue;
      const found = walk(next, segments, i + 1, method);
      if (found !== -1) return found;
    }
    if (node.param !== null && segment !== '') return walk(node.param, segments, i + 1, method);
    return -1;
  };

  return {
    match: (method, path) => walk(root, path.split('/').slice(1).map(safeDecode), 0, method.toUpperCase()),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
