// @ts-check
/** What a page is to the app shell (app.js), and helpers every page uses. */

/**
 * @typedef {object} PageContext
 * @property {string} arg the route's argument (#/endpoint/<arg>)
 * @property {URLSearchParams} params the route's query (#/inventory?class=shadow)
 * @property {(params: URLSearchParams) => void} replaceParams record the page's state in the address without reloading
 * @property {() => void} refreshSoon ask for a refresh (after an action)
 * @property {(shell: { firingAlerts?: number, activeBans?: number, mode?: string }) => void} shellInfo share counts with the navigation
 */

/**
 * @typedef {object} Page
 * @property {HTMLElement} el
 * @property {(signal: AbortSignal) => Promise<void>} refresh fetch and render; throwing shows a notice on the page
 * @property {(type: string, data: unknown) => boolean} [wants] whether a stream event concerns this page
 * @property {(params: URLSearchParams) => void} [update] the route's query changed (same page)
 * @property {() => void} [redraw] the window changed size: render again at the next refresh, even with the same data
 * @property {() => void} [destroy]
 */

/**
 * Remembers the last data rendered, so that a poll that brings nothing new
 * does not rebuild the page under the user's pointer (relative times are
 * still redrawn every 15 s).
 */
export class RenderGate {
  constructor() {
    this.last = '';
    this.at = 0;
  }

  /**
   * @param {unknown} data
   * @returns {boolean} whether to render
   */
  changed(data) {
    const text = JSON.stringify(data);
    const now = Date.now();
    if (text === this.last && now - this.at < 15_000) return false;
    this.last = text;
    this.at = now;
    return true;
  }

  reset() {
    this.last = '';
  }
}

export {};
