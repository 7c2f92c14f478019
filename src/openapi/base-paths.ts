/**
 * Base paths: the path prefix under which a document's `paths` are served.
 *
 * - OpenAPI 3.x: the path of each Server Object `url` (OAS 3.0.3 / 3.1.0,
 *   "Server Object"), after substituting Server Variables with their
 *   `default` ("Server Variable Object": `default` is REQUIRED and "SHALL be
 *   sent if an alternate value is not supplied"). The host is dropped: the
 *   gateway routes one upstream's paths, whatever name clients used.
 * - Swagger 2.0: `basePath` ("Swagger Object": "relative to the host ... MUST
 *   start with a leading slash").
 *
 * A trailing slash is removed, so that `/v1` + `/users` gives `/v1/users`:
 * the Paths Object says the path "is appended (no relative URL resolution)
 * to the expanded URL from the Server Object's url field".
 */

import { isRecord } from './util.ts';

/** A placeholder origin to resolve relative server URLs against. */
const PLACEHOLDER_ORIGIN = 'http://apiwarden.invalid/';

/** Removes a trailing slash; the root `/` becomes the empty base path. */
export function trimBasePath(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * The base path of one Server Object, or null (with a warning) when its `url`
 * is unusable. Relative URLs (`/api/v2`, `api/v2`, `.`) are relative to where
 * the document is served (OAS 3.x "Server Object"); for a file that means the
 * root of the upstream.
 */
export function serverBasePath(server: unknown, where: string, warnings: string[]): string | null {
  if (!isRecord(server) || typeof server.url !== 'string') {
    warnings.push(`${where}: a server without a string "url" is ignored`);
    return null;
  }
  const variables = isRecord(server.variables) ? server.variables : {};
  const url = server.url.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const variable = variables[name];
    if (isRecord(variable) && typeof variable.default === 'string') return variable.default;
    // Left as a template parameter: the segment then matches any value.
    warnings.push(`${where}: server variable {${name}} has no default; it is routed as a path parameter`);
    return whole;
  });
  let parsed: URL;
  try {
    parsed = new URL(url, PLACEHOLDER_ORIGIN);
  } catch {
    warnings.push(`${where}: server url ${JSON.stringify(server.url)} is not a URL and is ignored`);
    return null;
  }
  // WHATWG URL percent-encodes what it must (`{`, spaces, non-ASCII); the
  // router compares percent-decoded text, so decode back what decodeURI can.
  return trimBasePath(safeDecodeUri(parsed.pathname));
}

/**
 * Base paths of a `servers` array, in order and without duplicates. An absent
 * or empty array yields `inherited`: at the root that is `['']` (OAS 3.x
 * "OpenAPI Object": "If the servers property is not provided, or is an empty
 * array, the default value would be a Server Object with a url value of /");
 * for a Path Item or an Operation it is the enclosing level's base paths
 * ("Operation Object": servers at this level override the ones above).
 */
export function serversBasePaths(
  servers: unknown,
  inherited: readonly string[],
  where: string,
  warnings: string[],
): readonly string[] {
  if (servers === undefined || (Array.isArray(servers) && servers.length === 0)) return inherited;
  if (!Array.isArray(servers)) {
    warnings.push(`${where}: "servers" is not an array and is ignored`);
    return inherited;
  }
  const paths: string[] = [];
  servers.forEach((server, i) => {
    const path = serverBasePath(server, `${where}[${i}]`, warnings);
    if (path !== null && !paths.includes(path)) paths.push(path);
  });
  return paths.length > 0 ? paths : inherited;
}

/** The Swagger 2.0 `basePath`, as a base path. */
export function swaggerBasePath(basePath: unknown, warnings: string[]): string {
  if (basePath === undefined) return '';
  if (typeof basePath !== 'string') {
    warnings.push('basePath is not a string and is ignored');
    return '';
  }
  // "MUST start with a leading slash": tolerate its absence rather than
  // build templates such as "api/users".
  return trimBasePath(basePath.startsWith('/') ? basePath : `/${basePath}`);
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}
