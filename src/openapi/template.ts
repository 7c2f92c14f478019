/**
 * Path templates (OpenAPI 3.x §4.8.8 "Path Templating", Swagger 2.0 "Path
 * Templating"): `{name}` stands for one path parameter, anywhere inside a
 * segment. This module parses a template once and turns it into the syntax
 * that find-my-way registers, at compile time only; nothing here runs per
 * request.
 */

export type TemplateToken =
  | { readonly kind: 'static'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string };

/** One `/`-separated segment of a template, as static text and parameters. */
export type TemplateSegment = readonly TemplateToken[];

/**
 * Splits a template into segments and tokens. A `{` without a closing `}` in
 * the same segment is literal text: the specification gives it no meaning,
 * and guessing would route requests the document never declared.
 */
export function parseTemplate(template: string): TemplateSegment[] {
  // The leading '/' gives an empty first element, which is not a segment.
  const parts = template.split('/').slice(1);
  return parts.map(parseSegment);
}

function parseSegment(segment: string): TemplateSegment {
  const tokens: TemplateToken[] = [];
  let text = '';
  let i = 0;
  while (i < segment.length) {
    const open = segment.indexOf('{', i);
    const close = open === -1 ? -1 : segment.indexOf('}', open + 1);
    if (open === -1 || close === -1) {
      text += segment.slice(i);
      break;
    }
    text += segment.slice(i, open);
    if (text !== '') tokens.push({ kind: 'static', text });
    text = '';
    tokens.push({ kind: 'param', name: segment.slice(open + 1, close) });
    i = close + 1;
  }
  if (text !== '') tokens.push({ kind: 'static', text });
  return tokens;
}

/**
 * The part of a template that can be routed. A `?` or `#` cannot occur in a
 * request path (RFC 3986 §3.3: they end the path), so a template such as
 * `/search?q={q}` — seen in real documents that try to route on the query — is
 * routed on the path before it.
 */
