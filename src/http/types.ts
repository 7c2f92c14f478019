/** The request target split and canonicalised, or why it was refused. */
export type CanonicalTarget =
  | {
      ok: true;
      /** canonical path: dot segments resolved, slashes merged, unreserved chars decoded, %XX upper-case */
      path: string;
      /** the query string without '?', as received but validated; '' when none */
      query: string;
    }
  | {
      ok: false;
      /** machine-readable reason, e.g. 'encoded-slash', 'double-encoding', 'nul', 'backslash' */
      reason: string;
    };
