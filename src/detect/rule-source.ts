/**
 * A rules file as parsed YAML that still knows where everything was written,
 * so that a problem found after merging built-ins and user overrides names
 * the file, line and column of the value at fault.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { PolicyProblem } from '../config/policy-error.ts';

export type Path = readonly (string | number)[];

type Positioned = { range?: readonly number[] | null };

export class RuleSource {
  readonly file: string;
  /** the parsed data (plain objects, arrays, scalars) */
  readonly data: unknown;
  /** YAML syntax errors, as problems */
  readonly syntaxProblems: PolicyProblem[];
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.#lines = new LineCounter();
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    this.syntaxProblems = this.#doc.errors.map((err) => {
      const { line, col } = this.#lines.linePos(err.pos[0]);
      return { file, line, column: col, field: '', message: err.message.split('\n')[0] ?? 'invalid YAML' };
    });
    this.data = this.syntaxProblems.length === 0 ? this.#doc.toJS() : null;
  }

  /** line and column of the value at `path` (or of its key), or of the nearest written parent */
  position(path: Path, at: 'key' | 'value' = 'value'): { line: number; column: number } {
    let node: unknown = this.#doc.contents;
    let key: unknown = null;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.#doc);
      let next: unknown;
      let nextKey: unknown = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        next = pair?.value ?? pair?.key;
        nextKey = pair?.key ?? null;
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
      }
      if (next === undefined || next === null) break;
      node = next;
      key = nextKey;
    }
    const target = (at === 'key' && key ? key : node) as Positioned | null;
    const { line, col } = this.#lines.linePos(target?.range?.[0] ?? 0);
    return { line, column: col };
  }
}
