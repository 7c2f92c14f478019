/**
 * Strings that match a parameter's `pattern` (OpenAPI: an ECMA-262 regular
 * expression), for parameters whose pattern is the best hint at their values
 * (`^sha256:[a-f0-9]{64}$`, `^\d+\.\d+\.\d+$`).
 *
 * A small generator for the subset real documents use: literals, escapes
 * (\d \w \s \. …), classes with ranges and negation, groups, alternation,
 * quantifiers (unbounded ones stop after a few repeats), anchors. Anything
 * else makes `compilePattern` return null and the caller falls back to
 * another kind of value; every produced string is checked against the real
 * RegExp by the caller, so an approximation here can never leak a wrong value.
 */

import type { Random } from './random.ts';

type Node =
  | { t: 'chars'; set: string }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[] }
  | { t: 'repeat'; node: Node; min: number; max: number };

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const WORD = `${LOWER}${UPPER}${DIGITS}_`;
/** What `.` and a negated class ('[^/]') draw from: the characters ids and names are made of. */
const ANY_SENT = `${LOWER}${UPPER}${DIGITS}-_`;
/** How far past its minimum an unbounded quantifier (`*`, `+`, `{n,}`) goes. */
const OPEN_REPEAT = 10;

/**
 * A class repeated up to this many times or more ('[a-zA-Z0-9]{1,26}', an
 * AWS identifier's bound) gives values of SHORT_FLOOR characters at least:
 * the bound says what the service accepts, not what clients send, and the
 * ids and names sent are seldom of one to three characters ('W', '7').
 */
const SHORT_BOUND = 8;
const SHORT_FLOOR = 4;

function repeatFloor(node: { node: Node; min: number; max: number }): number {
  if (node.node.t !== 'chars' || node.max < SHORT_BOUND) return node.min;
  return Math.max(node.min, SHORT_FLOOR);
}

export type PatternSampler = (random: Random) => string;

export function compilePattern(pattern: string): PatternSampler | null {
  let node: Node;
  try {
    const parser = new Parser(pattern);
    node = parser.parseAlternation();
    if (!parser.done()) return null;
  } catch {
    return null;
  }
  return (random) => generate(node, random);
}

function generate(node: Node, random: Random): string {
  switch (node.t) {
    case 'chars':
      return node.set === '' ? '' : (node.set[Math.floor(random.next() * node.set.length)] as string);
    case 'seq':
      return node.items.map((n) => generate(n, random)).join('');
    case 'alt':
      return generate(random.pick(node.options), random);
    case 'repeat': {
      const n = random.int(repeatFloor(node), node.max);
      let out = '';
      for (let i = 0; i < n; i++) out += generate(node.node, random);
      return out;
    }
  }
}

class Parser {
  #src: string;
  #i = 0;

  constructor(src: string) {
    this.#src = src;
  }

  done(): boolean {
    return this.#i >= this.#src.length;
  }

  parseAlternation(): Node {
    const options = [this.#parseSequence()];
    while (this.#peek() === '|') {
      this.#i++;
      options.push(this.#parseSequence());
    }
    return options.length === 1 ? (options[0] as Node) : { t: 'alt', options };
  }

  #peek(): string | undefined {
    return this.#src[this.#i];
  }

  #parseSequence(): Node {
    const items: Node[] = [];
    while (!this.done() && this.#peek() !== '|' && this.#peek() !== ')') {
      const atom = this.#parseAtom();
      if (atom !== null) items.push(this.#parseQuantifier(atom));
    }
    return { t: 'seq', items };
  }

  /** null for anchors, which generate nothing. */
  #parseAtom(): Node | null {
    const c = this.#src[this.#i++] as string;
    if (c === '^' || c === '$') return null;
    // any character: what a client sends there is an id or a name ('arn:.+' → 'arn:aws-x7…'), not punctuation
    if (c === '.') return { t: 'chars', set: ANY_SENT };
    if (c === '(') {
      if (this.#src.startsWith('?:', this.#i)) this.#i += 2;
      else if (this.#peek() === '?') throw new Error('lookaround or named group');
      const inner = this.parseAlternation();
      if (this.#src[this.#i++] !== ')') throw new Error('unclosed group');
      return inner;
    }
    if (c === '[') return this.#parseClass();
    if (c === '\\') return { t: 'chars', set: this.#escape(false) };
    if ('*+?{'.includes(c)) throw new Error('quantifier without atom');
    return { t: 'chars', set: c };
  }

  #escape(inClass: boolean): string {
    const c = this.#src[this.#i++];
    if (c === undefined) throw new Error('trailing backslash');
    switch (c) {
      case 'd': return DIGITS;
      case 'w': return WORD;
      case 's': return ' ';
      case 'D': return `${LOWER}${UPPER}-_`;
      case 'W': return '-.~';
      case 'S': return `${LOWER}${DIGITS}`;
      case 'b': if (inClass) return '\b'; throw new Error('word boundary');
      case 'n': return '\n';
      case 't': return '\t';
      case 'u': {
        const hex = this.#src.slice(this.#i, this.#i + 4);
        this.#i += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      case 'x': {
        const hex = this.#src.slice(this.#i, this.#i + 2);
        this.#i += 2;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        if (/[0-9]/.test(c)) throw new Error('back reference');
        return c;
    }
  }

  #parseClass(): Node {
    let negated = false;
    if (this.#peek() === '^') {
      negated = true;
      this.#i++;
    }
    let set = '';
    let first = true;
    while (this.#peek() !== ']' || first) {
      first = false;
      if (this.done()) throw new Error('unclosed class');
      let c = this.#src[this.#i++] as string;
      let chars: string;
      if (c === '\\') chars = this.#escape(true);
      else chars = c;
      if (chars.length === 1 && this.#peek() === '-' && this.#src[this.#i + 1] !== ']' && this.#src[this.#i + 1] !== undefined) {
        this.#i++;
        let end = this.#src[this.#i++] as string;
        if (end === '\\') end = this.#escape(true);
        c = chars;
        for (let code = c.charCodeAt(0); code <= end.charCodeAt(0); code++) set += String.fromCharCode(code);
      } else {
        set += chars;
      }
    }
    this.#i++;
    if (negated) set = [...ANY_SENT].filter((ch) => !set.includes(ch)).join('');
    return { t: 'chars', set: [...new Set(set)].join('') };
  }

  #parseQuantifier(atom: Node): Node {
    const c = this.#peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, OPEN_REPEAT];
    else if (c === '+') [min, max] = [1, 1 + OPEN_REPEAT];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(this.#i));
      if (m === null) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? min + OPEN_REPEAT : Number(m[3]);
      this.#i += m[0].length - 1;
    } else {
      return atom;
    }
    this.#i++;
    if (this.#peek() === '?') this.#i++; // lazy: same strings
    return { t: 'repeat', node: atom, min, max };
  }
}
