/**
 * Authorisation-server metadata from OpenID Connect Discovery 1.0 (the
 * OpenAPI `openIdConnectUrl`), fetched once, on first use, with a timeout.
 *
 * The fetch and the document checks are openid-client's `discovery()`: it
 * takes a `.well-known` URL as it is, resolves an issuer URL to its
 * `/.well-known/openid-configuration` (and then checks the issuer, OIDC
 * Discovery §4.3), refuses redirects, and validates the JSON. It wants a
 * client id because it builds a client configuration; only the server
 * metadata is kept here, so a placeholder id is passed.
 *
 * A failed fetch is remembered for `failureBackoffMs`: until then every caller
 * gets the same error at once, instead of each request waiting for its own
 * timeout against a server that is down.
 */
import { allowInsecureRequests, discovery } from 'openid-client';
import type { ServerMetadata } from 'openid-client';

/** Why an authorisation server could not be used; the verifiers answer `unavailable`. */
export type AuthServerFault = 'unreachable' | 'timeout' | 'bad_response' | 'issuer_mismatch' | 'insecure_url';

/**
 * The authorisation server (discovery, JWKS or introspection endpoint) could
 * not give an answer. Not about the token: the scheme cannot decide.
 */
export class AuthServerError extends Error {
  readonly code: AuthServerFault;
  constructor(code: AuthServerFault, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthServerError';
    this.code = code;
  }
}

export interface DiscoveryOptions {
  /**
   * the OpenAPI `openIdConnectUrl`: a `.well-known/openid-configuration` URL,
   * or an issuer URL to which that path is appended
   */
  url: string;
  /** when set, the document's `issuer` must be exactly this (OIDC Discovery §4.3) */
  issuer?: string;
  /** default 2000 */
  timeoutMs?: number;
  /** after a failed fetch, no new attempt before this many ms; default 30_000 */
  failureBackoffMs?: number;
  /** allow http:// for hosts other than loopback; default false */
  allowInsecureHttp?: boolean;
}

export interface Discovery {
  readonly url: string;
  /** the metadata, fetching it on the first call; rejects with AuthServerError */
  metadata(): Promise<ServerMetadata>;
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_FAILURE_BACKOFF_MS = 30_000;
const PLACEHOLDER_CLIENT_ID = 'apiwarden';

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** http:// is allowed for loopback hosts (a sidecar identity provider, tests) or when the operator says so. */
export function isHttpAllowed(url: URL, allowInsecureHttp: boolean): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && (allowInsecureHttp || isLoopbackHost(url.hostname)));
}

/**
 * Parses an endpoint URL from configuration. Tokens, client secrets and the
 * keys that tokens are checked against must not cross the network in clear
 * (RFC 6749 §1.6, RFC 7662 §4), so plain http is refused except for loopback
 * or with `allowInsecureHttp`. Throws a TypeError: this is a configuration
 * fault, found at start-up.
 */
export function parseEndpointUrl(text: string, allowInsecureHttp: boolean, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new TypeError(`${what} is not a URL: ${JSON.stringify(text)}`, { cause });
  }
  if (!isHttpAllowed(url, allowInsecureHttp)) {
    throw new TypeError(`${what} must be https (http only for loopback, or with allowInsecureHttp): ${url.href}`);
  }
  return url;
}

/**
 * Parses an endpoint URL taken from a discovery document: same rule as
 * parseEndpointUrl, but a violation means the server cannot be used now, not
 * that the configuration is wrong.
 */
export function parseDiscoveredUrl(value: unknown, allowInsecureHttp: boolean, what: string): URL {
  if (typeof value !== 'string' || value === '') throw new AuthServerError('bad_response', `discovery document has no ${what}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new AuthServerError('bad_response', `discovery document ${what} is not a URL`, { cause });
  }
  if (!isHttpAllowed(url, allowInsecureHttp)) {
    throw new AuthServerError('insecure_url', `discovery document ${what} is not https: ${url.href}`);
  }
  return url;
}

/** A short description of a fetch failure, for logs: the message and the system error code when there is one. */
export function describeFault(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    if (cause.name === 'TimeoutError') return 'timed out';
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return `${error.message} (${code})`;
  }
  return error.message;
}

/** Whether an error is (or was caused by) an aborted fetch's timeout. */
export function isTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.name === 'TimeoutError') return true;
  }
  return false;
}

export function createDiscovery(options: DiscoveryOptions): Discovery {
  const allowInsecureHttp = options.allowInsecureHttp ?? false;
  const url = parseEndpointUrl(options.url, allowInsecureHttp, 'discovery URL');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const failureBackoffMs = options.failureBackoffMs ?? DEFAULT_FAILURE_BACKOFF_MS;
  if (!(timeoutMs > 0)) throw new RangeError(`discovery timeoutMs must be positive, got ${timeoutMs}`);
  if (!(failureBackoffMs >= 0)) throw new RangeError(`discovery failureBackoffMs must not be negative, got ${failureBackoffMs}`);

  let metadata: ServerMetadata | undefined;
  let pending: Promise<ServerMetadata> | undefined;
  let failure: { error: AuthServerError; at: number } | undefined;

  async function load(): Promise<ServerMetadata> {
    let fetched: ServerMetadata;
    try {
      const configuration = await discovery(url, PLACEHOLDER_CLIENT_ID, undefined, undefined, {
        // openid-client counts in seconds
        timeout: timeoutMs / 1000,
        execute: url.protocol === 'http:' ? [allowInsecureRequests] : [],
      });
      fetched = configuration.serverMetadata();
    } catch (cause) {
      const code = isTimeout(cause) ? 'timeout' : cause instanceof TypeError ? 'unreachable' : 'bad_response';
      throw new AuthServerError(code, `discovery ${url.href}: ${describeFault(cause)}`, { cause });
    }
    if (options.issuer !== undefined && fetched.issuer !== options.issuer) {
      throw new AuthServerError(
        'issuer_mismatch',
        `discovery ${url.href}: issuer ${JSON.stringify(fetched.issuer)} is not the configured ${JSON.stringify(options.issuer)}`,
      );
    }
    return Object.freeze(fetched);
  }

  return {
    url: url.href,
    metadata() {
      if (metadata !== undefined) return Promise.resolve(metadata);
      if (failure !== undefined && Date.now() - failure.at < failureBackoffMs) return Promise.reject(failure.error);
      pending ??= load()
        .then(
          (fetched) => {
            metadata = fetched;
            failure = undefined;
            return fetched;
          },
          (error: unknown) => {
            const fault = error instanceof AuthServerError ? error : new AuthServerError('bad_response', describeFault(error), { cause: error });
            failure = { error: fault, at: Date.now() };
            throw fault;
          },
        )
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
  };
}
