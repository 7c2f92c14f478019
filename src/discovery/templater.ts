/**
 * Path templates learned from concrete requests, with no OpenAPI document:
 * '/users/8123' and '/users/9001' become '/users/{userId}', '/users/me' stays.
 *
 * The model is a tree (templater-tree.ts), one node per position: host
 * labels right to left ('com' → 'example' → 'api' → '{tenant}'), then a path
 * root, then path segments. A node has static children (a map keyed by the
 * segment as received) and parameter children ('{}', or '{}.json' and
 * 'report.{}' inside a segment). A segment that matches a static child goes
 * there: one map lookup, the common case once the tree has learned.
 * Otherwise its shape (segment-shapes.ts) sorts it into a group:
 *   - identifiers (UUID, long integer, hash, e-mail, 'cus_…', tokens) go to
 *     the parameter at once;
 *   - short integers, dates and versions, and words become static children,
 *     with counters per group on the parent; templater-rules.ts says when a
 *     group of static children is really a parameter's values (how many
 *     distinct values, how many seen only once, where the position is).
 * When a group turns, its static children are merged into the parameter,
 * subtrees and all, and later values of that group go straight there. That
 * bounds memory: identifiers never become nodes, words only until their
 * position turns, and past `maxChildren` per node or `maxNodes` in all new
 * values go to the parameter.
 *
 * Structure, where counts cannot tell (checked after the request is walked):
 *   - shared children: rarely seen words whose children are the same as
 *     each other's ('/user/{login}/projectsV2') are one parameter's values,
 *     and a word whose children are all the parameter's joins it;
 *   - enum values: siblings with identical subtrees ('/packages/npm/{name}/versions'
 *     and the same under 'maven', 'docker') become one parameter;
 *   - at a merge, words far heavier than the rest, or with children no other
 *     value has ('/codespaces/secrets/public-key'), stay static.
 *   - file names of many stems and extensions ('misty.md', 'carbon.py',
 *     'README.md'), and language tags beside 'pt-BR', are a parameter's
 *     values however often a few of them recur.
 *
 * Splitting back (the merge was wrong): a parameter keeps a capped table of
 * its word values' counts and, for recurring ones, where their next
 * segment goes. A value split out becomes a static child again ("pinned":
 * it stays), taking the children only it created:
 *   - a few values recurring far more than the rest (a gap in the counts);
 *   - a value whose requests go where the other values never go ('/users/me/settings'),
 *     or that is one endpoint of its own: it ends there with one method that
 *     is a small part of the other values' requests ('/secrets/public-key');
 *   - all of them, when the values turn out to be a small vocabulary that
 *     keeps recurring (an RPC method list taken for identifiers early on),
 *     unless the merge was confirmed by many more new values after it.
 * Templates below the parameter that only the split value used are hidden
 * until a request ends there again (their counts were its requests).
 *
 * Paths: segments between '/', percent-decoded only to classify (static
 * parts are kept as received). A trailing '/' is dropped ('/users/' is
 * '/users': servers and routers treat them alike, and keeping both would
 * double endpoints); an empty segment inside the path ('/a//b') is kept,
 * static. A path without a leading '/' is read as if it had one. Hosts:
 * the top-level and registrable labels ('example.com') are never templated,
 * nor are IP addresses.
 */
import { callKey } from './templater-calls.ts';
import { extensionStart, isCountryCode, isExtensionLike, isFileExtension, LANGUAGE_WITH_SUBTAG, languageTagForm, readsLikeApiWord, readsLikeWords, SHAPE, shapeCode } from './segment-shapes.ts';
import { describeNode, renderNode } from './templater-render.ts';
import type { Rendered } from './templater-render.ts';
import {
  CONTEXT_AFTER_PARAM,
  CONTEXT_HOST,
  CONTEXT_PLURAL,
  CONTEXT_SINGULAR,
  CONTEXT_TOP,
  countOutliers,
  GROUP_ID,
  GROUP_NONE,
  GROUP_NUM,
  GROUP_TIME,
  GROUP_WORD,
  heavyThreshold,
  MERGE_ALL,
  MERGE_BUT_HEAVY,
  MERGE_NO,
  NOVEL_SHARE,
  PEEL_MIN_REQUESTS,
  shouldMergeIntegers,
  shouldMergeTimes,
  shouldMergeTimesBesideWords,
  CHOSEN_MIN_DISTINCT,
  shouldMergeChosen,
  isNamedPosition,
  LANGUAGE_MIN_DISTINCT,
  shouldMergeCountryCodes,
  shouldMergeLanguageTags,
  FILE_NAMES_MIN_DISTINCT,
  shouldMergeFileNames,
  shouldMergeWords,
  shouldPeel,
  isOwnEndpoint,
  OWN_ENDPOINT_G,
  minDistinctWords,
  shouldSplitWords,
} from './templater-rules.ts';
import {
  CHOSEN_NUMBERED,
  CHOSEN_SPACE,
  chosenKind,
  covers,
  decodeSegment,
  forEachChild,
  groupOf,
  ID_AND_EXTENSION,
  isPlural,
  joins,
  KIND_PARAM,
  KIND_PATH_ROOT,
  KIND_ROOT,
  KIND_STATIC,
  SPLIT_CHECK_FROM,
  structuralOutliers,
  subtreeSignature,
  TNode,
  ZONE_HOST,
  ZONE_PATH,
} from './templater-tree.ts';
import type { ParamInfo, ValueEntry } from './templater-tree.ts';
import type { GroupCounts } from './templater-rules.ts';
import type { LearnedTemplate } from './types.ts';

export interface PathTemplaterOptions {
  /** most distinct static children kept under one node before it must become a parameter or '(other)' (memory bound), default 1000 */
  maxChildren?: number;
  /** also template hosts ('{tenant}.api.example.com'); default true */
  templateHosts?: boolean;
  /** most nodes in the whole tree (memory bound); past it, new values go to parameters; default 200,000 */
  maxNodes?: number;
}

export interface TemplaterStats {
  /** nodes in the tree (static, parameter, host and path-root nodes) */
  nodes: number;
  /** parameter nodes */
  params: number;
  /** values tracked in the parameters' count tables (for splitting back) */
  trackedValues: number;
}

export interface PathTemplater {
  observe(method: string, host: string, path: string): void;
  /** the learned template the path maps to now: { host, template } (template in OpenAPI syntax '/users/{userId}') */
  match(method: string, host: string, path: string): { host: string; template: string };
  /**
   * observe() then match(), with the same answer, in one walk of the tree
   * when it can (the ingest hot path). The object returned may be shared
   * between calls (the same one for a template until the tree changes
   * shape): read it, never change it.
   */
  observeMatch(method: string, host: string, path: string): { readonly host: string; readonly template: string };
  /** all templates learned so far, per (host pattern, template), with evidence */
  templates(): LearnedTemplate[];
  /** sizes, for memory checks */
  stats(): TemplaterStats;
}

/** a sub-resource is the split value's own when the other values sent it less than this share of their requests */
const TAINT_SHARE = 0.05;
/** a value gets a next-step profile from its PROFILE_FROM-th request */
const PROFILE_FROM = 3;
/** next steps remembered per profiled value */
const PROFILE_KEYS_MAX = 8;
/** the static key for hosts past maxChildren when hosts are not templated */
const OTHER = '(other)';
const HOST_CACHE_MAX = 4096;
/** gap test on a parameter's word values: leaders need this many requests, and this many values below them */
const GAP_MIN_COUNT = 32;
const GAP_MIN_BULK = 8;
const GAP_RATIO = 4;
/** or half the requests and twice the gap */
const GAP_WIDE_MIN_COUNT = 16;
const GAP_WIDE_RATIO = 8;
/** gap test when merging (less traffic seen so far, so a wider gap) */
const MERGE_GAP_MIN_COUNT = 16;
const MERGE_GAP_MIN_BULK = 4;
const MERGE_GAP_RATIO = 6;
/** heavy children kept static at a merge: above a gap of this ratio to the next child */
const HEAVY_GAP_RATIO = 3;
/** shared-child test: this many words seen at most LIGHT_MAX times, sharing their children */
const SHARED_MIN = 4;
const LIGHT_MAX = 3;
/** shared-child checks queued by one request */
const PENDING_MAX = 8;
/** enum test: siblings with this many requests, this many alike, compared this deep */
const ENUM_MIN_COUNT = 4;
/** the test runs when a word's count reaches a power of two, up to this */
const ENUM_MAX_COUNT = 1024;
const ENUM_MIN_VALUES = 3;
/** when the subtrees hold only parameters ('/route-stats/{actorType}/{actorId}'), more alike siblings are needed */
const ENUM_MIN_VALUES_PARAMS_ONLY = 4;
/** and when they are endpoints of their own too (#checkEnumEndpoints), more still */
const ENUM_MIN_VALUES_ENDPOINTS = 6;
const ENUM_DEPTH = 3;
/** '{}.json', '{}.xml', '{}.csv' beside each other: this many make '{}.{}' */
const ID_AND_EXTENSION_MIN = 3;
/** a method name this long that reads like words is a template at once ('cancel'; not 'run', 'ixr') */
const METHOD_WORDY_MIN = 4;
/** pattern parameters beside each other at one position, at most (Microsoft Graph has over a hundred functions at some) */
const PATTERN_PARAMS_MAX = 256;
/** custom methods remembered per position until enough callers make them a template */
const EARLY_METHODS_MAX = 64;
/** requests a pinned word needs before its steps can release it into its parameter (#release) */
const RELEASE_MIN = 32;
/** calls of a method on a word, made before it was a template, that join it when it becomes one */
const LATE_CALL_MAX = 2;
/** #pinRecurringWords: requests that make a root's word its own */
const RECURRING_MIN = 3;
/** #isChosenDue: merge, and the merge stands (isNamedPosition) */
const MERGE_NAMED = 3;

/**
 * A plural word with only identifiers below is a collection ('/account/persons/{id}');
 * with sub-resources of its own below, two static words or more, it may as
 * well be an enum value ('/packages/rubygems/{name}/versions' beside 'npm').
 */
function isCollection(word: TNode): boolean {
  if (!isPlural(word.key)) return false;
  const words = new Set<string>();
  subtreeSignature(word, ENUM_DEPTH, words);
  return words.size < 2;
}

