/**
 * Scores a reconstruction against the document the traffic came from. The
 * input is two parallel lists over the requests: the endpoint each request
 * was made for, and the endpoint the reconstruction mapped it to, both as
 * keys `METHOD /template/with/{}` (template-match.ts: parameter names
 * erased, static text decoded).
 *
 *   precision         learned endpoints equal to a document endpoint / learned endpoints
 *   recall            document endpoints with traffic that got at least one of
 *                     their own requests mapped to themselves / document endpoints with traffic
 *   F1                2PR / (P + R)
 *   wrong merges      learned endpoints that received requests of ≥ 2 document endpoints
 *   wrong splits      document endpoints whose requests went to ≥ 2 learned endpoints
 *   request accuracy  requests mapped to exactly their own endpoint / requests
 *
 * Enum path parameters. `/repos/{owner}/{repo}/{archive_format}` with
 * `archive_format` ∈ {tarball, zipball} declares two concrete endpoints,
 * `…/tarball` and `…/zipball`; traffic shows two literal paths, and no
 * reconstruction can tell a closed set of words from static siblings. So a
 * request of such an endpoint counts as mapped to its own endpoint when it
 * went to the template (`…/{}`) or to its literal expansion (`…/tarball`,
 * given per request in `enumLiteral`; with several enum parameters, any of
 * them may be literal), and the literal expansions of one endpoint count as
 * that one endpoint: a reconstruction that lists the documented values is
 * scored as one that learned the parameter, no more.
 * Two stricter views are reported beside it: `strict`, where only the
 * template counts, and `withoutEnum`, where endpoints with an enum
 * parameter are set aside (and with them the learned endpoints that
 * received only their requests).
 */

export interface ScoreInput {
  /** per request: the key of the document endpoint it was made for */
  truth: readonly string[];
  /** per request: the key of the endpoint the reconstruction mapped it to */
  learned: readonly string[];
  /** every endpoint key of the document (with or without traffic) */
  documentKeys: ReadonlySet<string>;
  /** document endpoint keys with an enum (or boolean) path parameter */
  enumKeys: ReadonlySet<string>;
  /**
   * per request: its document endpoint's key with the enum parameters
   * replaced by the request's values (equal to `truth` where there are
   * none); absent, enum values learned as literals count as wrong
   */
  enumLiteral?: readonly string[];
}

export interface Counted {
  key: string;
  requests: number;
}

export interface MergeExample {
  learned: string;
  requests: number;
  /** how many document endpoints it absorbed */
  endpoints: number;
  /** the largest of them */
  document: Counted[];
}

export interface SplitExample {
  document: string;
  requests: number;
  /** how many learned endpoints it went to */
  parts: number;
  /** the largest of them */
  learned: Counted[];
}

export interface MissExample {
  document: string;
  requests: number;
  /** where most of its requests went */
  learned: Counted;
}

