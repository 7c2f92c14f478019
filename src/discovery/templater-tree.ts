/**
 * The learned tree of the path templater (templater.ts): its nodes, the
 * evidence a parameter keeps about its values, and small helpers that read
 * the tree without changing it. Only the templater changes the tree.
 */
import { isExtensionLike, isIdentifierCode, SEGMENT_SHAPES, SHAPE, shapeCode } from './segment-shapes.ts';
import { DistinctCounter } from './templater-distinct.ts';
import { GROUP_ID, GROUP_NONE, GROUP_NUM, GROUP_TIME, GROUP_WORD, isMergeConfirmed, PEEL_MIN_REQUESTS } from './templater-rules.ts';
import type { GroupCounts } from './templater-rules.ts';
import type { Rendered } from './templater-render.ts';

export const KIND_ROOT = 0;
export const KIND_STATIC = 1;
export const KIND_PARAM = 2;
export const KIND_PATH_ROOT = 3;

export const ZONE_HOST = 0;
export const ZONE_PATH = 1;

/**
 * The key of a parameter node that holds two values in one segment, an
 * identifier and a file extension ('{id}.{format}': 'a1b2.mp4', 'c3d4.mkv').
 */
export const ID_AND_EXTENSION = '{}.{}';

/** values a parameter counts exactly for splitting back; past it, the rarest are swept out */
export const VALUE_TABLE_MAX = 256;
const EXAMPLES_MAX = 5;
const SAMPLE_AFTER_SWEEP = 8;
/** first word count at which a parameter tests its word values (then each time they grow by half) */
export const SPLIT_CHECK_FROM = 32;

/** released values remembered per parameter (ParamInfo.release): a few hot values, not a population */
const RELEASED_MAX = 64;

export interface ValueEntry {
  /** the value as received */
  readonly raw: string;
  count: number;
  /** requests that ended at this value, and the method of the last one (to restore it on a split) */
  ends: number;
  method: string;
  /** next step (a child of the parameter, or the method of a request that ended here) → requests */
  profile: Map<TNode | string, number> | null;
  profiled: number;
  nextCheck: number;
}

export class ParamInfo {
  readonly distinct = new DistinctCounter();
  readonly shapes = new Float64Array(SEGMENT_SHAPES.length);
  /** observations with an identifier shape */
  identifiers = 0;
  observations = 0;
  readonly examples: string[] = [];
  /** word values only: the candidates for splitting back */
  values: Map<string, ValueEntry> | null = null;
  /** generated-looking words went in beside identifiers (isGeneratedBesideIds), and the static ones before them with the first */
  hasTakenGenerated = false;
  /** pinned words released back into the parameter (never split out again), at most RELEASED_MAX */
  #released: Set<string> | null = null;
  sweepFloor = 1;
  /** the table once dropped values: more distinct words than a vocabulary has */
  hasSwept = false;
  /** values in the table seen exactly once, twice */
  once = 0;
  twice = 0;
  /** made of enum values (a few recurring words): the vocabulary tests do not apply */
  isEnum = false;
  /** an enum whose values are endpoints of their own ('/Images/{imageType}'): later such values may join */
  hasEndpointValues = false;
  /** distinct word values a merge needed here (0: not merged from words); see isMergeConfirmed */
  minDistinct = 0;
  /** the word values kept coming new after the merge: never split back whole */
  isConfirmed = false;
  wordObservations = 0;
  nextSplitCheck = SPLIT_CHECK_FROM;
  /**
   * The usual form of this parameter's identifiers (majority vote): length
   * and lower-case prefix ('cus_'). A word of exactly that form is one of
   * them that the shape test missed ('cus_UENRizaaMmykYC' has no digit).
   */
  sigPrefix = '';
  sigLength = 0;
  sigVotes = 0;

  record(raw: string, value: string, code: number, times: number): void {
    this.distinct.add(value);
    this.shapes[code] = (this.shapes[code] ?? 0) + times;
    this.observations += times;
    if (isIdentifierCode(code, value.length)) {
      this.identifiers += times;
      this.#vote(value);
    }
    if (this.examples.length < EXAMPLES_MAX && !this.examples.includes(raw)) this.examples.push(raw);
  }

