/**
 * Path templates learned from concrete requests, with no OpenAPI document:
 * '/users/8123' and '/users/9001' become '/users/{userId}', '/users/me' stays.
 *
 * The model is a tree, one node per position: host labels right to left
 * ('com' → 'example' → 'api' → '{tenant}'), then a path root, then path
 * segments. A node has static children (a map from the segment as received)
 * and parameter children ('{}', or '{}.json' and 'report.{}' inside a
 * segment). A segment that matches a static child goes there (one map
 * lookup: the common case once the tree has learned). Otherwise its shape
 * (segment-shapes.ts) sorts it into a group:
 *   - identifiers (UUID, long integer, hash, e-mail, 'cus_…', tokens) go to
 *     the parameter at once;
 *   - short integers, dates and versions, and words become static children,
 *     with counters per group on the parent (templater-rules.ts says when a
 *     group of static children is really a parameter's values).
 * When a group turns, its static children are merged into the parameter,
 * subtrees and all, and later values of that group go straight there. That
 * bounds memory: ids never become nodes, and words become nodes only until
 * their position is seen to be a parameter (then, at most `maxChildren` per
 * node and `maxNodes` in all; past that, values go to the parameter).
 *
 * Splitting back: a parameter keeps, for the word values it absorbed, a
 * capped table of counts and, for recurring ones, where their requests go
 * next. A value whose requests mostly go where the other values rarely go
 * ('/users/me/settings' beside '/users/{id}/repos') is a static sibling that
 * was merged by mistake: it is split off as a static child again. History
 * stays with the parameter; the static child counts from then on.
 *
 * Paths: split on '/', percent-decoded only to classify (static parts are
 * kept as received). A trailing empty segment is dropped ('/users/' is
 * '/users': servers and routers treat them alike, and keeping both would
 * double endpoints); an empty segment inside the path ('/a//b') is kept
 * static. A path without a leading '/' is read as if it had one.
 */
import type { LearnedParam, LearnedTemplate } from './types.ts';
import { extensionStart, isFileExtension, isIdentifierCode, SEGMENT_SHAPES, SHAPE, shapeCode } from './segment-shapes.ts';
import { DistinctCounter } from './templater-distinct.ts';
import { paramName } from './templater-naming.ts';
import {
  CONTEXT_AFTER_PARAM,
  CONTEXT_HOST,
  CONTEXT_PLURAL,
  CONTEXT_SINGULAR,
  CONTEXT_TOP,
  GROUP_ID,
  GROUP_NONE,
  GROUP_NUM,
  GROUP_TIME,
  GROUP_WORD,
  NOVEL_SHARE,
  PEEL_MIN_REQUESTS,
  shouldMergeIntegers,
  shouldMergeTimes,
  shouldMergeWords,
  shouldPeel,
} from './templater-rules.ts';
import type { GroupCounts } from './templater-rules.ts';

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
  /** all templates learned so far, per (host pattern, template), with evidence */
  templates(): LearnedTemplate[];
  /** sizes, for memory checks */
  stats(): TemplaterStats;
}

const KIND_ROOT = 0;
const KIND_STATIC = 1;
const KIND_PARAM = 2;
const KIND_PATH_ROOT = 3;

const ZONE_HOST = 0;
const ZONE_PATH = 1;

/** values a parameter counts exactly for splitting back; past it, the rarest are swept out */
const VALUE_TABLE_MAX = 256;
/** a value gets a next-step profile from its PROFILE_FROM-th request */
const PROFILE_FROM = 3;
/** next steps remembered per profiled value */
const PROFILE_KEYS_MAX = 8;
const EXAMPLES_MAX = 5;
/** the host label name for a parameter in the leftmost label */
const TENANT = 'tenant';
/** the static key for hosts past maxChildren when hosts are not templated */
const OTHER = '(other)';
const HOST_CACHE_MAX = 4096;

interface ValueEntry {
  /** the value as received */
  readonly raw: string;
  count: number;
  /** next step (a child of the parameter, or the parameter itself for "ended here") → requests */
  profile: Map<TNode, number> | null;
  profiled: number;
  nextCheck: number;
}