export interface Subscore {
  documentEndpoints: number;
  learnedEndpoints: number;
  correctEndpoints: number;
  recalled: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Score extends Subscore {
  requests: number;
  wrongMerges: number;
  wrongSplits: number;
  requestAccuracy: number;
  /** enum values learned as literal paths count as wrong (only the template is right) */
  strict: Subscore;
  withoutEnum: Subscore;
  /** the worst cases, for a developer to act on (EXAMPLES of each) */
  merges: MergeExample[];
  splits: SplitExample[];
  misses: MissExample[];
}

export const EXAMPLES = 6;
/** Endpoints listed per merge or split. */
const PARTS_SHOWN = 4;

export function scoreMapping(input: ScoreInput): Score {
  const { truth, learned, documentKeys, enumKeys, enumLiteral } = input;
  if (truth.length !== learned.length) throw new Error('truth and learned must have one entry per request');
  if (enumLiteral !== undefined && enumLiteral.length !== truth.length) throw new Error('enumLiteral must have one entry per request');

  // a request that went to its endpoint's template with some or all enum values literal went to its endpoint
  const mapped = enumLiteral === undefined ? learned : learned.map((l, i) => (isEnumExpansion(l, truth[i] as string, enumLiteral[i] as string) ? (truth[i] as string) : l));
  const { byDocument, byLearned, exact } = tally(truth, mapped);
  const strict = enumLiteral === undefined ? { byDocument, byLearned } : tally(truth, learned);

  const subscore = (counts: Tally, includeDocument: (key: string) => boolean): Subscore => {
    const documents = [...counts.byDocument.keys()].filter(includeDocument);
    const recalled = documents.filter((d) => (counts.byDocument.get(d) as Map<string, number>).has(d)).length;
    const learnedKeys = [...counts.byLearned].filter(([, sources]) => [...sources.keys()].some(includeDocument)).map(([k]) => k);
    const correct = learnedKeys.filter((k) => documentKeys.has(k)).length;
    const precision = learnedKeys.length === 0 ? 0 : correct / learnedKeys.length;
    const recall = documents.length === 0 ? 0 : recalled / documents.length;
    return {
      documentEndpoints: documents.length,
      learnedEndpoints: learnedKeys.length,
      correctEndpoints: correct,
      recalled,
      precision,
      recall,
      f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    };
  };

  const merges: MergeExample[] = [];
  for (const [key, sources] of byLearned) {
    if (sources.size < 2) continue;
    merges.push({ learned: key, requests: total(sources), endpoints: sources.size, document: sorted(sources).slice(0, PARTS_SHOWN) });
  }
  const splits: SplitExample[] = [];
  for (const [key, targets] of byDocument) {
    if (targets.size < 2) continue;
    splits.push({ document: key, requests: total(targets), parts: targets.size, learned: sorted(targets).slice(0, PARTS_SHOWN) });
  }
  const misses: MissExample[] = [];
  for (const [key, targets] of byDocument) {
    if (targets.has(key)) continue;
    misses.push({ document: key, requests: total(targets), learned: sorted(targets)[0] as Counted });
  }

  return {
    requests: truth.length,
    ...subscore({ byDocument, byLearned }, () => true),
    wrongMerges: merges.length,
    wrongSplits: splits.length,
    requestAccuracy: truth.length === 0 ? 0 : exact / truth.length,
    strict: subscore(strict, () => true),
    withoutEnum: subscore(strict, (key) => !enumKeys.has(key)),
    // worst first: the most endpoints involved, then the most requests
    merges: merges.sort((a, b) => b.endpoints - a.endpoints || b.requests - a.requests).slice(0, EXAMPLES),
    splits: splits.sort((a, b) => b.parts - a.parts || b.requests - a.requests).slice(0, EXAMPLES),
    misses: misses.sort((a, b) => b.requests - a.requests).slice(0, EXAMPLES),
  };
}

/**
 * Is `learned` the document endpoint `truth` with any of its enum parameters
 * written as the request's values (`…/{}/content/{}` for
 * `…/{editor-type}/{page-type}/{year}`, given `…/user/content/{}`)? Keys are
 * compared segment by segment: each learned segment is the template's or
 * the literal's.
 */
export function isEnumExpansion(learned: string, truth: string, literal: string): boolean {
  if (learned === truth || learned === literal) return true;
  if (literal === truth) return false;
  const l = learned.split('/');
  const t = truth.split('/');
  const e = literal.split('/');
  if (l.length !== t.length || l.length !== e.length) return false;
  for (let i = 0; i < l.length; i++) if (l[i] !== t[i] && l[i] !== e[i]) return false;
  return true;
}

interface Tally {
  /** document endpoint → learned endpoint → requests */
  byDocument: Map<string, Map<string, number>>;
  /** learned endpoint → document endpoint → requests */
  byLearned: Map<string, Map<string, number>>;
}

function tally(truth: readonly string[], learned: readonly string[]): Tally & { exact: number } {
  const byDocument = new Map<string, Map<string, number>>();
  const byLearned = new Map<string, Map<string, number>>();
  let exact = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as string;
    const l = learned[i] as string;
    if (t === l) exact++;
    bump(byDocument, t, l);
    bump(byLearned, l, t);
  }
  return { byDocument, byLearned, exact };
}

function bump(map: Map<string, Map<string, number>>, outer: string, inner: string): void {
  let counts = map.get(outer);
  if (counts === undefined) {
    counts = new Map();
    map.set(outer, counts);
  }
  counts.set(inner, (counts.get(inner) ?? 0) + 1);
}

function total(counts: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const n of counts.values()) sum += n;
  return sum;
}

function sorted(counts: ReadonlyMap<string, number>): Counted[] {
  return [...counts].map(([key, requests]) => ({ key, requests })).sort((a, b) => b.requests - a.requests || (a.key < b.key ? -1 : 1));
}
