import type { Mode, PolicyConfig, UpstreamConfig } from '../config/types.ts';
import { compileCidrSet, type CidrSet } from '../http/cidr.ts';
import { compileLimiterPlan, type LimiterPlan } from '../limiter/plan.ts';
import { compileAuthPlan, type AuthPlan, type AuthServices } from '../auth/plan.ts';
import { loadDocument } from '../openapi/load.ts';
import { compileRouteTable } from '../openapi/route-table.ts';
import type { LoadedDocument, Operation, RouteMatch, RouteTable } from '../openapi/types.ts';
import type { RequestClass } from '../events/types.ts';
import { compileUpstreamSelector, hasPathPrefix, type UpstreamSelector } from './upstream-selector.ts';
import { compileOperationPolicy, compileRetiredPolicy, type ZombiePolicy } from './zombie-policy.ts';

export interface CompiledRetired {
  /** lower-cased: `/V1/users` is as retired as `/v1/users` for case-insensitive upstreams */
  prefix: string;
  policy: ZombiePolicy;
}

export interface CompiledUpstream {
  readonly config: UpstreamConfig;
  readonly name: string;
  readonly mode: Mode;
  readonly routes: RouteTable;
  readonly retired: readonly CompiledRetired[];
  readonly operationPolicies: ReadonlyMap<Operation, ZombiePolicy>;
  /** scheme://host:port of the upstream */
  readonly origin: string;
  /** the path of the upstream URL without trailing slash ('' for none), prepended when forwarding */
  readonly basePath: string;
  /** the prefix removed from the request path before matching and forwarding ('' when none) */
  readonly stripPrefix: string;
}

/** The immutable result of compiling a policy: what the request path reads, swapped whole on reload. */
export interface GatewayPlan {
  readonly config: PolicyConfig;
  readonly upstreams: readonly CompiledUpstream[];
  readonly selector: UpstreamSelector<CompiledUpstream>;
  readonly trustedProxies: CidrSet;
  readonly documents: ReadonlyMap<string, LoadedDocument>;
  /** rate-limit rules by operation, costs, allow-list */
  readonly limiter: LimiterPlan;
  /** access policies by operation, verifiers by document */
  readonly auth: AuthPlan;
  readonly warnings: readonly string[];
}

export interface Classification {
  upstream: CompiledUpstream | null;
  class: RequestClass;
  match: RouteMatch | null;
  zombie: ZombiePolicy | null;
  /** the path as the upstream's documents see it (prefix stripped when configured) */
  routePath: string;
}

const NO_SERVICES: AuthServices = { apiKeys: null };

export async function loadGatewayPlan(config: PolicyConfig, services: AuthServices = NO_SERVICES): Promise<GatewayPlan> {
  const documents = new Map<string, LoadedDocument>();
  for (const upstream of config.upstreams) {
    for (const file of upstream.openapi) {
      if (!documents.has(file)) documents.set(file, await loadDocument(file));
    }
  }
  return compileGatewayPlan(config, documents, services);
}

export function compileGatewayPlan(config: PolicyConfig, documents: ReadonlyMap<string, LoadedDocument>, services: AuthServices = NO_SERVICES): GatewayPlan {
  const warnings: string[] = [];
  const upstreams = config.upstreams.map((upstream) => {
    const docs = upstream.openapi.map((file) => {
      const doc = documents.get(file);
      if (!doc) throw new Error(`document ${file} was not loaded`);
      return doc;
    });
    const routes = compileRouteTable(docs);
    for (const w of routes.warnings ?? []) warnings.push(`upstream ${upstream.name}: ${w}`);
    const compiled = compileUpstream(upstream, routes);
    for (const entry of upstream.sunsets) {
      const known = routes.operations.some((op) => entry.operation === op.operationId || entry.operation === `${op.method} ${op.template}` || entry.operation === `${op.method} ${op.documentPath}`);
      if (!known) warnings.push(`upstream ${upstream.name}: sunsets: no operation '${entry.operation}' in its documents`);
    }
    return compiled;
  });
  const limiter = compileLimiterPlan(config.rateLimits, upstreams.map((u) => ({ name: u.name, operations: u.routes.operations })));
  warnings.push(...limiter.warnings);
  const auth = compileAuthPlan(config.auth, documents, services);
  warnings.push(...auth.warnings);
  return {
    config,
    upstreams,
    limiter,
    auth,
    selector: compileUpstreamSelector(upstreams),
    trustedProxies: compileCidrSet(config.trustedProxies),
    documents,
    warnings,
  };
}

function compileUpstream(config: UpstreamConfig, routes: RouteTable): CompiledUpstream {
  const url = new URL(config.url);
  const operationPolicies = new Map<Operation, ZombiePolicy>();
  for (const operation of routes.operations) {
    const policy = compileOperationPolicy(operation, config);
    if (policy) operationPolicies.set(operation, policy);
  }
  return {
    config,
    name: config.name,
    mode: config.mode,
    routes,
    retired: config.retired.map((r) => ({ prefix: r.prefix.toLowerCase().replace(/\/+$/, ''), policy: compileRetiredPolicy(r) })),
    operationPolicies,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    stripPrefix: config.stripPrefix && config.pathPrefix !== '/' ? config.pathPrefix : '',
  };
}

/**
 * Classify one request. `path` is canonical (see src/http/canonical.ts) and
 * `host` normalised. Pure: the same plan and input give the same answer.
 */
export function classify(plan: GatewayPlan, method: string, host: string, path: string): Classification {
  const upstream = plan.selector.select(host, path);
  if (!upstream) return { upstream: null, class: 'unknown', match: null, zombie: null, routePath: path };

  let routePath = path;
  if (upstream.stripPrefix !== '') routePath = path.length === upstream.stripPrefix.length ? '/' : path.slice(upstream.stripPrefix.length);

  const match = upstream.routes.match(method, routePath);
  const retired = upstream.retired.length === 0 ? null : findRetired(upstream.retired, routePath);
  if (retired) return { upstream, class: 'zombie', match, zombie: retired, routePath };
  if (!match) return { upstream, class: 'shadow', match: null, zombie: null, routePath };
  const zombie = upstream.operationPolicies.get(match.operation) ?? null;
  return { upstream, class: zombie ? 'zombie' : 'documented', match, zombie, routePath };
}

function findRetired(retired: readonly CompiledRetired[], path: string): ZombiePolicy | null {
  const lower = path.toLowerCase();
  for (const r of retired) if (hasPathPrefix(lower, r.prefix)) return r.policy;
  return null;
}