class ParamInfo {
  readonly distinct = new DistinctCounter();
  readonly shapes = new Float64Array(SEGMENT_SHAPES.length);
  /** observations with an identifier shape */
  identifiers = 0;
  observations = 0;
  readonly examples: string[] = [];
  /** word values only: the candidates for splitting back */
  values: Map<string, ValueEntry> | null = null;
  sweepFloor = 1;

  record(raw: string, value: string, code: number, times: number): void {
    this.distinct.add(value);
    this.shapes[code] = (this.shapes[code] ?? 0) + times;
    this.observations += times;
    if (isIdentifierCode(code, value.length)) this.identifiers += times;
    if (this.examples.length < EXAMPLES_MAX && !this.examples.includes(raw)) this.examples.push(raw);
  }

  /** counts a word value; the entry when it recurs enough to be profiled */
  recordWord(raw: string, times: number): ValueEntry | null {
    let values = this.values;
    if (values === null) values = this.values = new Map();
    let entry = values.get(raw);
    if (entry === undefined) {
      if (values.size >= VALUE_TABLE_MAX) this.#sweep(values);
      entry = { raw, count: 0, profile: null, profiled: 0, nextCheck: PEEL_MIN_REQUESTS };
      values.set(raw, entry);
    }
    entry.count += times;
    return entry.count >= PROFILE_FROM ? entry : null;
  }

  /** lossy counting: drop the values seen at most `sweepFloor` times, raise the floor when too few go */
  #sweep(values: Map<string, ValueEntry>): void {
    let removed = 0;
    for (const [raw, entry] of values) {
      if (entry.count <= this.sweepFloor) {
        values.delete(raw);
        removed++;
      }
    }
    if (removed < VALUE_TABLE_MAX / 4) this.sweepFloor++;
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
  }
}

let nextNodeId = 1;

