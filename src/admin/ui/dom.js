// @ts-check
/**
 * Building the page without innerHTML: every string becomes a text node, so
 * paths, labels and reasons from the API (which attackers choose) can never
 * become markup.
 */

/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {Child | Array<Child | Array<Child | Child[]>>} Children nested at most three deep */
/** @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Attrs */

/**
 * @param {Element} el
 * @param {Attrs | undefined} attrs
 */
function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'testid') {
      el.setAttribute('data-testid', String(value));
    } else if (name === 'text') {
      el.textContent = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/**
 * @param {Node} parent
 * @param {unknown} child Children, or arrays of them
 */
function append(parent, child) {
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
  } else if (typeof child === 'string' || typeof child === 'number') {
    parent.appendChild(document.createTextNode(String(child)));
  } else if (child instanceof Node) {
    parent.appendChild(child);
  }
}

/**
 * An HTML element. Attributes named on* are listeners; `testid` sets
 * data-testid; `text` sets textContent; strings among the children are text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element, same rules as h().
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Children} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function s(tag, attrs, ...children) {
  const el = /** @type {SVGElementTagNameMap[K]} */ (document.createElementNS(SVG_NS, tag));
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/**
 * Replace an element's children.
 * @param {Element} el
 * @param {...Children} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {HTMLElement}
 */
export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!(el instanceof HTMLElement)) throw new Error(`no element ${selector}`);
  return el;
}

/**
 * A path with line-break opportunities after each slash (text nodes and
 * <wbr> elements: the path stays text).
 * @param {string} path
 * @returns {Node[]}
 */
export function breakable(path) {
  /** @type {Node[]} */
  const out = [];
  const parts = path.split('/');
  parts.forEach((part, i) => {
    if (i > 0) out.push(document.createTextNode('/'));
    if (part) out.push(document.createTextNode(part));
    if (i > 0 && i < parts.length - 1) out.push(document.createElement('wbr'));
  });
  return out;
}