  #vote(value: string): void {
    const end = prefixEnd(value);
    if (value.length === this.sigLength && end === this.sigPrefix.length && value.startsWith(this.sigPrefix)) this.sigVotes++;
    else if (this.sigVotes === 0) {
      this.sigPrefix = end === 0 ? '' : value.slice(0, end);
      this.sigLength = value.length;
      this.sigVotes = 1;
    } else this.sigVotes--;
  }

  /**
   * A word of the same length and prefix as most of this parameter's
   * identifiers, and not a plain word: its part after the prefix has a digit
   * or both cases ('UENRizaaMmykYC', not 'defaults').
   */
  release(raw: string): void {
    if (this.#released === null) this.#released = new Set();
    if (this.#released.size < RELEASED_MAX) this.#released.add(raw);
  }

  isReleased(raw: string): boolean {
    return this.#released?.has(raw) === true;
  }

  isIdentifierLike(value: string): boolean {
    return (
      this.sigVotes >= 3 &&
      this.sigLength >= 8 &&
      value.length === this.sigLength &&
      prefixEnd(value) === this.sigPrefix.length &&
      value.startsWith(this.sigPrefix) &&
      isMixedAlnumFrom(value, this.sigPrefix.length)
    );
  }

  /** the word values as counters, for the split-back test */
  wordCounts(): GroupCounts {
    let once = 0;
    let twice = 0;
    const values = this.values;
    if (values !== null) {
      for (const entry of values.values()) {
        if (entry.count === 1) once++;
        else if (entry.count === 2) twice++;
      }
    }
    return { distinct: values?.size ?? 0, total: this.wordObservations, once, twice };
  }

  /** counts a word value; the entry when it recurs enough to be profiled */
  /**
   * Counts a word value; its entry, or null when it is not tracked. Once
   * the table has overflowed (more distinct values than a vocabulary has),
   * it only serves to find values that recur far more than the rest: a new
   * value then gets an entry one time in SAMPLE_AFTER_SWEEP (a recurring one
   * soon does), which spares an allocation per request on a position that
   * sees a new identifier nearly every time.
   */
  recordWord(raw: string, times: number): ValueEntry | null {
    this.wordObservations += times;
    let values = this.values;
    if (values === null) values = this.values = new Map();
    let entry = values.get(raw);
    if (entry === undefined) {
      if (this.hasSwept && this.wordObservations % SAMPLE_AFTER_SWEEP !== 0) return null;
      if (values.size >= VALUE_TABLE_MAX) this.#sweep(values);
      entry = { raw, count: 0, ends: 0, method: '', profile: null, profiled: 0, nextCheck: PEEL_MIN_REQUESTS };
      values.set(raw, entry);
      this.#setCount(entry, times);
      if (!this.isConfirmed && this.minDistinct > 0) {
        this.isConfirmed = isMergeConfirmed({ distinct: values.size, total: this.wordObservations, once: this.once, twice: this.twice }, this.minDistinct);
      }
      return entry;
    }
    this.#setCount(entry, entry.count + times);
    return entry;
  }

  /** keeps `once` and `twice` in step with the table */
  #setCount(entry: ValueEntry, count: number): void {
    if (entry.count === 1) this.once--;
    else if (entry.count === 2) this.twice--;
    entry.count = count;
    if (count === 1) this.once++;
    else if (count === 2) this.twice++;
  }

  remove(raw: string): void {
    const entry = this.values?.get(raw);
    if (entry === undefined) return;
    this.#setCount(entry, 0);
    this.values?.delete(raw);
  }

  /** the word values as counters, for the merge test of the parent's word group */
  addWordCounts(counts: GroupCounts): void {
    if (this.values === null) return;
    counts.distinct += this.values.size;
    counts.total += this.wordObservations;
    counts.once += this.once;
    counts.twice += this.twice;
  }

  /** lossy counting: drop the values seen at most `sweepFloor` times, raise the floor when too few go */
  #sweep(values: Map<string, ValueEntry>): void {
    let removed = 0;
    for (const [raw, entry] of values) {
      if (entry.count <= this.sweepFloor) {
        this.#setCount(entry, 0);
        values.delete(raw);
        removed++;
      }
    }
    if (removed < VALUE_TABLE_MAX / 4) this.sweepFloor++;
    this.hasSwept = true;
  }

  merge(other: ParamInfo): void {
    this.distinct.merge(other.distinct);
    for (let i = 0; i < this.shapes.length; i++) this.shapes[i] = (this.shapes[i] ?? 0) + (other.shapes[i] ?? 0);
    this.identifiers += other.identifiers;
    this.observations += other.observations;
    for (const example of other.examples) {
      if (this.examples.length >= EXAMPLES_MAX) break;
      if (!this.examples.includes(example)) this.examples.push(example);
    }
    if (other.values !== null) for (const [raw, entry] of other.values) this.recordWord(raw, entry.count);
    this.hasSwept ||= other.hasSwept;
    this.isEnum ||= other.isEnum;
    this.hasEndpointValues ||= other.hasEndpointValues;
    this.isConfirmed ||= other.isConfirmed;
    for (const raw of other.#released ?? []) this.release(raw);
    this.minDistinct = Math.max(this.minDistinct, other.minDistinct);
  }
}

