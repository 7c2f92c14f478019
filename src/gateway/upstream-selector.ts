import type { UpstreamConfig } from '../config/types.ts';

/**
 * Chooses the upstream for a host and canonical path. Several upstreams are
 * told apart by host (exact, then `*.suffix` wildcard, then any) and by path
 * prefix at a segment boundary (longest first). Compiled once per plan; the
 * per-request work is a short loop over the few upstreams.
 */
export interface UpstreamSelector<T> {
  select(host: string, path: string): T | null;
}

interface Candidate<T> {
  target: T;
  exactHosts: ReadonlySet<string>;
  wildcardSuffixes: readonly string[];
  anyHost: boolean;
  prefix: string;
}

export function compileUpstreamSelector<T extends { config: UpstreamConfig }>(targets: readonly T[]): UpstreamSelector<T> {
  const candidates: Candidate<T>[] = targets.map((target) => {
    const hosts = target.config.hosts;
    return {
      target,
      exactHosts: new Set(hosts.filter((h) => !h.startsWith('*.'))),
      // '*.example.com' matches 'a.example.com' and 'a.b.example.com', never 'example.com'
      wildcardSuffixes: hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1)),
      anyHost: hosts.length === 0,
      prefix: target.config.pathPrefix === '/' ? '' : target.config.pathPrefix,
    };
  });
  if (candidates.length === 1 && candidates[0]!.anyHost && candidates[0]!.prefix === '') {
    const only = candidates[0]!.target;
    return { select: () => only };
  }

  return {
    // hot path: no allocation. Host specificity first (as nginx picks a
    // server block before a location), then the longest path prefix.
    select(host, path) {
      let best: T | null = null;
      let bestScore = -1;
      for (const c of candidates) {
        const rank = hostRank(c, host);
        if (rank < 0 || !hasPathPrefix(path, c.prefix)) continue;
        const score = rank * 1_000_000 + c.prefix.length;
        if (score > bestScore) {
          best = c.target;
          bestScore = score;
        }
      }
      return best;
    },
  };
}

function hostRank<T>(c: Candidate<T>, host: string): number {
  if (c.exactHosts.has(host)) return 3;
  for (const suffix of c.wildcardSuffixes) {
    if (host.length > suffix.length && host.endsWith(suffix)) return 2;
  }
  return c.anyHost ? 1 : -1;
}

/** true when `path` is `prefix` or continues it at a segment boundary (/v1 matches /v1 and /v1/x, not /v10). */
export function hasPathPrefix(path: string, prefix: string): boolean {
  if (prefix === '' || prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */;
}