export function routablePath(template: string): { path: string; hadQuery: boolean } {
  const end = template.search(/[?#]/);
  if (end === -1) return { path: template, hadQuery: false };
  const path = template.slice(0, end);
  return { path: path === '' ? '/' : path, hadQuery: true };
}

/**
 * A key that is equal for two templates exactly when they match the same
 * request paths: parameter names do not matter (`/users/{id}` and
 * `/users/{userId}` are the same route). With `ignoreTrailingSlash`, `/a/`
 * and `/a` are also the same route.
 */
export function routeKey(segments: readonly TemplateSegment[], ignoreTrailingSlash: boolean): string {
  let key = '';
  for (const segment of segments) {
    key += '/';
    for (const token of segment) key += token.kind === 'param' ? '{}' : escapeKeyText(token.text);
  }
  if (key === '') key = '/';
  if (ignoreTrailingSlash && key.length > 1 && key.endsWith('/')) key = key.slice(0, -1);
  return key;
}

// '{}' in static text must not be confused with a parameter in the key.
function escapeKeyText(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('{', '\\{');
}

/** How one template is registered with find-my-way. */
export interface FindMyWayRoute {
  /** the route in find-my-way's syntax */
  readonly path: string;
  /**
   * null when find-my-way reports the document's own parameter names;
   * otherwise, for each find-my-way parameter name, the document's name (or
   * null for a synthetic capture that is not a parameter).
   */
  readonly rename: ReadonlyArray<readonly [fmwName: string, name: string | null]> | null;
  /**
   * true when the last segment is exactly one parameter: find-my-way lets a
   * plain parameter match an empty segment (`/users/` for `/users/{id}`),
   * which the caller must refuse: a path parameter is always required
   * (OAS 3.x "Parameter Object"), and an empty segment is no value.
   */
  readonly endsWithPlainParam: boolean;
}

// find-my-way ends a parameter name at '(', '-', '.', '/' and reads ':' and
// '*' specially, so only names made of word characters can be passed through.
const SAFE_PARAM_NAME = /^[A-Za-z0-9_$]+$/;

// One or more characters of a single segment. `[\s\S]` rather than `.`
// because find-my-way runs the regex on the percent-decoded value, which can
// hold a line break (`%0A`). The `+` is what refuses an empty value.
const PARAM_REGEX = '([\\s\\S]+?)';

/**
 * Converts a parsed template to find-my-way's syntax:
 *
 * - a segment that is exactly `{name}` becomes a plain parameter `:name`
 *   (no regex: the fast path of the radix tree);
 * - a parameter sharing its segment with text or other parameters
 *   (`{name}.{ext}`, `{id}.json`, `{id}-{slug}`, `{name}:cancel`) becomes a
 *   regex parameter that needs at least one character;
 * - `:` in static text is escaped as `::`; `*` has no escape in find-my-way
 *   (it always starts a wildcard), so a static run holding `*` that cannot be
 *   folded into a parameter's static suffix becomes a synthetic capture
 *   whose value is dropped. Such a segment then ranks like an in-segment
 *   template, after plain static text: `/a{x}` wins over `/a*b` for `/a*b`.
 *   A literal `*` in a path is rare enough not to warrant more.
 *
 * Parameter names are passed through when find-my-way can read them back;
 * otherwise all of the route's parameters are renamed by position (`p0`,
 * `p1`, ...) and mapped back at match time.
 */
export function toFindMyWayRoute(segments: readonly TemplateSegment[]): FindMyWayRoute {
  const needsRename = segments.some((segment) =>
    segment.some((token) => token.kind === 'param' && !SAFE_PARAM_NAME.test(token.name))
    || hasLeadingStar(segment));
  const rename: Array<readonly [string, string | null]> = [];
  let paramIndex = 0;
  let syntheticIndex = 0;
  const nameFor = (name: string): string => {
    if (!needsRename) return name;
    const fmwName = `p${paramIndex++}`;
    rename.push([fmwName, name]);
    return fmwName;
  };

  let path = '';
  for (const segment of segments) {
    path += '/';
    const only = segment.length === 1 ? segment[0] : undefined;
    if (only?.kind === 'param') {
      path += ':' + nameFor(only.name);
      continue;
    }
    for (let t = 0; t < segment.length; t++) {
      const token = segment[t] as TemplateToken;
      if (token.kind === 'param') {
        path += ':' + nameFor(token.name) + PARAM_REGEX;
      } else if (t === 0 && hasLeadingStar(segment)) {
        // Leading static text is a static node of the tree, where '*' would
        // start a wildcard. After a parameter, static text belongs to the
        // parameter's regex node and find-my-way escapes it there.
        const fmwName = `s${syntheticIndex++}`;
        rename.push([fmwName, null]);
        path += ':' + fmwName + '(' + escapeRegexLiteral(token.text) + ')';
      } else {
        path += token.text.replaceAll(':', '::');
      }
    }
  }
  if (path === '') path = '/';

  const last = segments.at(-1);
  const endsWithPlainParam = last !== undefined && last.length === 1 && last[0]?.kind === 'param';
  return { path, rename: needsRename ? rename : null, endsWithPlainParam };
}

/** A segment whose leading static text holds `*` (see toFindMyWayRoute). */
function hasLeadingStar(segment: TemplateSegment): boolean {
  const first = segment[0];
  return first?.kind === 'static' && first.text.includes('*');
}

/**
 * Escapes every character that is not a letter or a digit as `\xHH` or
 * `\uHHHH`. find-my-way strips a trailing `$` and counts parentheses to find
 * the end of a regex, so escapes such as `\$` or `\)` would be misread.
 */
function escapeRegexLiteral(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const isAlnum = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
    if (isAlnum) out += text[i];
    else if (code < 0x100) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += '\\u' + code.toString(16).padStart(4, '0');
  }
  return out;
}
