/**
 * Names for learned parameters, from the static segment before them:
 * '/orders/{orderId}', '/categories/{categoryId}', '/payment_intents/{paymentIntentId}'.
 * Traffic never tells what a value means ('/repos/{owner}/{repo}' is beyond
 * it), so the name only has to read well and be unique in its template:
 * '{id}' when the segment before is not a plain word (a parameter, a
 * version, 'chat.postMessage'), then '{param2}', '{param3}' … on a clash.
 */

const IRREGULAR: Readonly<Record<string, string>> = {
  people: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  indices: 'index',
  matrices: 'matrix',
  vertices: 'vertex',
  analyses: 'analysis',
  data: 'data',
  media: 'media',
  news: 'news',
  series: 'series',
  species: 'species',
};

/** English plural → singular, for the common regular forms; anything else unchanged. */
export function singular(word: string): string {
  const lower = word.toLowerCase();
  // own keys only: a segment may be any word ('constructor', '__proto__')
  const irregular = Object.hasOwn(IRREGULAR, lower) ? IRREGULAR[lower] : undefined;
  if (irregular !== undefined) return word.length === lower.length && word === lower ? irregular : word.slice(0, word.length - lower.length) + irregular;
  if (word.length > 4 && lower.endsWith('ies')) return word.slice(0, -3) + 'y';
  if (word.length > 4 && /(?:ss|sh|ch|x|zz|us)es$/.test(lower)) return word.slice(0, -2);
  if (word.length > 3 && lower.endsWith('s') && !/(?:ss|us|is)$/.test(lower)) return word.slice(0, -1);
  return word;
}

/** 'payment_intents' → 'paymentIntentId'; null when the segment is not a plain word. */
export function nameFromSegment(segment: string): string | null {
  if (segment.length < 2 || segment.length > 40) return null;
  const first = segment.charCodeAt(0) | 32;
  if (first < 97 || first > 122) return null;
  for (let i = 1; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    const letter = (c | 32) >= 97 && (c | 32) <= 122;
    if (!letter && c !== 95 && c !== 45) return null;
  }
  const parts = segment.split(/[-_]+/).filter((part) => part.length > 0);
  const last = parts.length - 1;
  parts[last] = singular(parts[last] as string);
  let name = (parts[0] as string).charAt(0).toLowerCase() + (parts[0] as string).slice(1);
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    name += part.charAt(0).toUpperCase() + part.slice(1);
  }
  if (/id$/i.test(name) && name.length > 2) return name.slice(0, -2) + 'Id';
  return name + 'Id';
}

/**
 * A name for the `ordinal`-th parameter (0-based) of a template, from the
 * static segment before it (null when there is none), not in `used`.
 */
export function paramName(previousStatic: string | null, ordinal: number, used: ReadonlySet<string>): string {
  const wanted = (previousStatic === null ? null : nameFromSegment(previousStatic)) ?? 'id';
  if (!used.has(wanted)) return wanted;
  let n = ordinal + 1;
  while (used.has(`param${n}`)) n++;
  return `param${n}`;
}