/**
 * A segment with a space inside is a name someone typed ('iris silver',
 * 'Hello World'), one with digits beside words a name someone chose
 * ('ruby-96', 'eagle-garden-269'), and one of random letters or letters
 * mixed with digits ('t7R3Rgwih', 'upjjDkrdhct3') a generated one: never an
 * API's own path word (see shouldMergeChosen, readsLikeApiWord), so however
 * hot, a parameter's value, not a static sibling to pin or split back.
 * Asked at merges and splits only, not per request.
 */
function isValueOnlyName(raw: string): boolean {
  const value = decodeSegment(raw);
  const kind = chosenKind(value, GROUP_WORD);
  return kind === CHOSEN_SPACE || kind === CHOSEN_NUMBERED || !readsLikeApiWord(value);
}

/**
 * A word no API would name a path by ('JaWEE2F', 'nbX9KbX': see
 * readsLikeApiWord) beside a parameter that takes identifiers: one more of
 * them, short as it is, from its first request.
 */
function isGeneratedBesideIds(info: ParamInfo, value: string): boolean {
  // not a host name ('api.amberhollow.org'): words run together read as random letters there
  if (info.identifiers === 0 || value.indexOf('.') >= 0) return false;
  // once such values came ('t7R3Rgwih'), mixed-case ones that happen to read well join them too ('GpUWDuEP6', 'snmNC-fWFYTb')
  return !readsLikeApiWord(value) || (info.hasTakenGenerated && isScrambledCase(value));
}

/** a digit after a capital inside, or two runs of capitals after lower case: 'GpUWDuEP6', 'iZCamJ_uggmKBocC' (not 'batchDelete') */
function isScrambledCase(value: string): boolean {
  let humps = 0;
  let hasInnerCapital = false;
  let hasDigit = false;
  for (let i = 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const before = value.charCodeAt(i - 1);
    if (c >= 65 && c <= 90) {
      hasInnerCapital = true;
      if (before >= 97 && before <= 122) humps++;
    } else if (c >= 48 && c <= 57) hasDigit = true;
  }
  return hasInnerCapital && (hasDigit || humps >= 2);
}

/** values of which half or more no API would name a path by ('upjjDkrdhct3'): no vocabulary, however they recur */
function areMostlyGenerated(entries: readonly ValueEntry[]): boolean {
  let generated = 0;
  for (const entry of entries) if (!readsLikeApiWord(decodeSegment(entry.raw))) generated++;
  return generated * 2 >= entries.length;
}

/**
 * Where an API's own collections are: the path's root, or right after a
 * version ('/v1beta1/…'). Not a first segment that is a word
 * ('/channelGroup/…'): CONTEXT_TOP counts it, but a value follows it as
 * often as a collection does.
 */
function isApiRoot(parent: TNode): boolean {
  return parent.kind === KIND_PATH_ROOT || (parent.kind === KIND_STATIC && parent.group === GROUP_TIME);
}

/**
 * A word no API would name a path by ('upjjDkrdhct3': random letters, see
 * readsLikeApiWord) whose subtree the parameter beside it covers: one more
 * of its values ('/service/{serviceName}/users' from ids, and this name
 * with the same 'users' below), however few words the parameter has seen.
 */
function isValueBeside(p: TNode, word: TNode): boolean {
  return !readsLikeApiWord(decodeSegment(word.key)) && covers(p, word, ENUM_DEPTH);
}

function isIpLiteral(host: string): boolean {
  if (host.indexOf(':') >= 0 || host.charCodeAt(0) === 91) return true;
  const code = shapeCode(host);
  return code === SHAPE.ip;
}

/** where the segments of a path end: before one trailing '/' ('/users/' is '/users') */
function pathEnd(path: string, start: number): number {
  const n = path.length;
  return n > start && path.charCodeAt(n - 1) === 47 ? n - 1 : n;
}

export function createPathTemplater(options: PathTemplaterOptions = {}): PathTemplater {
  return new Templater(options);
}

class Templater implements PathTemplater {
  readonly #maxChildren: number;
  readonly #maxNodes: number;
  readonly #templateHosts: boolean;
  readonly #root = new TNode(null, '', KIND_ROOT, ZONE_HOST);
  #nodes = 1;
  #params = 0;
  #observations = 0;
  /** bumped whenever the tree changes shape (merge, split): cached renderings are stale */
  #generation = 0;
  readonly #hostLabels = new Map<string, readonly string[]>();
  /** set by #step: the word value entry of a parameter just stepped into, for its next-step profile */
  #lastEntry: ValueEntry | null = null;
  /**
   * Checks that change the tree's shape wait until the request is walked
   * (the walk holds nodes they may move): a parameter whose word values to
   * test, words that got a new child (shared-child test), a word whose
   * subtree to compare with its siblings' (enum test).
   */
  #pendingWords: TNode | null = null;
  readonly #pendingShared: TNode[] = [];
  /** per parent: custom methods seen on too few callers (':cancel' → the segments it came in), not yet a template */
  readonly #earlyMethodCalls = new WeakMap<TNode, Map<string, string[]>>();
  /** words whose count reached a power of two in this request, in walk order (at most PENDING_MAX); checked deepest first */
  readonly #pendingEnum: TNode[] = [];
  /** the previous segment of the path being walked (the origin of nodes created under a parameter) */
  #originRaw = '';
  readonly #counts: GroupCounts = { distinct: 0, total: 0, once: 0, twice: 0 };
  /**
   * Cleared by #step when the child it chose is not certainly the one
   * #route would choose for the same segment (observeMatch then asks
   * match()). Where it stays set, and the walk changed the tree's shape
   * nowhere (#generation), match() would walk the same nodes: every step
   * was a static child found by its key (#route looks there first), a new
   * static child (found there now), or the parameter #route picks by the
   * same tests on the same state.
   */
  #isRoutable = true;

  constructor(options: PathTemplaterOptions) {
    this.#maxChildren = Math.max(1, options.maxChildren ?? 1000);
    this.#maxNodes = Math.max(16, options.maxNodes ?? 200_000);
    this.#templateHosts = options.templateHosts ?? true;
    // top-level labels, IP addresses (and whole hosts when they are not templated) stay as they are
    this.#root.isLiteralOnly = true;
  }