export class TNode {
  parent: TNode | null;
  /** the segment as received (static), or the pattern '{}', '{}.json', 'report.{}' (parameter) */
  readonly key: string;
  readonly kind: number;
  readonly zone: number;
  /** the group of a static child's shape (GROUP_*) */
  group = GROUP_NONE;
  /** split back from a parameter, or kept static beside one: never merged into it */
  isPinned = false;
  /** times this node's word children were split back after a merge */
  wordFlips = 0;
  /**
   * Under a parameter: the value whose request created this node. When that
   * value is split back, the nodes only it used go with it.
   */
  origin: string | null = null;
  /** observation number of the last request that ended here */
  seenAt = 0;
  /**
   * Set when a value was split back out of a parameter above: requests that
   * ended here until then may have been that value's, under the wrong
   * template. The template is shown again once a request ends here after it.
   */
  taintedAt = -1;
  count = 0;
  ends = 0;
  methods: Map<string, number> | null = null;
  statics: Map<string, TNode> | null = null;
  params: TNode[] | null = null;
  /** groups (bit per GROUP_*) whose values go to the whole-segment parameter */
  modes = 0;
  /** [distinct, total, once, twice] per group, over the static children */
  counters: Float64Array | null = null;
  /** host nodes: where the path starts */
  pathRoot: TNode | null = null;
  /** parameters: the part of the segment around the value */
  readonly prefix: string;
  readonly suffix: string;
  info: ParamInfo | null = null;
  /** static children may not merge (top-level and registrable host labels, whole hosts when hosts are not templated) */
  isLiteralOnly = false;
  /** the rendering (templater-render.ts), valid while renderGeneration is the templater's generation */
  renderGeneration = -1;
  rendered: Rendered | null = null;

  constructor(parent: TNode | null, key: string, kind: number, zone: number, prefix = '', suffix = '') {
    this.parent = parent;
    this.key = key;
    this.kind = kind;
    this.zone = zone;
    this.prefix = prefix;
    this.suffix = suffix;
    if (kind === KIND_PARAM) this.info = new ParamInfo();
  }
}

export function groupOf(code: number, value: string): number {
  if (code === SHAPE.empty) return GROUP_NONE;
  if (isIdentifierCode(code, value.length)) return GROUP_ID;
  // an encoded '/' ('subscriptions%2F…', 'src%2Fmain.c'): a value that is a path, never an API's own word
  if (value.indexOf('/') >= 0) return GROUP_ID;
  if (code === SHAPE.integer) return GROUP_NUM;
  // a compact date ('20200301', AWS's '/20200301/gateways') is a date, as '2015-03-31' is; eight digits
  // that only parse as one ('19120518') are as likely an id
  if (code === SHAPE.date) return value.charCodeAt(4) === 45 || isRecentCompactDate(value) ? GROUP_TIME : GROUP_ID;
  if (code === SHAPE.version) return GROUP_TIME;
  return GROUP_WORD;
}

/** '19900101' … '20991231': a random eight-digit id is such a date about once in two thousand */
function isRecentCompactDate(value: string): boolean {
  const century = value.charCodeAt(0) === 50 && value.charCodeAt(1) === 48;
  return value.length === 8 && (century || (value.charCodeAt(0) === 49 && value.charCodeAt(1) === 57 && value.charCodeAt(2) === 57));
}

