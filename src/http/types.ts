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

/**
 * What `buildUpstreamHeaders` needs to write the forwarding headers of one
 * request.
 */
export interface ForwardContext {
  /**
   * The address this hop appends to X-Forwarded-For / Forwarded `for=`: the
   * immediate TCP peer (`req.socket.remoteAddress`), per the usual proxy
   * semantics (each hop appends the node it received the request from). NOT
   * the address resolved by `resolveClientIp` when the peer is a trusted
   * proxy: that address is already in the chain, written by the proxy.
   */
  clientIp: string;
  /** scheme of the connection the gateway received the request on */
  proto: 'http' | 'https';
  /** the original Host header value, as received ('' when none) */
  host: string;
  /** whether the peer is a trusted proxy whose forwarding headers are believed and extended */
  peerIsTrusted: boolean;
  /** which forwarding headers the upstream reads; the other style is removed */
  style: 'x-forwarded' | 'forwarded' | 'both';
  /**
   * headers the gateway asserts to the upstream (the authenticated
   * principal), flat name/value list; every `x-apiwarden-*` field the client
   * sent is removed whether or not these are set, so they cannot be forged
   */
  identity?: readonly string[];
}