  stats(): TemplaterStats {
    let trackedValues = 0;
    const visit = (node: TNode): void => {
      if (node.info?.values) trackedValues += node.info.values.size;
      forEachChild(node, visit);
    };
    visit(this.#root);
    return { nodes: this.#nodes, params: this.#params, trackedValues };
  }

  observe(method: string, host: string, path: string): void {
    this.#walk(method, host, path);
  }

  observeMatch(method: string, host: string, path: string): { readonly host: string; readonly template: string } {
    const generation = this.#generation;
    this.#isRoutable = true;
    const node = this.#walk(method, host, path);
    if (this.#isRoutable && this.#generation === generation) return this.#render(node);
    return this.match(method, host, path);
  }

  // hot path: a map lookup per known segment, a shape scan per new one
  /** learns from one request; the node it ended at (before the checks that may move it) */
  #walk(method: string, host: string, path: string): TNode {
    const root = this.#root;
    root.count++;
    this.#observations++;
    let node = root;
    const labels = this.#labelsOf(host);
    for (let i = 0; i < labels.length; i++) node = this.#step(node, labels[i] as string, ZONE_HOST);
    this.#lastEntry = null;
    let pathRoot = node.pathRoot;
    if (pathRoot === null) pathRoot = node.pathRoot = this.#newNode(node, '', KIND_PATH_ROOT, ZONE_PATH);
    pathRoot.count++;
    node = pathRoot;
    let pending: ValueEntry | null = null;
    let pendingParam: TNode | null = null;
    // segments by hand rather than path.split('/'): half the cost, no array
    const start = path.charCodeAt(0) === 47 ? 1 : 0;
    const end = pathEnd(path, start);
    let previous = '';
    for (let i = start; i < end || (i === end && i > start && path.charCodeAt(i - 1) === 47); ) {
      let j = path.indexOf('/', i);
      if (j < 0 || j > end) j = end;
      const segment = path.slice(i, j);
      this.#originRaw = previous;
      const next = this.#step(node, segment, ZONE_PATH);
      if (pending !== null && pending.count >= PROFILE_FROM) this.#profile(pendingParam as TNode, pending, next);
      pending = this.#lastEntry as ValueEntry | null;
      pendingParam = next;
      this.#lastEntry = null;
      node = next;
      previous = segment;
      if (j >= end) break;
      i = j + 1;
    }
    if (pending !== null) {
      pending.ends++;
      pending.method = method;
      if (pending.count >= PROFILE_FROM) this.#profile(pendingParam as TNode, pending, method);
    }
    node.ends++;
    node.seenAt = this.#observations;
    let methods = node.methods;
    if (methods === null) methods = node.methods = new Map();
    methods.set(method, (methods.get(method) ?? 0) + 1);
    if (this.#pendingWords !== null || this.#pendingShared.length > 0 || this.#pendingEnum.length > 0) this.#runPending();
    return node;
  }

  #runPending(): void {
    const words = this.#pendingWords;
    this.#pendingWords = null;
    if (words !== null && words.parent !== null) this.#checkWords(words);
    // deepest first: a new word with a new child is checked before its parent
    const shared = this.#pendingShared;
    while (shared.length > 0) {
      const word = shared.pop() as TNode;
      if (word.parent !== null) this.#checkShared(word);
    }
    // deepest first too: a word and its child reach a power of two together ('/service/x/users')
    const enums = this.#pendingEnum;
    while (enums.length > 0) {
      const word = enums.pop() as TNode;
      if (word.parent !== null) this.#checkEnum(word);
    }
  }

  match(_method: string, host: string, path: string): { host: string; template: string } {
    let node: TNode | null = this.#root;
    const labels = this.#labelsOf(host);
    for (let i = 0; i < labels.length && node !== null; i++) node = this.#route(node, labels[i] as string);
    const pathRoot: TNode | null = node === null ? null : node.pathRoot;
    if (pathRoot === null) return { host, template: path.charCodeAt(0) === 47 ? path : '/' + path };
    node = pathRoot;
    const start = path.charCodeAt(0) === 47 ? 1 : 0;
    const end = pathEnd(path, start);
    let i = start;
    let isOnTree = true;
    for (; i < end || (i === end && i > start && path.charCodeAt(i - 1) === 47); ) {
      let j = path.indexOf('/', i);
      if (j < 0 || j > end) j = end;
      const next = this.#route(node, path.slice(i, j));
      if (next === null) {
        isOnTree = false;
        break;
      }
      node = next;
      if (j >= end) break;
      i = j + 1;
    }
    const rendered = this.#render(node);
    if (isOnTree) return { host: rendered.host, template: rendered.template };
    // off the learned tree: the rest as received
    return { host: rendered.host, template: (rendered.template === '/' ? '' : rendered.template) + '/' + path.slice(i, end) };
  }

  templates(): LearnedTemplate[] {
    const out = new Map<string, LearnedTemplate>();
    const visit = (node: TNode): void => {
      if (node.ends > 0 && node.taintedAt < node.seenAt) {
        const rendered = this.#render(node);
        const key = rendered.host + ' ' + rendered.template;
        const existing = out.get(key);
        if (existing === undefined) {
          out.set(key, describeNode(node, rendered));
        } else {
          const methods = { ...existing.methods };
          for (const [method, n] of node.methods ?? []) methods[method] = (methods[method] ?? 0) + n;
          out.set(key, { ...existing, count: existing.count + node.ends, methods });
        }
      }
      forEachChild(node, visit);
    };
    visit(this.#root);
    return [...out.values()].sort((a, b) => b.count - a.count || (a.host + a.template < b.host + b.template ? -1 : 1));
  }

  // ---------------------------------------------------------------------------
  // observing

  #labelsOf(host: string): readonly string[] {
    let labels = this.#hostLabels.get(host);
    if (labels === undefined) {
      labels = !this.#templateHosts || host === '' || isIpLiteral(host) ? [host] : host.split('.').reverse();
      if (this.#hostLabels.size >= HOST_CACHE_MAX) this.#hostLabels.clear();
      this.#hostLabels.set(host, labels);
    }
    return labels;
  }

  #newNode(parent: TNode, key: string, kind: number, zone: number, prefix = '', suffix = ''): TNode {
    this.#nodes++;
    if (kind === KIND_PARAM) this.#params++;
    return new TNode(parent, key, kind, zone, prefix, suffix);
  }

  // hot path
  /** one position: the child the segment goes to, learning on the way */
  #step(parent: TNode, raw: string, zone: number): TNode {
    const statics = parent.statics;
    if (statics !== null) {
      const child = statics.get(raw);
      if (child !== undefined) {
        this.#touch(parent, child);
        return child;
      }
    }
    const value = decodeSegment(raw);
    const code = shapeCode(value);
    const group = groupOf(code, value);
    if (parent.isLiteralOnly) {
      if (statics !== null && statics.size >= this.#maxChildren) {
        this.#isRoutable = false;
        return this.#addStatic(parent, OTHER, group, value);
      }
      return this.#addStatic(parent, raw, group, value);
    }
    const pattern = this.#patternParam(parent, raw, value, group, false);
    if (pattern !== null) return pattern;
    // a collection's own method beside a parameter ('/v2/entries:list' beside '/v2/{name}'): the
    // API's endpoint, never one of the words counted for a merge (it recurs as a vocabulary does)
    if (group === GROUP_WORD && parent.params !== null && isWordCall(value)) return this.#addStatic(parent, raw, GROUP_NONE, value);
    if (group === GROUP_ID || (parent.modes & (1 << group)) !== 0) return this.#toParam(parent, raw, value, code, group);
    if ((statics !== null && statics.size >= this.#maxChildren) || this.#nodes >= this.#maxNodes) {
      this.#isRoutable = false;
      return this.#toParam(parent, raw, value, code, group);
    }
    if (group === GROUP_WORD && parent.params !== null) {
      // an identifier the shape test missed, or a word the parameter absorbed (an enum value)
      const p = this.#findParam(parent, '{}');
      if (p !== null) {
        const info = p.info as ParamInfo;
        if (info.isIdentifierLike(value) || info.values?.has(raw) === true) {
          // recording the value changes what those tests say
          this.#isRoutable = false;
          return this.#toParam(parent, raw, value, code, group);
        }
        if (isGeneratedBesideIds(info, value)) {
          this.#isRoutable = false;
          // the first time: those seen before the parameter took identifiers join it too
          if (!info.hasTakenGenerated) {
            info.hasTakenGenerated = true;
            this.#takeGenerated(parent, info);
          }
          return this.#toParam(parent, raw, value, code, group);
        }
      }
    }
    const child = this.#addStatic(parent, raw, group, value);
    // it joined a 'report.{}' pattern with its siblings
    if (child.parent !== parent) return this.#paramFor(parent, raw, value, code);
    const due = group === GROUP_NONE ? MERGE_NO : this.#isDue(parent, group, zone);
    if (due !== MERGE_NO) {
      if (due === MERGE_BUT_HEAVY) this.#pinHeavy(parent, group, true);
      this.#mergeGroup(parent, group);
      // the new child was merged: continue from where it went
      return parent.statics?.get(raw) ?? this.#paramFor(parent, raw, value, code);
    }
    if (zone === ZONE_PATH && group === GROUP_WORD && (languageTagForm(value) !== 0 || isCountryCode(value)) && this.#isLanguageDue(parent)) {
      this.#mergeGroup(parent, GROUP_WORD);
      // a small domain that keeps recurring, like an enum's: not a vocabulary to split back
      const p = this.#findParam(parent, '{}');
      if (p !== null) (p.info as ParamInfo).isEnum = true;
      return parent.statics?.get(raw) ?? this.#paramFor(parent, raw, value, code);
    }
    if (zone === ZONE_PATH && group === GROUP_WORD && extensionStart(value) > 0 && this.#isFileNamesDue(parent)) {
      this.#pinHeavy(parent, GROUP_WORD);
      this.#mergeGroup(parent, GROUP_WORD);
      return parent.statics?.get(raw) ?? this.#paramFor(parent, raw, value, code);
    }
    const chosen = zone === ZONE_PATH && chosenKind(value, group) !== 0 ? this.#isChosenDue(parent) : MERGE_NO;
    if (chosen !== MERGE_NO) {
      const isRoot = isApiRoot(parent);
      if (isRoot) this.#pinRecurringWords(parent);
      else this.#pinHeavy(parent, GROUP_WORD);
      this.#mergeGroup(parent, GROUP_WORD);
      // at an API's root, versions stay
      if (!isRoot) this.#mergeGroup(parent, GROUP_TIME);
      const p = this.#findParam(parent, '{}');
      if (p !== null && chosen === MERGE_NAMED) (p.info as ParamInfo).isConfirmed = true;
      return parent.statics?.get(raw) ?? this.#paramFor(parent, raw, value, code);
    }
    return child;
  }

  /** the static words seen before that isGeneratedBesideIds now takes ('xsimzslofkSthp2', 'iZCamJ_uggmKBocC') go into the parameter beside them */
  #takeGenerated(parent: TNode, info: ParamInfo): void {
    const generated: TNode[] = [];
    for (const child of parent.statics?.values() ?? []) if (child.group === GROUP_WORD && !child.isPinned && isGeneratedBesideIds(info, decodeSegment(child.key))) generated.push(child);
    this.#mergeLiterals(parent, generated);
  }

  /** a static child: when it is new, it was seen once */
  #addStatic(parent: TNode, raw: string, group: number, value: string): TNode {
    let statics = parent.statics;
    if (statics === null) statics = parent.statics = new Map();
    let child = statics.get(raw);
    if (child !== undefined) {
      this.#touch(parent, child);
      return child;
    }
    child = this.#newNode(parent, raw, KIND_STATIC, parent.kind === KIND_PATH_ROOT ? ZONE_PATH : parent.zone);
    child.group = group;
    child.count = 1;
    // below a top-level label: registrable names ('example' in example.com) are not tenants
    if (parent.kind === KIND_ROOT && this.#templateHosts) child.isLiteralOnly = true;
    if (parent.kind === KIND_PARAM) child.origin = this.#originRaw;
    statics.set(raw, child);
    // a word got a child: is it one of many values with the same children?
    if (parent.kind === KIND_STATIC && parent.group === GROUP_WORD && this.#pendingShared.length < PENDING_MAX) this.#pendingShared.push(parent);
    const counters = this.#countersOf(parent);
    const base = group * 4;
    counters[base]!++;
    counters[base + 1]!++;
    counters[base + 2]!++;
    if (group === GROUP_WORD && value.indexOf('.') > 0) this.#maybeExtensionPattern(parent, raw);
    return child;
  }

  #countersOf(node: TNode): Float64Array {
    let counters = node.counters;
    if (counters === null) counters = node.counters = new Float64Array(20);
    return counters;
  }

  // hot path
  #touch(parent: TNode, child: TNode): void {
    const count = ++child.count;
    if (count > 3) {
      const counters = parent.counters;
      if (counters !== null) counters[child.group * 4 + 1]!++;
      // at 4, 8, 16 … 1024: compare this word's subtree with its siblings' (enum test)
      if (count <= ENUM_MAX_COUNT && (count & (count - 1)) === 0 && child.group === GROUP_WORD && (child.statics !== null || child.params !== null || child.isPinned)) {
        if (this.#pendingEnum.length < PENDING_MAX) this.#pendingEnum.push(child);
      }
      return;
    }
    const counters = this.#countersOf(parent);
    const base = child.group * 4;
    counters[base + 1]!++;
    if (count === 1) {
      // a child split back from a parameter starts from nothing
      counters[base]!++;
      counters[base + 2]!++;
    } else if (count === 2) {
      counters[base + 2]!--;
      counters[base + 3]!++;
    } else if (count === 3) counters[base + 3]!--;
  }

  #isDue(parent: TNode, group: number, zone: number): number {
    const counters = parent.counters;
    if (counters === null) return MERGE_NO;
    const counts = this.#counts;
    const base = group * 4;
    counts.distinct = counters[base] ?? 0;
    counts.total = counters[base + 1] ?? 0;
    counts.once = counters[base + 2] ?? 0;
    counts.twice = counters[base + 3] ?? 0;
    if (group === GROUP_WORD && parent.params !== null) {
      // words that went into the parameter already (shared children, enum values) count too
      const p = this.#findParam(parent, '{}');
      if (p !== null) (p.info as ParamInfo).addWordCounts(counts);
    }
    if (group === GROUP_NUM) return shouldMergeIntegers(counts) ? MERGE_ALL : MERGE_NO;
    if (group === GROUP_TIME) return shouldMergeTimes(counts, this.#contextOf(parent, zone)) || (this.#isWordParam(parent) && shouldMergeTimesBesideWords(counts)) ? MERGE_ALL : MERGE_NO;
    if (group === GROUP_WORD) {
      const due = shouldMergeWords(counts, this.#contextOf(parent, zone), parent.wordFlips, () => this.#heavy(parent, group));
      return due !== MERGE_NO && areMostlyPlural(parent.statics?.values() ?? []) ? MERGE_NO : due;
    }
    return MERGE_NO;
  }

  /**
   * The heavy children of a group: with heavyThreshold(total) requests or
   * more and, unless the position already holds a parameter of words, above
   * the first gap of HEAVY_GAP_RATIO in the counts. With no parameter yet, a
   * heavy child in a run of others nearly as heavy is the head of a
   * vocabulary used with a skew (an RPC method list) as much as a static
   * sibling beside values, so only a clear gap sets it aside.
   */
  #heavyChildren(parent: TNode, group: number, isPinning: boolean): TNode[] {
    const threshold = heavyThreshold(parent.counters?.[group * 4 + 1] ?? 0);
    const children: TNode[] = [];
    for (const child of parent.statics?.values() ?? []) if (child.group === group && !child.isPinned && child.count >= threshold) children.push(child);
    const p = isPinning ? null : this.#findParam(parent, '{}');
    if (p !== null && (p.info as ParamInfo).wordObservations > 0) return children;
    // the heaviest of the others, at least 2: a gap above ones and twos is noise of small counts
    let below = 2;
    for (const child of parent.statics?.values() ?? []) if (child.group === group && !child.isPinned && child.count < threshold && child.count > below) below = child.count;
    children.sort((a, b) => b.count - a.count);
    const counts = children.map((child) => child.count);
    counts.push(below);
    return children.slice(0, countOutliers(counts, threshold, 1, HEAVY_GAP_RATIO));
  }

  #heavy(parent: TNode, group: number): { count: number; total: number } {
    let total = 0;
    const heavy = this.#heavyChildren(parent, group, false);
    for (const child of heavy) total += child.count;
    return { count: heavy.length, total };
  }