export function decodeSegment(raw: string): string {
  if (raw.indexOf('%') < 0) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Kinds of names that people choose (a branch, a repository, an audience)
 * and an API's own path words seldom take: one bit per kind, 0 for a word
 * of the usual kind. An API names the words of one position by one
 * convention ('payment_intents', 'chat.postMessage', 'code-scanning'),
 * with a digit here and there ('oauth2'); values typed by users mix
 * conventions. Measured on the static words of 26 public API documents,
 * 2 % take one of these kinds (mostly versions), and no position with ten
 * or more words has a quarter of them of two kinds or more.
 */
export const CHOSEN_VERSION = 1;
/** a space inside: 'lagoon brook' */
export const CHOSEN_SPACE = 2;
/** capitalised parts joined by a separator: 'Olive-Crystal' */
export const CHOSEN_CAPITALISED = 4;
/** digits beside letters and a separator: 'release-1.19', 'koala-65' */
export const CHOSEN_NUMBERED = 8;
/** letters then digits: 'moss7', 'config5' (not 'v2') */
export const CHOSEN_SUFFIXED = 16;

export function chosenKind(value: string, group: number): number {
  if (group === GROUP_TIME) return CHOSEN_VERSION;
  if (group !== GROUP_WORD) return 0;
  const n = value.length;
  let letters = 0;
  let digits = 0;
  let separators = 0;
  let spaces = 0;
  let capitalisedPart = false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      letters++;
      if (c < 97) {
        // a capital after a separator, followed by a lower-case letter
        if (i > 0 && i + 1 < n) {
          const before = value.charCodeAt(i - 1);
          const after = value.charCodeAt(i + 1);
          if ((before === 45 || before === 95 || before === 46 || before === 32) && after >= 97 && after <= 122) capitalisedPart = true;
        }
      }
    } else if (c === 32) spaces++;
    else if (c === 45 || c === 95 || c === 46) separators++;
    else return 0;
  }
  if (spaces > 0) return CHOSEN_SPACE;
  // 'stream.con_gBfSNXYn9kpxsOJ2' (a static head and an identifier) and 'master.m3u8' (a file name) are not chosen names
  const dot = value.lastIndexOf('.');
  if (dot > 0) {
    const tail = value.slice(dot + 1);
    if (isIdentifierCode(shapeCode(tail), tail.length) || isFileNameTail(tail)) return 0;
  }
  const first = value.charCodeAt(0);
  if (capitalisedPart && first >= 65 && first <= 90) return CHOSEN_CAPITALISED;
  if (digits > 0 && letters > 0 && separators > 0) return CHOSEN_NUMBERED;
  if (separators === 0 && digits > 0 && letters >= 2) {
    // lower-case letters, then digits to the end
    let i = 0;
    while (i < n && value.charCodeAt(i) >= 97) i++;
    let j = i;
    while (j < n && value.charCodeAt(j) >= 48 && value.charCodeAt(j) <= 57) j++;
    if (i >= 2 && j === n) return CHOSEN_SUFFIXED;
  }
  return 0;
}

/** a file extension, known or not, or a long tail ('json', 'm3u8', 'postMessage'): not a chosen name's */
function isFileNameTail(tail: string): boolean {
  return tail.length > 5 || isExtensionLike(tail);
}

/** 'users', 'payment_intents', 'categories': a collection, after which identifiers usually come */
export function isPlural(word: string): boolean {
  const n = word.length;
  if (n < 3) return false;
  const last = word.charCodeAt(n - 1);
  if (last !== 115) return false; // 's'
  const before = word.charCodeAt(n - 2);
  return before !== 115 && !(before === 117 && n > 3) && !(before === 105 && n > 3); // not 'ss', 'us', 'is'
}

/**
 * Among words about to become one parameter: those seen three times or
 * more whose children no other of them has, while at least two others have
 * children ('/codespaces/secrets/public-key' among '/codespaces/{name}/start').
 * Values of a parameter share their sub-resources; a static sibling has its own.
 */
