/**
 * A rules file as parsed YAML that still knows where everything was written,
 * so that a problem found after merging built-ins and user overrides names
 * the file, line and column of the value at fault.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { PolicyProblem } from '../config/policy-error.ts';
import { locateYamlNode } from '../config/yaml-locate.ts';

export type Path = readonly (string | number)[];

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
    const { node, key } = locateYamlNode(this.#doc, path);
    const target = at === 'key' && key ? key : node;
    const { line, col } = this.#lines.linePos(target?.range?.[0] ?? 0);
    return { line, column: col };
  }
}