  /**
   * At a merge, the heavy children that stand clear of the rest (a gap)
   * stay static; a heavy child in a run of others nearly as heavy is the
   * head of a skewed population (the most requested user) and merges.
   * `isAsDecided`: the merge was decided with the heavy children set aside
   * (MERGE_BUT_HEAVY); at an API's root (isApiRoot), where its own
   * collections are, those of #heavy stay, gap or not.
   */
  #pinHeavy(parent: TNode, group: number, isAsDecided = false): void {
    // after MERGE_BUT_HEAVY at an API's root, the children the decision set aside (#heavy): merging
    // one of them would take in the very sibling ('/v1beta1/eidparams') the counts were read without;
    // below a collection, a hot value ('/domains/prairie-marble.cloud') is as likely
    const isAll = isAsDecided && isApiRoot(parent);
    for (const child of this.#heavyChildren(parent, group, !isAll)) if (group !== GROUP_WORD || !isValueOnlyName(child.key)) child.isPinned = true;
  }

  /** does the position hold a parameter made of many word values (not an enum's few)? */
  #isWordParam(parent: TNode): boolean {
    if ((parent.modes & (1 << GROUP_WORD)) === 0) return false;
    const p = this.#findParam(parent, '{}');
    if (p === null) return false;
    const info = p.info as ParamInfo;
    return !info.isEnum && info.minDistinct > 0;
  }

  /**
   * A new child of a chosen kind: is the position, judged on all its word
   * and version children together, a parameter's (shouldMergeChosen)?
   * MERGE_NAMED when names alone say so (isNamedPosition: the merge then
   * stands; at an API's root too), MERGE_ALL, or MERGE_NO. Runs only when
   * such a child is added (a few in an API's own vocabulary).
   */
  #isChosenDue(parent: TNode): number {
    if ((parent.modes & (1 << GROUP_WORD)) !== 0 || parent.statics === null || parent.statics.size < CHOSEN_MIN_DISTINCT) return MERGE_NO;
    const isTop = this.#contextOf(parent, ZONE_PATH) === CONTEXT_TOP;
    let distinct = 0;
    let rare = 0;
    let chosen = 0;
    let named = 0;
    let kinds = 0;
    for (const child of parent.statics.values()) {
      if ((child.group !== GROUP_WORD && child.group !== GROUP_TIME) || child.isPinned) continue;
      distinct++;
      if (child.count <= 2) rare++;
      const kind = chosenKind(decodeSegment(child.key), child.group);
      if (kind !== 0) {
        chosen++;
        kinds |= kind;
        if (kind === CHOSEN_SPACE || kind === CHOSEN_NUMBERED) named++;
      }
    }
    let kindCount = 0;
    for (; kinds !== 0; kinds &= kinds - 1) kindCount++;
    if (isNamedPosition(distinct, rare, named)) return MERGE_NAMED;
    // at an API's root, a mix of kinds may be its versions beside its words: only names decide there
    return !isTop && shouldMergeChosen(distinct, rare, chosen, kindCount) ? MERGE_ALL : MERGE_NO;
  }

  /**
   * Before names merge at an API's root ('/v1beta1/{beaconName}'), its own
   * collections beside them stay: the words of the usual kind seen three
   * times or more ('eidparams'), where names come and go, and plural nouns
   * however rarely seen so far ('namespaces').
   */
  #pinRecurringWords(parent: TNode): void {
    for (const child of parent.statics?.values() ?? []) {
      if (child.group !== GROUP_WORD || chosenKind(decodeSegment(child.key), GROUP_WORD) !== 0) continue;
      if (child.count >= RECURRING_MIN || (isLettersOnly(child.key) && isPlural(child.key))) child.isPinned = true;
    }
  }

  /** a new language tag or country code: are the position's word children all language tags, or all country codes (shouldMergeLanguageTags, shouldMergeCountryCodes)? */
  #isLanguageDue(parent: TNode): boolean {
    if ((parent.modes & (1 << GROUP_WORD)) !== 0 || parent.statics === null || parent.statics.size < LANGUAGE_MIN_DISTINCT) return false;
    if (this.#contextOf(parent, ZONE_PATH) === CONTEXT_TOP) return false;
    let words = 0;
    let tags = 0;
    let withSubtag = 0;
    let countries = 0;
    for (const child of parent.statics.values()) {
      if (child.group !== GROUP_WORD || child.isPinned) continue;
      words++;
      const value = decodeSegment(child.key);
      const form = languageTagForm(value);
      if (form !== 0) tags++;
      if (form === LANGUAGE_WITH_SUBTAG) withSubtag++;
      if (isCountryCode(value)) countries++;
    }
    return shouldMergeLanguageTags(words, tags, withSubtag) || shouldMergeCountryCodes(words, countries);
  }

  /**
   * A new static file name ('misty.md'): are the position's word children
   * mostly file names of many stems (shouldMergeFileNames)? Runs only when
   * such a child is added, and never again once the position is a parameter.
   */
  #isFileNamesDue(parent: TNode): boolean {
    if ((parent.modes & (1 << GROUP_WORD)) !== 0 || parent.statics === null || parent.statics.size < FILE_NAMES_MIN_DISTINCT) return false;
    if (this.#contextOf(parent, ZONE_PATH) === CONTEXT_TOP) return false;
    let words = 0;
    let fileNames = 0;
    const stems = new Set<string>();
    const extensions = new Set<string>();
    for (const child of parent.statics.values()) {
      if (child.group !== GROUP_WORD || child.isPinned) continue;
      words++;
      const value = decodeSegment(child.key);
      const dot = value.lastIndexOf('.');
      if (dot <= 0 || !isExtensionLike(value.slice(dot + 1))) continue;
      fileNames++;
      stems.add(value.slice(0, dot));
      if (extensionStart(value) === dot) extensions.add(value.slice(dot + 1).toLowerCase());
    }
    return shouldMergeFileNames(words, fileNames, stems.size, extensions.size);
  }

  /** a singular word, a version or a first segment ('/v1/object', '/v1', '/api'): the API's own namespace, not a collection */
  #isNamespace(parent: TNode): boolean {
    const context = this.#contextOf(parent, ZONE_PATH);
    return context === CONTEXT_SINGULAR || context === CONTEXT_TOP;
  }

  #contextOf(parent: TNode, zone: number): number {
    if (zone === ZONE_HOST) return CONTEXT_HOST;
    if (parent.kind === KIND_PATH_ROOT || parent.kind === KIND_ROOT) return CONTEXT_TOP;
    if (parent.kind === KIND_PARAM) return CONTEXT_AFTER_PARAM;
    if (parent.group === GROUP_TIME) return CONTEXT_TOP;
    if (isPlural(parent.key)) return CONTEXT_PLURAL;
    // a first segment that is not a collection: a namespace ('/api/…', '/rest/…')
    return parent.parent !== null && parent.parent.kind === KIND_PATH_ROOT ? CONTEXT_TOP : CONTEXT_SINGULAR;
  }

  /**
   * In-segment parameters: '{}.json' when the part before a file extension
   * is an identifier (or an integer where integers are parameters), and an
   * existing 'report.{}' when the segment is 'report.' and an extension.
   * Three or more '{}.json', '{}.mp4', '{}.mkv' beside each other are one
   * '{}.{}' (an identifier and a format: '/Videos/{id}/{stream}.{container}'),
   * which any extension then joins, known or not ('a1b2.asf').
   * `lookOnly` never creates anything (for match()).
   */
  #patternParam(parent: TNode, raw: string, value: string, group: number, lookOnly: boolean): TNode | null {
    if (value.indexOf(':') > 0) {
      const method = this.#methodParam(parent, raw, value, lookOnly);
      if (method !== null) return method;
    }
    if (value.charCodeAt(value.length - 1) === 41 /* ')' */) {
      const call = this.#callParam(parent, value, lookOnly);
      if (call !== null) return call;
    }
    if (value.indexOf('.') <= 0) return null;
    const params = parent.params;
    if (params !== null) {
      for (let i = 0; i < params.length; i++) {
        const p = params[i] as TNode;
        if (p.prefix.length > 0 && raw.length > p.prefix.length && raw.startsWith(p.prefix) && isExtensionLike(raw.slice(p.prefix.length))) {
          if (!lookOnly) {
            p.count++;
            this.#record(p, raw.slice(p.prefix.length), SHAPE.word, GROUP_NONE, 1);
          }
          return p;
        }
      }
    }
    if (group === GROUP_ID) {
      // a whole identifier that contains a dot ('user@example.com', '10.0.0.1'): not a pattern
      return null;
    }
    const dot = value.lastIndexOf('.');
    const head = value.slice(0, dot);
    const headCode = shapeCode(head);
    const headGroup = groupOf(headCode, head);
    if (headGroup !== GROUP_ID && !(headGroup === GROUP_NUM && (parent.modes & (1 << GROUP_NUM)) !== 0)) return null;
    const both = params === null ? null : this.#findParam(parent, ID_AND_EXTENSION);
    if (both !== null && isExtensionLike(value.slice(dot + 1))) {
      if (!lookOnly) {
        both.count++;
        this.#record(both, head, headCode, headGroup, 1);
      }
      return both;
    }
    if (extensionStart(value) !== dot) return null;
    const suffix = raw.slice(raw.lastIndexOf('.'));
    const key = '{}' + suffix;
    let p = this.#findParam(parent, key);
    if (lookOnly) return p;
    if (p === null) p = this.#addParam(parent, key, '', suffix);
    p.count++;
    this.#record(p, head, headCode, headGroup, 1);
    return this.#maybeIdAndExtension(parent) ?? p;
  }

  /**
   * A custom method after an identifier (Google's AIP-136:
   * '/v1/{name}:cancel', '/v1/{name}:exportFeatureValues'): the identifier
   * is a parameter and the method stays in the template, one endpoint per
   * method, as '{}.json' keeps its extension. A new method needs an
   * identifier before the colon, or a segment that is already a parameter
   * position; a word under a static parent ('/v1/projects:search') is the
   * API's own path. A method of four letters or more that reads like words
   * ('exportFeatureValues') after an identifier is a template at once; any
   * other ('x:cgzUs', a value that merely has a colon in it) when a second
   * identifier calls it. After a word it is a collection's own method
   * ('/v1/people:batchGet', '/v2/entries:list') unless a third word calls
   * it, and never when that word is a static sibling ('/v1/contactGroups').
   * Once '{}:cancel' exists, any value with that method joins it. Like every
   * pattern parameter, a new one is made only within the bounds
   * (#hasRoomForPattern): made-up method names cannot grow the tree.
   */
  #methodParam(parent: TNode, raw: string, value: string, lookOnly: boolean): TNode | null {
    const colon = value.indexOf(':');
    const rawColon = raw.indexOf(':');
    // one colon: an ARN or a URN ('arn:aws:lambda:…:function:f') is one identifier
    if (rawColon <= 0 || colon !== value.lastIndexOf(':') || !isMethodName(value, colon + 1)) return null;
    const suffix = raw.slice(rawColon);
    let p = this.#findParam(parent, '{}' + suffix);
    if (lookOnly) return p;
    const head = value.slice(0, colon);
    const headCode = shapeCode(head);
    const headGroup = groupOf(headCode, head);
    if (p === null) {
      if (headGroup === GROUP_NONE || (headGroup !== GROUP_ID && parent.params === null) || !this.#hasRoomForPattern(parent)) return null;
      // a word that is a static sibling ('/v1/contactGroups' beside '/v1/contactGroups:batchGet') names the API's own collection
      if (headGroup !== GROUP_ID && parent.statics?.has(raw.slice(0, rawColon)) === true) return null;
      // a method is called on many resources: it becomes a template with its second identifier
      // ('x:cgzUs' once is a value with a colon in it); after words ('/v1/entries:list',
      // '/v1/people:batchGet', '/v1/contactGroups:batchGet'), with its third: an API calls a
      // collection's own method on one collection or two
      let seen = this.#earlyMethodCalls.get(parent);
      const earlier = seen?.get(suffix);
      const isWordy = headGroup === GROUP_ID && value.length - colon > METHOD_WORDY_MIN && readsLikeWords(value, colon + 1);
      const callers = headGroup === GROUP_ID ? 2 : 3;
      if (!isWordy && (earlier === undefined || earlier.length + 1 < callers || earlier.includes(raw))) {
        if (seen === undefined) this.#earlyMethodCalls.set(parent, (seen = new Map()));
        if (earlier === undefined) {
          if (seen.size < EARLY_METHODS_MAX) seen.set(suffix, [raw]);
        } else if (!earlier.includes(raw)) earlier.push(raw);
        return null;
      }
      seen?.delete(suffix);
      p = this.#addParam(parent, '{}' + suffix, '', suffix);
      // the earlier calls, kept as static segments then, join it, and so do calls seen once or twice
      // before the position had a parameter ('Star:deactivate'); a collection's own ('entries:list') recurs
      const calls: string[] = [];
      for (const [key, literal] of parent.statics ?? []) {
        if (literal.isPinned || !key.endsWith(suffix) || key.length === suffix.length || parent.statics?.has(key.slice(0, key.length - suffix.length)) === true) continue;
        if (earlier?.includes(key) === true || literal.count <= LATE_CALL_MAX) calls.push(key);
      }
      for (const key of calls) this.#joinFirstCall(parent, p, key, parent.statics?.get(key) as TNode);
    }
    p.count++;
    this.#record(p, head, headCode, headGroup, 1);
    return p;
  }

  /**
   * A word pinned beside a parameter of words (at a merge, for standing
   * far above the rest then: '/budgets/build.pine') goes back into it once
   * it has RELEASE_MIN requests spread over its next steps (sub-resources,
   * and the methods of requests that end there) as the parameter's are: the
   * G statistic of its steps against the parameter's under OWN_ENDPOINT_G,
   * or well within the spread of chance when it has many steps (a hot
   * repository's hundred sub-resources: '/repos/{owner}/topaz_cloud/…').
   * A static sibling keeps to its own steps ('/invoices/upcoming' is read,
   * never deleted); at an API's root, and for plural nouns, steps cannot
   * tell a collection from an item ('GET /v1beta1/beacons'): those stay.
   * Released, it is never split back out for recurring. Whether it was.
   */
  #release(p: TNode, word: TNode): boolean {
    const info = p.info as ParamInfo;
    if (info.isEnum || info.wordObservations < SHARED_MIN || word.count < RELEASE_MIN || p.count < RELEASE_MIN) return false;
    // an API's root holds its collections, read as its items are ('GET /v1beta1/beacons'): they stay
    if (isApiRoot(p.parent as TNode) || (isLettersOnly(word.key) && isPlural(word.key))) return false;
    // a leaf is weighed against the requests that end at the parameter only: the values one
    // endpoint takes are not always those another takes ('PATCH /projects/velvet', never its sub-resources)
    const isLeaf = word.statics === null && word.params === null;
    const total = isLeaf ? word.ends : word.count;
    const against = isLeaf ? p.ends : p.count;
    if (total < RELEASE_MIN || against < RELEASE_MIN) return false;
    let divergence = 0;
    let steps = 0;
    const add = (n: number, m: number): void => {
      steps++;
      if (n > 0) divergence += n * Math.log(n / total / ((m + 0.5) / (against + 1)));
    };
    for (const [key, child] of word.statics ?? []) add(child.count, p.statics?.get(key)?.count ?? 0);
    for (const q of word.params ?? []) add(q.count, this.#findParam(p, q.key)?.count ?? 0);
    for (const [method, n] of word.methods ?? []) add(n, p.methods?.get(method) ?? 0);
    // a chi-square law with steps - 1 degrees of freedom: a repository's hundred sub-resources
    // spread by chance as a secret's three methods do not
    if (2 * divergence >= Math.max(OWN_ENDPOINT_G, steps + 4 * Math.sqrt(2 * steps))) return false;
    word.isPinned = false;
    this.#mergeLiterals(p.parent as TNode, [word]);
    info.release(word.key);
    return true;
  }

  /** the static segment a method's first call made ('ab12:cancel') goes into the new '{}:cancel' */
  #joinFirstCall(parent: TNode, p: TNode, raw: string, literal: TNode): void {
    (parent.statics as Map<string, TNode>).delete(raw);
    const head = decodeSegment(raw.slice(0, raw.indexOf(':')));
    const code = shapeCode(head);
    this.#record(p, head, code, groupOf(code, head), literal.count);
    this.#mergeSubtree(p, literal);
    this.#recount(parent);
  }

  /**
   * OData keys and function calls ('certificates(thumbprintAlgorithm=sha1,thumbprint=…)',
   * 'Products(42)', "getReport(period='D7')"): the name and the argument names
   * stay, each value is a parameter ('certificates(thumbprintAlgorithm={},thumbprint={})'),
   * from the first request, as '{}.json' is. A call with no arguments ('delta()') is a word.
   */
  #callParam(parent: TNode, value: string, lookOnly: boolean): TNode | null {
    const key = callKey(value);
    if (key === null) return null;
    let p = this.#findParam(parent, key);
    if (lookOnly) return p;
    if (p === null) {
      if (!this.#hasRoomForPattern(parent)) return null;
      p = this.#addParam(parent, key, '', '');
    }
    p.count++;
    const args = value.slice(value.indexOf('(') + 1, -1);
    const code = shapeCode(args);
    this.#record(p, args, code, groupOf(code, args), 1);
    return p;
  }

  /**
   * May a new pattern parameter ('{}:cancel', 'Products({})') be made
   * under `parent`? Their keys come from the request, so they are bounded
   * like static children: by the tree's node budget, and to
   * PATTERN_PARAMS_MAX beside each other (an API has dozens of methods
   * per resource, not thousands).
   */
  #hasRoomForPattern(parent: TNode): boolean {
    return this.#nodes < this.#maxNodes && (parent.params?.length ?? 0) < PATTERN_PARAMS_MAX;
  }

  /** three or more '{}.json', '{}.xml', '{}.csv' beside each other become '{}.{}': the new parameter, or null */
  #maybeIdAndExtension(parent: TNode): TNode | null {
    const params = parent.params as TNode[];
    const singles: TNode[] = [];
    for (const p of params) if (p.prefix === '' && p.suffix.length > 1 && p.suffix.charCodeAt(0) === 46 && p.key === '{}' + p.suffix) singles.push(p);
    if (singles.length < ID_AND_EXTENSION_MIN) return null;
    const both = this.#addParam(parent, ID_AND_EXTENSION, '', '');
    for (const p of singles) {
      params.splice(params.indexOf(p), 1);
      this.#mergeSubtree(both, p);
    }
    // static siblings of that form seen before ('str_QW3l….asf', an extension not known then)
    const literals: TNode[] = [];
    for (const child of parent.statics?.values() ?? []) {
      const value = decodeSegment(child.key);
      const dot = value.lastIndexOf('.');
      if (child.isPinned || dot <= 0 || !isExtensionLike(value.slice(dot + 1))) continue;
      const head = value.slice(0, dot);
      if (groupOf(shapeCode(head), head) === GROUP_ID) literals.push(child);
    }
    for (const child of literals) {
      (parent.statics as Map<string, TNode>).delete(child.key);
      this.#mergeSubtree(both, child);
    }
    if (literals.length > 0) this.#recount(parent);
    return both;
  }

  /** three or more 'report.json', 'report.csv', 'report.xml' beside each other become 'report.{}' */
  #maybeExtensionPattern(parent: TNode, raw: string): void {
    const dot = raw.lastIndexOf('.');
    if (dot <= 0 || !isFileExtension(raw.slice(dot + 1))) return;
    const prefix = raw.slice(0, dot + 1);
    const statics = parent.statics as Map<string, TNode>;
    const siblings: TNode[] = [];
    let known = 0;
    for (const child of statics.values()) {
      if (child.key.length <= prefix.length || !child.key.startsWith(prefix) || child.isPinned) continue;
      const extension = child.key.slice(prefix.length);
      if (isFileExtension(extension)) known++;
      // the known ones make the pattern; one not known ('stream.asf') joins it
      if (isExtensionLike(extension)) siblings.push(child);
    }
    if (known < 3) return;
    const p = this.#findParam(parent, prefix + '{}') ?? this.#addParam(parent, prefix + '{}', prefix, '');
    for (const child of siblings) {
      statics.delete(child.key);
      this.#record(p, child.key.slice(prefix.length), SHAPE.word, GROUP_NONE, child.count);
      this.#mergeSubtree(p, child);
    }
    this.#recount(parent);
    this.#generation++;
  }

  #findParam(parent: TNode, key: string): TNode | null {
    const params = parent.params;
    if (params === null) return null;
    for (let i = 0; i < params.length; i++) if ((params[i] as TNode).key === key) return params[i] as TNode;
    return null;
  }

  #addParam(parent: TNode, key: string, prefix: string, suffix: string): TNode {
    const zone = parent.kind === KIND_PATH_ROOT ? ZONE_PATH : parent.zone;
    const p = this.#newNode(parent, key, KIND_PARAM, zone, prefix, suffix);
    if (parent.params === null) {
      parent.params = [p];
      this.#uncountWordCalls(parent);
    } else parent.params.push(p);
    this.#generation++;
    return p;
  }

  /** the collection methods ('entries:list') seen before the position's first parameter leave the word counts (see #step) */
  #uncountWordCalls(parent: TNode): void {
    let isChanged = false;
    for (const child of parent.statics?.values() ?? []) {
      if (child.group === GROUP_WORD && isWordCall(decodeSegment(child.key))) {
        child.group = GROUP_NONE;
        isChanged = true;
      }
    }
    if (isChanged) this.#recount(parent);
  }

  /** the whole-segment parameter (or the pattern one the segment fits) */
  #paramFor(parent: TNode, raw: string, value: string, code: number): TNode {
    const pattern = this.#patternParam(parent, raw, value, groupOf(code, value), true);
    if (pattern !== null) return pattern;
    return this.#findParam(parent, '{}') ?? this.#addParam(parent, '{}', '', '');
  }

  // hot path: every identifier goes through here
  #toParam(parent: TNode, raw: string, value: string, code: number, group: number): TNode {
    let p = this.#findParam(parent, '{}');
    if (p === null) {
      p = this.#addParam(parent, '{}', '', '');
      // a word got its first identifier below: it may be a late value of an enum of endpoints beside it (#checkShared)
      const enumBeside = parent.kind === KIND_STATIC && parent.group === GROUP_WORD && parent.parent !== null ? this.#findParam(parent.parent, '{}') : null;
      if (enumBeside !== null && (enumBeside.info as ParamInfo).hasEndpointValues && this.#pendingShared.length < PENDING_MAX) this.#pendingShared.push(parent);
    }
    p.count++;
    this.#record(p, raw, code, group, 1, value);
    // integers long enough to be ids make the short ones at this position ids too
    if (code === SHAPE.integer && group === GROUP_ID && (parent.modes & (1 << GROUP_NUM)) === 0) this.#mergeGroup(parent, GROUP_NUM);
    return p;
  }

  #record(p: TNode, raw: string, code: number, group: number, times: number, value = decodeSegment(raw)): void {
    const info = p.info as ParamInfo;
    info.record(raw, value, code, times);
    if (group === GROUP_WORD && p.zone === ZONE_PATH && p.key === '{}') {
      this.#lastEntry = info.recordWord(raw, times);
      if (info.wordObservations >= info.nextSplitCheck) {
        info.nextSplitCheck = Math.ceil(info.nextSplitCheck * 1.5);
        this.#pendingWords = p;
      }
    }
  }

  /** where a recurring word value of parameter `p` went next; may split it back */
  #profile(p: TNode, entry: ValueEntry, next: TNode | string): void {
    let profile = entry.profile;
    if (profile === null) profile = entry.profile = new Map();
    const seen = profile.get(next);
    if (seen !== undefined) profile.set(next, seen + 1);
    else if (profile.size < PROFILE_KEYS_MAX) profile.set(next, 1);
    entry.profiled++;
    if (entry.profiled < entry.nextCheck) return;
    entry.nextCheck *= 2;
    const restTotal = p.count - entry.count;
    if (restTotal < 4 * PEEL_MIN_REQUESTS) return;
    let novel = 0;
    let divergence = 0;
    let top = 0;
    let topRest = 0;
    let isTopEnd = false;
    for (const [key, n] of profile) {
      if (typeof key !== 'string' && key.parent !== p) {
        // the parameter's children changed shape since: start again
        entry.profile = null;
        entry.profiled = 0;
        entry.nextCheck = PEEL_MIN_REQUESTS;
        return;
      }
      const rest = Math.max(0, (typeof key === 'string' ? (p.methods?.get(key) ?? 0) : key.count) - n);
      if (rest < restTotal * NOVEL_SHARE) novel += n;
      divergence += n * Math.log(n / entry.profiled / ((rest + 0.5) / (restTotal + 1)));
      if (n > top) {
        top = n;
        topRest = rest;
        isTopEnd = typeof key === 'string';
      }
    }
    if (shouldPeel(entry.profiled, novel) || (isTopEnd && isOwnEndpoint(entry.profiled, top, topRest / restTotal, 2 * divergence))) this.#peel(p, entry);
  }


  /**
   * A parameter's word values, each time their number grows by half: a few that
   * recur far more than the rest (static siblings: split those back, the
   * rest stays), or else a vocabulary after all (split them all back).
   */
  #checkWords(p: TNode): void {
    const info = p.info as ParamInfo;
    const values = info.values;
    if (values === null || info.isEnum) return;
    const entries = [...values.values()].sort((a, b) => b.count - a.count);
    const counts = entries.map((e) => e.count);
    const leading = Math.max(countOutliers(counts, GAP_MIN_COUNT, GAP_MIN_BULK, GAP_RATIO), countOutliers(counts, GAP_WIDE_MIN_COUNT, GAP_MIN_BULK, GAP_WIDE_RATIO));
    if (leading > 0) {
      for (let i = 0; i < leading; i++) this.#peel(p, entries[i] as ValueEntry);
      return;
    }
    if (!info.hasSwept && !info.isConfirmed && shouldSplitWords(info.wordCounts()) && !areMostlyGenerated(entries)) this.#splitWords(p);
  }

  /**
   * A word just got a new child. Values of a parameter share their children
   * (every owner has 'issues' and 'pulls' below it), static words have their
   * own ('/customers/{id}' beside '/charges/{id}/refunds'). So:
   *   - a word whose children all exist under the node's parameter (one made
   *     of words, not only integers beside a '/users/me') joins it;
   *   - when rarely seen words, as many as a merge needs at this position,
   *     have children that other such words have too, each of those children
   *     shared by two of them on average, they are values of a parameter
   *     ('/user/{login}/projectsV2', '/registry/{name}/garbage-collection'):
   *     they merge, and the heavier words that match join them. Unlike the
   *     counts, this holds when static siblings take most of the traffic.
   */
  #checkShared(word: TNode): void {
    const parent = word.parent as TNode;
    if (parent.isLiteralOnly || parent.statics === null) return;
    const p = this.#findParam(parent, '{}');
    // a word split back out (pinned) stays out
    if (p !== null && !word.isPinned && (((p.info as ParamInfo).wordObservations >= SHARED_MIN && joins(p, word)) || ((p.info as ParamInfo).isEnum && !isCollection(word) && covers(p, word, ENUM_DEPTH)) || isValueBeside(p, word))) {
      this.#mergeLiterals(parent, [word]);
      this.#evaluateWords(parent);
      return;
    }
    const light: TNode[] = [];
    const keys = new Map<string, number>();
    for (const sibling of parent.statics.values()) {
      if (sibling.group !== GROUP_WORD || sibling.isPinned || sibling.count > LIGHT_MAX || sibling.statics === null || sibling.statics.size === 0) continue;
      light.push(sibling);
      for (const key of sibling.statics.keys()) keys.set(key, (keys.get(key) ?? 0) + 1);
    }
    // the words whose every child is some other word's child too
    const sharing: TNode[] = [];
    let pairs = 0;
    const shared = new Set<string>();
    for (const sibling of light) {
      let isSharing = true;
      for (const key of (sibling.statics as Map<string, TNode>).keys()) if ((keys.get(key) ?? 0) < 2) isSharing = false;
      if (!isSharing) continue;
      sharing.push(sibling);
      for (const key of (sibling.statics as Map<string, TNode>).keys()) shared.add(key);
      pairs += (sibling.statics as Map<string, TNode>).size;
    }
    // as many as the counts would need here: structure replaces the share of new values, not their number
    const needed = Math.max(SHARED_MIN, minDistinctWords(this.#contextOf(parent, parent.zone), parent.wordFlips));
    if (sharing.length < needed || pairs < 2 * shared.size || areMostlyPlural(sharing)) return;
    this.#mergeLiterals(parent, sharing);
    const q = this.#findParam(parent, '{}');
    if (q === null) return;
    const heavier: TNode[] = [];
    for (const sibling of parent.statics.values()) if (sibling.group === GROUP_WORD && !sibling.isPinned && joins(q, sibling)) heavier.push(sibling);
    this.#mergeLiterals(parent, heavier);
    this.#evaluateWords(parent);
  }

  /** after words went into the parameter another way: is the whole word group a parameter now? */
  #evaluateWords(parent: TNode): void {
    if ((parent.modes & (1 << GROUP_WORD)) !== 0 || parent.parent === null) return;
    const due = this.#isDue(parent, GROUP_WORD, parent.zone);
    if (due === MERGE_NO) return;
    if (due === MERGE_BUT_HEAVY) this.#pinHeavy(parent, GROUP_WORD, true);
    this.#mergeGroup(parent, GROUP_WORD);
  }

  /**
   * Enum values: three or more word siblings, mostly not plural, whose
   * subtrees are the same, down to three levels and with at least two
   * static words in them ('/packages/npm/{name}/versions/{id}/restore' and
   * the same under 'maven', 'docker' …), are values of one parameter; so are
   * four or more with no endpoint of their own and only parameters below
   * ('/route-stats/{actorType}/{actorId}'), and six or more singular ones
   * that are endpoints too (#checkEnumEndpoints). Static siblings have subtrees of
   * their own ('/customers/{id}/sources' beside '/charges/{id}/refunds'), or
   * are plural collections with only an identifier below ('/account/persons/{id}').
   */
  #checkEnum(word: TNode): void {
    const parent = word.parent as TNode;
    if (parent.isLiteralOnly || parent.statics === null) return;
    // a name no API would give its own path, with the subtree of the parameter beside it
    const beside = this.#findParam(parent, '{}');
    if (beside !== null && !word.isPinned && isValueBeside(beside, word)) {
      this.#mergeLiterals(parent, [word]);
      return;
    }
    // a hot value pinned at the merge, which its requests show to be one more value
    if (beside !== null && word.isPinned && this.#release(beside, word)) return;
    if (this.#checkEnumEndpoints(word)) return;
    const words = new Set<string>();
    const signature = subtreeSignature(word, ENUM_DEPTH, words);
    // enough structure to tell: two static words below, or no endpoint of its own and only parameters below
    const isParamsOnly = words.size < 2;
    // a plural with only an identifier below is a collection ('/account/persons/{id}')
    if (isParamsOnly && isPlural(word.key)) return;
    // a late enum value joins the values merged before it: its subtree is one the parameter has
    // (one with an endpoint of its own only where the values had theirs: #checkEnumEndpoints)
    const p = this.#findParam(parent, '{}');
    const info = p?.info ?? null;
    if (p !== null && info !== null && info.isEnum && (!(isParamsOnly && word.ends > 0) || info.hasEndpointValues) && covers(p, word, ENUM_DEPTH)) {
      this.#mergeLiterals(parent, [word]);
      return;
    }
    if (isParamsOnly && (word.ends > 0 || word.statics !== null)) return;
    // words with only an identifier below are an enum's values below a collection or a parameter
    // ('/route-stats/{actorType}/{actorId}'); below a singular namespace they are the API's own
    // object types, each with its own id set ('/v1/object/account/{id}', '/v1/object/invoice/{id}')
    if (isParamsOnly && this.#isNamespace(parent)) return;
    const alike: TNode[] = [];
    let plurals = 0;
    for (const sibling of parent.statics.values()) {
      // pinned words may be enum values split back for recurring: the signature test is stronger
      if (sibling.group !== GROUP_WORD || sibling.count < ENUM_MIN_COUNT) continue;
      // cheap tests first: the same numbers of children, and requests ending here or not
      if ((sibling.ends > 0) !== (word.ends > 0) || (sibling.statics?.size ?? 0) !== (word.statics?.size ?? 0) || (sibling.params?.length ?? 0) !== (word.params?.length ?? 0)) continue;
      if (sibling !== word && subtreeSignature(sibling, ENUM_DEPTH, new Set()) !== signature) continue;
      alike.push(sibling);
      if (isPlural(sibling.key)) plurals++;
    }
    if (alike.length < (isParamsOnly ? ENUM_MIN_VALUES_PARAMS_ONLY : ENUM_MIN_VALUES)) return;
    // plural words before identifiers are collections ('/account/persons/{id}', '/account/capabilities/{id}'),
    // enum values are mostly not ('npm', 'maven', 'installation', 'oauth_app')
    if (plurals * 3 > alike.length) return;
    // compound type names ('ReportingInstruction', 'RtiTransaction') are the API's own object
    // types, as plural collections are; enum values are single words ('npm', 'user', 'oauth_app')
    let compounds = 0;
    for (const sibling of alike) if (isCompoundName(sibling.key)) compounds++;
    if (compounds * 2 > alike.length) return;
    // and a plural among them is a collection beside them ('/summary-stats/users/{id}' beside '/summary-stats/{actorType}/{actorId}'),
    // unless their subtrees have structure of their own ('/packages/rubygems/{name}/versions' beside 'npm', 'maven', 'docker')
    if (plurals > 0 && isParamsOnly) {
      for (let i = alike.length - 1; i >= 0; i--) if (isPlural((alike[i] as TNode).key)) alike.splice(i, 1);
    }
    this.#mergeLiterals(parent, alike);
    const merged = this.#findParam(parent, '{}');
    if (merged === null) return;
    (merged.info as ParamInfo).isEnum = true;
    // siblings that were not alike yet (fewer requests, a sub-resource not seen yet) but fit in the parameter's subtree join it
    const late: TNode[] = [];
    for (const sibling of parent.statics?.values() ?? []) if (sibling.group === GROUP_WORD && !sibling.isPinned && !isCollection(sibling) && covers(merged, sibling, ENUM_DEPTH)) late.push(sibling);
    this.#mergeLiterals(parent, late);
  }

  /**
   * Enum values that are endpoints of their own, with only parameters
   * below ('/Items/{id}/Images/Art', '…/Art/{index}', '…/Art/{index}/{tag}/Png/…',
   * the same for Backdrop, Banner …): six or more singular siblings below a
   * collection name ('Images'), each an endpoint with one parameter child,
   * compared one level down only, as deeper levels hold more enum values
   * whose traffic is spread over every copy. Singular words that an API
   * lists and reads alike are one parameter's values; its own collections
   * are plural ('/customers/{id}', '/charges/{id}'). True when they merged.
   */
  #checkEnumEndpoints(word: TNode): boolean {
    const parent = word.parent as TNode;
    if (word.ends === 0 || word.statics !== null || word.params === null || isPlural(word.key)) return false;
    // below a collection name only: an API's own singular resources sit under a version or a namespace ('/rest/api/3/role/{id}', '/v1/object/account/{id}')
    if (this.#contextOf(parent, ZONE_PATH) !== CONTEXT_PLURAL) return false;
    const signature = subtreeSignature(word, 1, new Set());
    const alike: TNode[] = [];
    for (const sibling of (parent.statics as Map<string, TNode>).values()) {
      if (sibling.group !== GROUP_WORD || sibling.count < ENUM_MIN_COUNT || sibling.ends === 0 || sibling.statics !== null || sibling.params === null) continue;
      if (isPlural(sibling.key) || (sibling !== word && subtreeSignature(sibling, 1, new Set()) !== signature)) continue;
      alike.push(sibling);
    }
    if (alike.length < ENUM_MIN_VALUES_ENDPOINTS) return false;
    this.#mergeLiterals(parent, alike);
    const merged = this.#findParam(parent, '{}');
    if (merged === null) return true;
    (merged.info as ParamInfo).isEnum = true;
    (merged.info as ParamInfo).hasEndpointValues = true;
    // siblings seen less so far ('Chapter' with no '{index}' yet) join when the parameter's subtree covers theirs
    const late: TNode[] = [];
    for (const sibling of parent.statics?.values() ?? []) if (sibling.group === GROUP_WORD && !sibling.isPinned && !isPlural(sibling.key) && covers(merged, sibling, ENUM_DEPTH)) late.push(sibling);
    this.#mergeLiterals(parent, late);
    return true;
  }

  /**
   * A word value back to a static child (pinned: it stays), taking along
   * the parameter's children that it created and that it alone could have
   * used (no more requests than it had).
   */
  #peel(p: TNode, entry: ValueEntry): void {
    if (isValueOnlyName(entry.raw) || (p.info as ParamInfo).isReleased(entry.raw)) return;
    const parent = p.parent as TNode;
    const count = entry.count;
    (p.info as ParamInfo).remove(entry.raw);
    let statics = parent.statics;
    if (statics === null) statics = parent.statics = new Map();
    if (statics.has(entry.raw)) return;
    const child = this.#newNode(parent, entry.raw, KIND_STATIC, p.zone);
    child.group = GROUP_WORD;
    child.isPinned = true;
    statics.set(entry.raw, child);
    if (p.statics !== null) {
      const owned: TNode[] = [];
      for (const grandchild of p.statics.values()) if (grandchild.origin === entry.raw && grandchild.count <= count) owned.push(grandchild);
      for (const grandchild of owned) {
        p.statics.delete(grandchild.key);
        grandchild.origin = null;
        this.#adopt(child, grandchild, false);
        child.count += grandchild.count;
      }
      if (owned.length > 0) {
        this.#recount(p);
        this.#recount(child);
      }
    }
    this.#taint(p, entry);
    this.#generation++;
  }

  /**
   * The templates below a parameter that the value split out of it used
   * and the other values did not: hidden until a request ends there again
   * (they were that value's requests under the wrong template).
   */
  #taint(p: TNode, entry: ValueEntry): void {
    const profile = entry.profile;
    if (profile === null) return;
    const restTotal = p.count - entry.count;
    const stack: TNode[] = [];
    for (const [key, n] of profile) {
      // only where the value went and the others (nearly) did not: its own sub-resources
      if (typeof key !== 'string' && key.parent === p && key.count - n < restTotal * TAINT_SHARE) stack.push(key);
    }
    while (stack.length > 0) {
      const node = stack.pop() as TNode;
      if (node.ends > 0) node.taintedAt = this.#observations;
      forEachChild(node, (child) => stack.push(child));
    }
  }

  /**
   * The words a parameter absorbed are a vocabulary after all: they become
   * static children again (with their counts; their subtrees start afresh),
   * and the parameter goes unless identifiers use it too.
   */
  #splitWords(p: TNode): void {
    const parent = p.parent as TNode;
    const info = p.info as ParamInfo;
    parent.modes &= ~(1 << GROUP_WORD);
    parent.wordFlips++;
    let statics = parent.statics;
    if (statics === null) statics = parent.statics = new Map();
    for (const entry of info.values?.values() ?? []) {
      if (statics.has(entry.raw)) continue;
      const child = this.#newNode(parent, entry.raw, KIND_STATIC, p.zone);
      child.group = GROUP_WORD;
      child.count = entry.count;
      if (entry.ends > 0) {
        child.ends = entry.ends;
        child.methods = new Map([[entry.method, entry.ends]]);
      }
      statics.set(entry.raw, child);
    }
    info.values = null;
    info.once = info.twice = 0;
    info.wordObservations = 0;
    info.nextSplitCheck = SPLIT_CHECK_FROM;
    if (info.identifiers * 2 < info.observations) {
      const params = parent.params as TNode[];
      params.splice(params.indexOf(p), 1);
      if (params.length === 0) parent.params = null;
      this.#discard(p);
    }
    this.#recount(parent);
    this.#generation++;
  }

  /** a subtree leaves the tree */
  #discard(node: TNode): void {
    const children: TNode[] = [];
    forEachChild(node, (child) => children.push(child));
    for (const child of children) this.#discard(child);
    node.parent = null;
    this.#nodes--;
    if (node.kind === KIND_PARAM) this.#params--;
  }

  // ---------------------------------------------------------------------------
  // merging

  /**
   * Every unpinned static child of `group` goes into the parameter; later
   * ones go straight there. Words that recur far more than the others stay
   * (see countOutliers).
   */
  #mergeGroup(parent: TNode, group: number): void {
    parent.modes |= 1 << group;
    this.#generation++;
    if (group === GROUP_WORD) {
      const p = this.#findParam(parent, '{}') ?? this.#addParam(parent, '{}', '', '');
      (p.info as ParamInfo).minDistinct = minDistinctWords(this.#contextOf(parent, parent.zone), parent.wordFlips);
    }
    const statics = parent.statics;
    if (statics === null) return;
    const moved: TNode[] = [];
    for (const child of statics.values()) if (child.group === group && !child.isPinned) moved.push(child);
    if (group === GROUP_WORD) {
      moved.sort((a, b) => b.count - a.count);
      const leading = countOutliers(moved.map((child) => child.count), MERGE_GAP_MIN_COUNT, MERGE_GAP_MIN_BULK, MERGE_GAP_RATIO);
      for (const child of moved.splice(0, leading)) {
        if (isValueOnlyName(child.key)) moved.push(child);
        else child.isPinned = true;
      }
      for (const child of structuralOutliers(moved)) {
        child.isPinned = true;
        moved.splice(moved.indexOf(child), 1);
      }
    }
    this.#mergeLiterals(parent, moved);
  }

  /** these static children go into the parameter (no change of mode) */
  #mergeLiterals(parent: TNode, literals: readonly TNode[]): void {
    const statics = parent.statics;
    if (statics === null || literals.length === 0) return;
    this.#generation++;
    const touched = new Set<TNode>();
    for (const child of literals) {
      statics.delete(child.key);
      const value = decodeSegment(child.key);
      const code = shapeCode(value);
      const p = this.#paramFor(parent, child.key, value, code);
      this.#record(p, child.key, code, child.group, child.count);
      this.#mergeSubtree(p, child);
      touched.add(p);
    }
    this.#lastEntry = null;
    this.#recount(parent);
    for (const p of touched) this.#settle(p);
  }

  /** adds `source` (a node leaving the tree) into `target`, subtree and all */
  #mergeSubtree(target: TNode, source: TNode): void {
    target.count += source.count;
    target.ends += source.ends;
    if (source.seenAt > target.seenAt) target.seenAt = source.seenAt;
    if (source.taintedAt > target.taintedAt) target.taintedAt = source.taintedAt;
    if (source.methods !== null) {
      let methods = target.methods;
      if (methods === null) methods = target.methods = new Map();
      for (const [method, n] of source.methods) methods.set(method, (methods.get(method) ?? 0) + n);
    }
    if (source.pathRoot !== null) {
      if (target.pathRoot === null) this.#adopt(target, source.pathRoot, true);
      else this.#mergeSubtree(target.pathRoot, source.pathRoot);
    }
    if (source.info !== null && target.info !== null) target.info.merge(source.info);
    const newModes = source.modes & ~target.modes;
    if (source.statics !== null) {
      for (const child of source.statics.values()) {
        const same = target.statics?.get(child.key);
        if (same !== undefined) {
          this.#mergeSubtree(same, child);
        } else if ((target.modes & (1 << child.group)) !== 0 && !child.isPinned) {
          const value = decodeSegment(child.key);
          const code = shapeCode(value);
          const p = this.#paramFor(target, child.key, value, code);
          this.#record(p, child.key, code, child.group, child.count);
          this.#mergeSubtree(p, child);
        } else {
          if (target.kind === KIND_PARAM && source.kind === KIND_STATIC && child.origin === null) child.origin = source.key;
          this.#adopt(target, child, false);
        }
      }
    }
    if (source.params !== null) {
      for (const p of source.params) {
        const same = this.#findParam(target, p.key);
        if (same !== null) this.#mergeSubtree(same, p);
        else this.#adopt(target, p, false);
      }
    }
    this.#lastEntry = null;
    // the source leaves the tree
    source.parent = null;
    this.#nodes--;
    if (source.kind === KIND_PARAM) this.#params--;
    this.#recount(target);
    for (let group = GROUP_NUM; group <= GROUP_WORD; group++) if ((newModes & (1 << group)) !== 0) this.#mergeGroup(target, group);
  }

  /** moves a child subtree under a new parent */
  #adopt(parent: TNode, child: TNode, isPathRoot: boolean): void {
    child.parent = parent;
    if (isPathRoot) parent.pathRoot = child;
    else if (child.kind === KIND_PARAM) {
      if (parent.params === null) parent.params = [child];
      else parent.params.push(child);
    } else {
      let statics = parent.statics;
      if (statics === null) statics = parent.statics = new Map();
      statics.set(child.key, child);
    }
  }

  /** the counters of a node, from its static children */
  #recount(node: TNode): void {
    const statics = node.statics;
    if (statics === null || statics.size === 0) {
      node.counters = null;
      return;
    }
    const counters = this.#countersOf(node);
    counters.fill(0);
    for (const child of statics.values()) {
      const base = child.group * 4;
      counters[base]!++;
      counters[base + 1]! += child.count;
      if (child.count === 1) counters[base + 2]!++;
      else if (child.count === 2) counters[base + 3]!++;
    }
  }

  /** after a merge, the merged children may now show enough to merge in turn */
  #settle(node: TNode): void {
    if (node.statics !== null && !node.isLiteralOnly) {
      for (let group = GROUP_NUM; group <= GROUP_WORD; group++) {
        if ((node.modes & (1 << group)) !== 0) continue;
        const due = this.#isDue(node, group, node.zone);
        if (due === MERGE_NO) continue;
        if (due === MERGE_BUT_HEAVY) this.#pinHeavy(node, group, true);
        this.#mergeGroup(node, group);
      }
    }
    const children: TNode[] = [];
    forEachChild(node, (child) => children.push(child));
    for (const child of children) if (child.parent === node || node.pathRoot === child) this.#settle(child);
  }

  // ---------------------------------------------------------------------------
  // reading

  /** the child a segment goes to, without learning; null when off the tree */
  #route(parent: TNode, raw: string): TNode | null {
    const child = parent.statics?.get(raw);
    if (child !== undefined) return child;
    if (parent.params === null) return null;
    const value = decodeSegment(raw);
    const code = shapeCode(value);
    const group = groupOf(code, value);
    const pattern = this.#patternParam(parent, raw, value, group, true);
    if (pattern !== null) return pattern;
    const p = this.#findParam(parent, '{}');
    if (group === GROUP_ID || (parent.modes & (1 << group)) !== 0) return p;
    if (group === GROUP_WORD && p !== null) {
      const info = p.info as ParamInfo;
      if (info.isIdentifierLike(value) || info.values?.has(raw) === true || isGeneratedBesideIds(info, value)) return p;
      // a word that is no static sibling, where the parameter is made of many words: one of them
      // that joined it and that the bounded value table no longer holds ('/api/v1/{account}/sites')
      if (!info.isEnum && info.wordObservations >= SHARED_MIN) return p;
    }
    // past the memory bounds, observe sent new values to the parameter
    if ((parent.statics !== null && parent.statics.size >= this.#maxChildren) || this.#nodes >= this.#maxNodes) return p;
    return null;
  }

  /** host, template and parameter names of a node, cached until the tree changes shape */
  #render(node: TNode): Rendered {
    if (node.renderGeneration !== this.#generation || node.rendered === null) {
      node.rendered = renderNode(node);
      node.renderGeneration = this.#generation;
    }
    return node.rendered;
  }
}