class TNode {
  readonly id = nextNodeId++;
  parent: TNode | null;
  /** the segment as received (static), or the pattern '{}', '{}.json', 'report.{}' (parameter) */
  readonly key: string;
  readonly kind: number;
  readonly zone: number;
  /** the group of a static child's shape (GROUP_*) */
  group = GROUP_NONE;
  /** split back from a parameter: never merged into it again */
  isPinned = false;
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
  /** static children may not merge (hosts, when hosts are not templated) */
  isLiteralOnly = false;
  renderGeneration = -1;
  renderedHost = '';
  renderedTemplate = '';

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

function groupOf(code: number, value: string): number {
  if (code === SHAPE.empty) return GROUP_NONE;
  if (isIdentifierCode(code, value.length)) return GROUP_ID;
  if (code === SHAPE.integer) return GROUP_NUM;
  // a compact date ('20100401') is eight digits: as likely an id
  if (code === SHAPE.date) return value.charCodeAt(4) === 45 ? GROUP_TIME : GROUP_ID;
  if (code === SHAPE.version) return GROUP_TIME;
  return GROUP_WORD;
}

function decodeSegment(raw: string): string {
  if (raw.indexOf('%') < 0) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** 'users', 'payment_intents', 'categories': a collection, after which identifiers usually come */
function isPlural(word: string): boolean {
  const n = word.length;
  if (n < 3) return false;
  const last = word.charCodeAt(n - 1);
  if (last !== 115) return false; // 's'
  const before = word.charCodeAt(n - 2);
  return before !== 115 && !(before === 117 && n > 3) && !(before === 105 && n > 3); // not 'ss', 'us', 'is'
}

function isIpLiteral(host: string): boolean {
  if (host.indexOf(':') >= 0 || host.charCodeAt(0) === 91) return true;
  const code = shapeCode(host);
  return code === SHAPE.ip;
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
  /** bumped whenever the tree changes shape (merge, split): cached renderings are stale */
  #generation = 0;
  readonly #hostLabels = new Map<string, readonly string[]>();
  /** set by #step: the word value entry of a parameter just stepped into, for its next-step profile */
  #lastEntry: ValueEntry | null = null;
  readonly #counts: GroupCounts = { distinct: 0, total: 0, once: 0, twice: 0 };

  constructor(options: PathTemplaterOptions) {
    this.#maxChildren = Math.max(1, options.maxChildren ?? 1000);
    this.#maxNodes = Math.max(16, options.maxNodes ?? 200_000);
    this.#templateHosts = options.templateHosts ?? true;
    if (!this.#templateHosts) this.#root.isLiteralOnly = true;
  }

  stats(): TemplaterStats {
    let trackedValues = 0;
    const visit = (node: TNode): void => {
      if (node.info?.values) trackedValues += node.info.values.size;
      this.#forEachChild(node, visit);
    };
    visit(this.#root);
    return { nodes: this.#nodes, params: this.#params, trackedValues };
  }

  // hot path: one split of the path; map lookups for known segments
  observe(method: string, host: string, path: string): void {
    const root = this.#root;
    root.count++;
    let node = root;
    const labels = this.#labelsOf(host);
    for (let i = 0; i < labels.length; i++) node = this.#step(node, labels[i] as string, ZONE_HOST);
    this.#lastEntry = null;
    let pathRoot = node.pathRoot;
    if (pathRoot === null) pathRoot = node.pathRoot = this.#newNode(node, '', KIND_PATH_ROOT, ZONE_PATH);
    pathRoot.count++;
    node = pathRoot;
    const parts = path.split('/');
    const from = path.charCodeAt(0) === 47 ? 1 : 0;
    let to = parts.length;
    if (to > from && parts[to - 1] === '') to--;
    let pending: ValueEntry | null = null;
    let pendingParam: TNode | null = null;
    for (let i = from; i < to; i++) {
      const next = this.#step(node, parts[i] as string, ZONE_PATH);
      if (pending !== null) this.#profile(pendingParam as TNode, pending, next);
      pending = this.#lastEntry;
      pendingParam = next;
      this.#lastEntry = null;
      node = next;
    }
    if (pending !== null) this.#profile(pendingParam as TNode, pending, pendingParam as TNode);
    node.ends++;
    let methods = node.methods;
    if (methods === null) methods = node.methods = new Map();
    methods.set(method, (methods.get(method) ?? 0) + 1);
  }

  match(_method: string, host: string, path: string): { host: string; template: string } {
    let node: TNode | null = this.#root;
    const labels = this.#labelsOf(host);
    for (let i = 0; i < labels.length && node !== null; i++) node = this.#route(node, labels[i] as string);
    const pathRoot: TNode | null = node === null ? null : node.pathRoot;
    if (pathRoot === null) return { host, template: path.charCodeAt(0) === 47 ? path : '/' + path };
    node = pathRoot;
    const parts = path.split('/');
    const from = path.charCodeAt(0) === 47 ? 1 : 0;
    let to = parts.length;
    if (to > from && parts[to - 1] === '') to--;
    let i = from;
    for (; i < to; i++) {
      const next = this.#route(node, parts[i] as string);
      if (next === null) break;
      node = next;
    }
    this.#render(node);
    if (i === to) return { host: node.renderedHost, template: node.renderedTemplate };
    // off the learned tree: the rest as received
    let template = node.renderedTemplate === '/' ? '' : node.renderedTemplate;
    for (; i < to; i++) template += '/' + parts[i];
    return { host: node.renderedHost, template };
  }

  templates(): LearnedTemplate[] {
    const out = new Map<string, LearnedTemplate>();
    const visit = (node: TNode): void => {
      if (node.ends > 0) {
        this.#render(node);
        const key = node.renderedHost + ' ' + node.renderedTemplate;
        const existing = out.get(key);
        if (existing === undefined) {
          out.set(key, this.#describe(node));
        } else {
          const methods = { ...existing.methods };
          for (const [method, n] of node.methods ?? []) methods[method] = (methods[method] ?? 0) + n;
          out.set(key, { ...existing, count: existing.count + node.ends, methods });
        }
      }
      this.#forEachChild(node, visit);
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
    if (parent.isLiteralOnly) return this.#addStatic(parent, statics !== null && statics.size >= this.#maxChildren ? OTHER : raw, group, value);
    const pattern = this.#patternParam(parent, raw, value, group, false);
    if (pattern !== null) return pattern;
    if (group === GROUP_ID || (parent.modes & (1 << group)) !== 0) return this.#toParam(parent, raw, value, code, group);
    if ((statics !== null && statics.size >= this.#maxChildren) || this.#nodes >= this.#maxNodes) {
      return this.#toParam(parent, raw, value, code, group);
    }
    const child = this.#addStatic(parent, raw, group, value);
    // it joined a 'report.{}' pattern with its siblings
    if (child.parent !== parent) return this.#paramFor(parent, raw, value, code);
    if (group !== GROUP_NONE && this.#isDue(parent, group, zone)) {
      this.#mergeGroup(parent, group);
      // the new child was merged: continue from where it went
      return parent.statics?.get(raw) ?? this.#paramFor(parent, raw, value, code);
    }
    return child;
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
    statics.set(raw, child);
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

  #isDue(parent: TNode, group: number, zone: number): boolean {
    const counters = parent.counters;
    if (counters === null) return false;
    const counts = this.#counts;
    const base = group * 4;
    counts.distinct = counters[base] ?? 0;
    counts.total = counters[base + 1] ?? 0;
    counts.once = counters[base + 2] ?? 0;
    counts.twice = counters[base + 3] ?? 0;
    if (group === GROUP_NUM) return shouldMergeIntegers(counts);
    if (group === GROUP_TIME) return shouldMergeTimes(counts);
    if (group === GROUP_WORD) return shouldMergeWords(counts, this.#contextOf(parent, zone));
    return false;
  }

  #contextOf(parent: TNode, zone: number): number {
    if (zone === ZONE_HOST) return CONTEXT_HOST;
    if (parent.kind === KIND_PATH_ROOT || parent.kind === KIND_ROOT) return CONTEXT_TOP;
    if (parent.kind === KIND_PARAM) return CONTEXT_AFTER_PARAM;
    if (parent.group === GROUP_TIME) return CONTEXT_TOP;
    return isPlural(parent.key) ? CONTEXT_PLURAL : CONTEXT_SINGULAR;
  }

  /**
   * In-segment parameters: '{}.json' when the part before a file extension
   * is an identifier (or an integer where integers are parameters), and an
   * existing 'report.{}' when the segment is 'report.' and an extension.
   * `lookOnly` never creates anything (for match()).
   */
  #patternParam(parent: TNode, raw: string, value: string, group: number, lookOnly: boolean): TNode | null {
    if (value.indexOf('.') <= 0) return null;
    const params = parent.params;
    if (params !== null) {
      for (let i = 0; i < params.length; i++) {
        const p = params[i] as TNode;
        if (p.prefix.length > 0 && raw.length > p.prefix.length && raw.startsWith(p.prefix) && isFileExtension(raw.slice(p.prefix.length))) {
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
    const dot = extensionStart(value);
    if (dot <= 0) return null;
    const head = value.slice(0, dot);
    const headCode = shapeCode(head);
    const headGroup = groupOf(headCode, head);
    if (headGroup !== GROUP_ID && !(headGroup === GROUP_NUM && (parent.modes & (1 << GROUP_NUM)) !== 0)) return null;
    const suffix = raw.slice(raw.lastIndexOf('.'));
    const key = '{}' + suffix;
    let p = this.#findParam(parent, key);
    if (lookOnly) return p;
    if (p === null) p = this.#addParam(parent, key, '', suffix);
    p.count++;
    this.#record(p, head, headCode, headGroup, 1);
    return p;
  }

  /** three or more 'report.json', 'report.csv', 'report.xml' beside each other become 'report.{}' */
  #maybeExtensionPattern(parent: TNode, raw: string): void {
    const dot = raw.lastIndexOf('.');
    if (dot <= 0 || !isFileExtension(raw.slice(dot + 1))) return;
    const prefix = raw.slice(0, dot + 1);
    const statics = parent.statics as Map<string, TNode>;
    const siblings: TNode[] = [];
    for (const child of statics.values()) {
      if (child.key.length > prefix.length && child.key.startsWith(prefix) && !child.isPinned && isFileExtension(child.key.slice(prefix.length))) siblings.push(child);
    }
    if (siblings.length < 3) return;
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
    if (parent.params === null) parent.params = [p];
    else parent.params.push(p);
    this.#generation++;
    return p;
  }

  /** the whole-segment parameter (or the pattern one the segment fits) */
  #paramFor(parent: TNode, raw: string, value: string, code: number): TNode {
    const pattern = this.#patternParam(parent, raw, value, groupOf(code, value), true);
    if (pattern !== null) return pattern;
    return this.#findParam(parent, '{}') ?? this.#addParam(parent, '{}', '', '');
  }

  // hot path: every identifier goes through here
  #toParam(parent: TNode, raw: string, value: string, code: number, group: number): TNode {
    const p = this.#findParam(parent, '{}') ?? this.#addParam(parent, '{}', '', '');
    p.count++;
    this.#record(p, raw, code, group, 1);
    // integers long enough to be ids make the short ones at this position ids too
    if (code === SHAPE.integer && group === GROUP_ID && (parent.modes & (1 << GROUP_NUM)) === 0) this.#mergeGroup(parent, GROUP_NUM);
    return p;
  }

  #record(p: TNode, raw: string, code: number, group: number, times: number): void {
    const info = p.info as ParamInfo;
    const value = raw.indexOf('%') >= 0 ? decodeSegment(raw) : raw;
    info.record(raw, value, code, times);
    if (group === GROUP_WORD && p.zone === ZONE_PATH) this.#lastEntry = info.recordWord(raw, times);
  }

  /** where a recurring word value of parameter `p` went next; may split it back */
  #profile(p: TNode, entry: ValueEntry, next: TNode): void {
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
    for (const [key, n] of profile) {
      if (key !== p && key.parent !== p) {
        // the parameter's children changed shape since: start again
        entry.profile = null;
        entry.profiled = 0;
        entry.nextCheck = PEEL_MIN_REQUESTS;
        return;
      }
      const rest = (key === p ? p.ends : key.count) - n;
      if (rest < restTotal * NOVEL_SHARE) novel += n;
    }
    if (!shouldPeel(entry.profiled, novel)) return;
    const parent = p.parent as TNode;
    (p.info as ParamInfo).values?.delete(entry.raw);
    let statics = parent.statics;
    if (statics === null) statics = parent.statics = new Map();
    if (statics.has(entry.raw)) return;
    const child = this.#newNode(parent, entry.raw, KIND_STATIC, p.zone);
    child.group = GROUP_WORD;
    child.isPinned = true;
    statics.set(entry.raw, child);
    this.#generation++;
  }

  // ---------------------------------------------------------------------------
  // merging

  /** every unpinned static child of `group` goes into the parameter; later ones go straight there */
  #mergeGroup(parent: TNode, group: number): void {
    parent.modes |= 1 << group;
    this.#generation++;
    const statics = parent.statics;
    if (statics === null) return;
    const moved: TNode[] = [];
    for (const child of statics.values()) if (child.group === group && !child.isPinned) moved.push(child);
    if (moved.length === 0) return;
    const touched = new Set<TNode>();
    for (const child of moved) {
      statics.delete(child.key);
      const value = decodeSegment(child.key);
      const code = shapeCode(value);
      const p = this.#paramFor(parent, child.key, value, code);
      this.#record(p, child.key, code, group, child.count);
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
        if ((node.modes & (1 << group)) === 0 && this.#isDue(node, group, node.zone)) this.#mergeGroup(node, group);
      }
    }
    const children: TNode[] = [];
    this.#forEachChild(node, (child) => children.push(child));
    for (const child of children) if (child.parent === node || node.pathRoot === child) this.#settle(child);
  }

  #forEachChild(node: TNode, fn: (child: TNode) => void): void {
    if (node.pathRoot !== null) fn(node.pathRoot);
    if (node.statics !== null) for (const child of node.statics.values()) fn(child);
    if (node.params !== null) for (const child of node.params) fn(child);
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
    if (group === GROUP_ID || (parent.modes & (1 << group)) !== 0) return this.#findParam(parent, '{}');
    return null;
  }

  /** host and template of a node, cached until the tree changes shape */
  #render(node: TNode): void {
    if (node.renderGeneration === this.#generation) return;
    const chain: TNode[] = [];
    for (let n: TNode | null = node; n !== null && n.kind !== KIND_ROOT; n = n.parent) chain.push(n);
    chain.reverse();
    const used = new Set<string>();
    const labels: string[] = [];
    let template = '';
    let previousStatic: string | null = null;
    let ordinal = 0;
    let hostParams = 0;
    for (const n of chain) {
      if (n.kind === KIND_PATH_ROOT) continue;
      if (n.zone === ZONE_HOST) {
        if (n.kind === KIND_PARAM) {
          const name = hostParams === 0 ? TENANT : `host${hostParams + 1}`;
          hostParams++;
          used.add(name);
          labels.push(n.prefix + '{' + name + '}' + n.suffix);
        } else labels.push(n.key);
        continue;
      }
      if (n.kind === KIND_PARAM) {
        const name = paramName(previousStatic, ordinal, used);
        used.add(name);
        ordinal++;
        template += '/' + n.prefix + '{' + name + '}' + n.suffix;
        previousStatic = null;
      } else {
        template += '/' + n.key;
        previousStatic = n.key;
      }
    }
    node.renderedHost = labels.reverse().join('.');
    node.renderedTemplate = template === '' ? '/' : template;
    node.renderGeneration = this.#generation;
  }

  #describe(node: TNode): LearnedTemplate {
    const params: LearnedParam[] = [];
    const chain: TNode[] = [];
    for (let n: TNode | null = node; n !== null && n.kind !== KIND_ROOT; n = n.parent) chain.push(n);
    chain.reverse();
    const names = [...node.renderedTemplate.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] as string);
    const hostNames = [...node.renderedHost.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] as string).reverse();
    let segment = -1;
    let label = 0;
    let pathOrdinal = 0;
    let hostOrdinal = 0;
    let confidence = 1;
    for (const n of chain) {
      if (n.kind === KIND_PATH_ROOT) continue;
      if (n.zone === ZONE_PATH) segment++;
      else label++;
      if (n.kind !== KIND_PARAM) continue;
      const info = n.info as ParamInfo;
      const shapes: Record<string, number> = {};
      for (let i = 0; i < info.shapes.length; i++) if ((info.shapes[i] ?? 0) > 0) shapes[SEGMENT_SHAPES[i] as string] = info.shapes[i] as number;
      const distinct = info.distinct.estimate();
      const name = n.zone === ZONE_PATH ? (names[pathOrdinal++] ?? 'id') : (hostNames[hostOrdinal++] ?? TENANT);
      params.push({
        name,
        // host labels have no path segment: -1 for the leftmost label, -2 for the next …
        segment: n.zone === ZONE_PATH ? segment : -(this.#labelCount(chain) - label + 1),
        distinct,
        shapes,
        examples: [...info.examples],
      });
      confidence = Math.min(confidence, paramConfidence(info, distinct));
    }
    const methods: Record<string, number> = {};
    for (const [method, n] of node.methods ?? []) methods[method] = n;
    return { host: node.renderedHost, template: node.renderedTemplate, count: node.ends, methods, params, confidence };
  }

  #labelCount(chain: readonly TNode[]): number {
    let n = 0;
    for (const node of chain) if (node.zone === ZONE_HOST && node.kind !== KIND_ROOT) n++;
    return n;
  }
}

/**
 * How sure a parameter is a parameter: values of identifier shapes count as
 * sure; word values as sure as their number makes it (8 distinct → 0.5,
 * 72 → 0.9, 792 → 0.99).
 */
function paramConfidence(info: ParamInfo, distinct: number): number {
  if (info.observations === 0) return 0.5;
  const idShare = info.identifiers / info.observations;
  const wordConfidence = distinct / (distinct + 8);
  return Math.round((idShare * 0.99 + (1 - idShare) * wordConfidence) * 1000) / 1000;
}
