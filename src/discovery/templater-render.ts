/**
 * Reading the templater's tree (templater-tree.ts) out: the host pattern and
 * OpenAPI path template of a node, with parameter names, and the evidence
 * behind it as a LearnedTemplate.
 */
import { SEGMENT_SHAPES } from './segment-shapes.ts';
import { callHoleNames } from './templater-calls.ts';
import { paramName } from './templater-naming.ts';
import { ID_AND_EXTENSION, KIND_PARAM, KIND_PATH_ROOT, KIND_ROOT, ZONE_HOST, ZONE_PATH } from './templater-tree.ts';
import type { ParamInfo, TNode } from './templater-tree.ts';
import type { LearnedParam, LearnedTemplate } from './types.ts';

/** the name of a parameter in the leftmost host label */
const TENANT = 'tenant';
/** the name of the extension in '{id}.{format}' */
const FORMAT = 'format';

export interface Rendered {
  /** '{tenant}.api.example.com', or the host as received */
  readonly host: string;
  /** '/users/{userId}/orders/{orderId}' */
  readonly template: string;
  /** the parameter names, in the order of the nodes from the root */
  readonly names: readonly string[];
}

/** the nodes from the first host label down to `node` */
function chainOf(node: TNode): TNode[] {
  const chain: TNode[] = [];
  for (let n: TNode | null = node; n !== null && n.kind !== KIND_ROOT; n = n.parent) chain.push(n);
  return chain.reverse();
}

/**
 * The host pattern and template of a node. Host labels hang right to left
 * ('com' → 'example' → '{tenant}'); path parameters are named from the
 * static segment before them (templater-naming.ts), host ones 'tenant',
 * 'host2' …, never twice the same name.
 */
export function renderNode(node: TNode): Rendered {
  const used = new Set<string>();
  const names: string[] = [];
  const labels: string[] = [];
  let template = '';
  let previousStatic: string | null = null;
  let ordinal = 0;
  let hostParams = 0;
  for (const n of chainOf(node)) {
    if (n.kind === KIND_PATH_ROOT) continue;
    if (n.zone === ZONE_HOST) {
      if (n.kind === KIND_PARAM) {
        const name = hostParams === 0 ? TENANT : `host${hostParams + 1}`;
        hostParams++;
        used.add(name);
        names.push(name);
        labels.push(n.prefix + '{' + name + '}' + n.suffix);
      } else labels.push(n.key);
      continue;
    }
    if (n.kind === KIND_PARAM && isCallKey(n)) {
      // 'certificates(thumbprintAlgorithm={},thumbprint={})': a name per argument
      let hole = 0;
      const holeNames = callHoleNames(n.key, () => paramName(n.key.slice(0, n.key.indexOf('(')), ordinal, used));
      template += '/' + n.key.replace(/\{\}/g, () => {
        let name = holeNames[hole++] as string;
        if (used.has(name)) name = paramName(null, ordinal, used);
        used.add(name);
        names.push(name);
        ordinal++;
        return '{' + name + '}';
      });
      previousStatic = null;
    } else if (n.kind === KIND_PARAM) {
      const name = paramName(previousStatic, ordinal, used);
      used.add(name);
      names.push(name);
      ordinal++;
      if (n.key === ID_AND_EXTENSION) {
        const format = used.has(FORMAT) ? paramName(null, ordinal, used) : FORMAT;
        used.add(format);
        names.push(format);
        ordinal++;
        template += '/{' + name + '}.{' + format + '}';
      } else template += '/' + n.prefix + '{' + name + '}' + n.suffix;
      previousStatic = null;
    } else {
      template += '/' + n.key;
      previousStatic = n.key;
    }
  }
  return { host: labels.reverse().join('.'), template: template === '' ? '/' : template, names };
}

/** the learned template at a node where requests end, with its evidence */
export function describeNode(node: TNode, rendered: Rendered): LearnedTemplate {
  const chain = chainOf(node);
  let hostLabels = 0;
  for (const n of chain) if (n.zone === ZONE_HOST) hostLabels++;
  const params: LearnedParam[] = [];
  let segment = -1;
  let label = 0;
  let ordinal = 0;
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
    params.push({
      name: rendered.names[ordinal] ?? 'id',
      // host labels have no path segment: -1 for the leftmost label, -2 for the next …
      segment: n.zone === ZONE_PATH ? segment : -(hostLabels - label + 1),
      distinct,
      shapes,
      examples: [...info.examples],
    });
    confidence = Math.min(confidence, paramConfidence(info, distinct));
    // '{id}.{format}' has two names, one node
    ordinal += n.key === ID_AND_EXTENSION ? 2 : isCallKey(n) ? callHoleNames(n.key, () => '').length : 1;
  }
  const methods: Record<string, number> = {};
  for (const [method, n] of node.methods ?? []) methods[method] = n;
  return { host: rendered.host, template: rendered.template, count: node.ends, methods, params, confidence };
}

/**
 * How sure a parameter is a parameter: values of identifier shapes count as
 * sure; word values as sure as their number makes it (8 distinct → 0.5,
 * 72 → 0.9, 792 → 0.99).
 */
export function paramConfidence(info: ParamInfo, distinct: number): number {
  if (info.observations === 0) return 0.5;
  const idShare = info.identifiers / info.observations;
  const wordConfidence = distinct / (distinct + 8);
  return Math.round((idShare * 0.99 + (1 - idShare) * wordConfidence) * 1000) / 1000;
}

/** a parameter keyed by a call's form ('Products({})'), not '{}' with a prefix or suffix */
function isCallKey(n: TNode): boolean {
  return n.prefix === '' && n.suffix === '' && n.key !== '{}' && n.key !== ID_AND_EXTENSION && n.key.charCodeAt(n.key.length - 1) === 41;
}