export function structuralOutliers(words: readonly TNode[]): TNode[] {
  const owners = new Map<string, number>();
  let withChildren = 0;
  for (const word of words) {
    if (word.statics === null || word.statics.size === 0) continue;
    withChildren++;
    for (const key of word.statics.keys()) owners.set(key, (owners.get(key) ?? 0) + 1);
  }
  if (withChildren < 3) return [];
  // only where most values share their children: when each word has children of its own
  // ('/repos/{owner}/{repo}': every owner its own repositories), none stands out
  let sharing = 0;
  for (const word of words) {
    if (word.statics === null) continue;
    for (const key of word.statics.keys()) {
      if ((owners.get(key) ?? 0) > 1) {
        sharing++;
        break;
      }
    }
  }
  if (sharing < 2 || sharing * 2 < withChildren) return [];
  const out: TNode[] = [];
  for (const word of words) {
    if (word.count < 3 || word.statics === null || word.statics.size === 0) continue;
    let isOwn = true;
    for (const key of word.statics.keys()) if ((owners.get(key) ?? 0) > 1) isOwn = false;
    if (isOwn) out.push(word);
  }
  return out;
}

/** Does `p` have a child for each of `word`'s children, with a static one among them? */
export function joins(p: TNode, word: TNode): boolean {
  const statics = word.statics;
  if (statics === null || statics.size === 0) return false;
  for (const key of statics.keys()) if (p.statics?.has(key) !== true) return false;
  for (const param of word.params ?? []) if (!(p.params ?? []).some((q) => q.key === param.key)) return false;
  return true;
}

/**
 * Would every path below `word` route to a template below `p`, `depth`
 * levels down? A static child is covered by the same static child, or by a
 * parameter that takes its group of values ('/packages/docker/Green' under
 * '/packages/{type}/{name}'); a parameter child by the same parameter.
 * `word` must have a child: a leaf says nothing.
 */
export function covers(p: TNode, word: TNode, depth: number): boolean {
  if (word.statics === null && word.params === null) return false;
  return coversFrom(p, word, depth);
}

function coversFrom(p: TNode, word: TNode, depth: number): boolean {
  if (depth === 0) return true;
  if (word.ends > 0 && p.ends === 0) return false;
  if (word.statics !== null) {
    let q: TNode | null | undefined;
    for (const child of word.statics.values()) {
      const same = p.statics?.get(child.key);
      if (same !== undefined) {
        if (!coversFrom(same, child, depth - 1)) return false;
        continue;
      }
      if (child.group !== GROUP_ID && (p.modes & (1 << child.group)) === 0) return false;
      if (q === undefined) q = p.params?.find((param) => param.key === '{}') ?? null;
      if (q === null || !coversFrom(q, child, depth - 1)) return false;
    }
  }
  for (const param of word.params ?? []) {
    const same = p.params?.find((other) => other.key === param.key);
    if (same === undefined || !coversFrom(same, param, depth - 1)) return false;
  }
  return true;
}

/** the shape of a subtree, `depth` levels down: keys, nesting, and where requests end ('$') */
export function subtreeSignature(node: TNode, depth: number, words: Set<string>): string {
  const parts: string[] = [];
  if (node.ends > 0) parts.push('$');
  if (depth > 0) {
    for (const child of node.statics?.values() ?? []) {
      if (child.group === GROUP_WORD) words.add(child.key);
      parts.push(child.key + '(' + subtreeSignature(child, depth - 1, words) + ')');
    }
    for (const p of node.params ?? []) parts.push(p.key + '(' + subtreeSignature(p, depth - 1, words) + ')');
  }
  return parts.sort().join(',');
}

/** the end of a lower-case prefix and its separator ('cus_…' → 4), or 0 */
export function prefixEnd(value: string): number {
  const n = Math.min(value.length, 13);
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 95 || c === 45) return i > 0 ? i + 1 : 0;
    if (c < 97 || c > 122) return 0;
  }
  return 0;
}

/** letters and digits from `from` on, with a digit or both cases */
export function isMixedAlnumFrom(value: string, from: number): boolean {
  let digits = 0;
  let upper = 0;
  let lower = 0;
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
    else return false;
  }
  return digits > 0 || (upper > 0 && lower > 0);
}

/** calls fn for every child: the path root, static children, parameters */
export function forEachChild(node: TNode, fn: (child: TNode) => void): void {
  if (node.pathRoot !== null) fn(node.pathRoot);
  if (node.statics !== null) for (const child of node.statics.values()) fn(child);
  if (node.params !== null) for (const child of node.params) fn(child);
}