/**
 * Are most of these words plural nouns ('TagGroups', 'bank-statements')?
 * Then they are an API's collections, however alike their subtrees and
 * however many: values of a parameter (names, slugs, logins) seldom are.
 */
function areMostlyPlural(nodes: Iterable<TNode>): boolean {
  let words = 0;
  let plurals = 0;
  for (const node of nodes) {
    if (node.group !== GROUP_WORD || node.isPinned) continue;
    words++;
    if (isPlural(node.key) && isLettersOnly(node.key)) plurals++;
  }
  return words >= 4 && plurals * 2 > words;
}

/** PascalCase or camelCase of two words or more, letters only ('ReportingInstruction', 'byDate'; not 'Art', 'TV') */
function isCompoundName(key: string): boolean {
  let humps = 0;
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const before = key.charCodeAt(i - 1);
    if (c >= 65 && c <= 90 && before >= 97 && before <= 122) humps++;
    else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return false;
  }
  return humps >= 1;
}

/** letters with '-' or '_' between them: a noun, not 'app.0044.js' (whose 's' makes no plural) */
function isLettersOnly(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i) | 32;
    if (!((c >= 97 && c <= 122) || key.charCodeAt(i) === 45 || key.charCodeAt(i) === 95)) return false;
  }
  return true;
}

/** camelCase or snake_case ('exportFeatureValues', Tag Manager's 'move_tag_id') */
const METHOD_NAME = /^[a-z]{2,}(?:[A-Z][a-z]+|_[a-z]+)*$/;

/** 'entries:list', 'people:batchGet': a word, one colon, a method name (see #methodParam) */
function isWordCall(value: string): boolean {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon !== value.lastIndexOf(':') || !isMethodName(value, colon + 1)) return false;
  const head = value.slice(0, colon);
  return groupOf(shapeCode(head), head) === GROUP_WORD;
}

/**
 * Is value[start..] a method name as APIs write custom methods ('cancel',
 * 'batchGet', 'exportFeatureValues', 'move_tag_id'): lower-case letters,
 * then capitalised or '_'-joined words of lower-case letters, 3 to 64
 * characters? Not a port ('8080'), a hash ('sha256:bf7f…') or random text
 * ('x:qcXOFxrb').
 */
function isMethodName(value: string, start: number): boolean {
  const n = value.length - start;
  return n >= 3 && n <= 64 && METHOD_NAME.test(value.slice(start));
}
