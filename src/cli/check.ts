import { loadPolicy } from '../config/load.ts';
import { loadGatewayPlan } from '../gateway/plan.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { Io } from './main.ts';

/** `apiwarden check`: validate the policy and its documents; print the route table. */
export async function runCheck(file: string, options: { quiet: boolean }, io: Io): Promise<number> {
  const config = await loadPolicy(file);
  const plan = await loadGatewayPlan(config);
  for (const w of plan.warnings) io.err(`warning: ${w}`);
  if (options.quiet) return 0;
  for (const upstream of plan.upstreams) {
    const routing = [
      upstream.config.hosts.length ? `hosts ${upstream.config.hosts.join(', ')}` : 'any host',
      `prefix ${upstream.config.pathPrefix}${upstream.stripPrefix ? ' (stripped)' : ''}`,
    ].join(', ');
    io.out(`upstream ${upstream.name} → ${upstream.config.url}  [${upstream.mode}; ${routing}]`);
    for (const doc of upstream.config.openapi) {
      const d = plan.documents.get(doc)!;
      io.out(`  document ${doc}: ${d.title} ${d.version} (${d.format}, ${d.operations.length} operations)`);
    }
    for (const r of upstream.config.retired) {
      io.out(`  retired ${r.prefix}: ${r.sunset ? `sunset ${r.sunset.toISOString()}` : 'gone'}`);
    }
    const rows = upstream.routes.operations.map((op) => {
      const zombie = upstream.operationPolicies.get(op);
      const state = zombie ? (zombie.sunsetAt <= Date.now() ? 'zombie (gone)' : 'zombie') : 'documented';
      const verifiers = plan.auth.verifiersFor(op);
      const access = describeAccess(plan.auth.policyFor(op), (s) => verifiers.has(s));
      const limits = plan.limiter.rulesFor(upstream.name, zombie ? 'zombie' : 'documented', op, op.method).map((r) => r.rule.name).join(', ');
      return [op.method, op.template, op.operationId, state, access, limits === '' ? '-' : limits];
    });
    const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
    for (const r of rows) {
      io.out(`  ${r.slice(0, 5).map((c, i) => c.padEnd(widths[i]!)).join('  ')}  ${r[5]}`);
    }
  }
  io.out(`policy ${config.source} is valid: ${plan.upstreams.length} upstream(s), ${plan.upstreams.reduce((n, u) => n + u.routes.operations.length, 0)} operations, mode ${config.mode}`);
  return 0;
}

/**
 * Who may call an operation, in one cell: "bearerAuth[read] | apiKeyAuth",
 * "anonymous", "public", or "DENIED (no security)". A scheme the policy does
 * not configure is marked with '!': nobody can satisfy it.
 */
function describeAccess(policy: AccessPolicy, isConfigured: (scheme: string) => boolean): string {
  if (policy.requirements === null) return policy.isPublic ? 'public' : 'DENIED (no security)';
  if (policy.requirements.length === 0) return 'anonymous';
  const text = policy.requirements.map((r) => {
    const names = Object.keys(r);
    if (names.length === 0) return 'anonymous';
    return names.map((n) => `${n}${isConfigured(n) ? '' : '!'}${r[n]!.length > 0 ? `[${r[n]!.join(' ')}]` : ''}`).join(' + ');
  }).join(' | ');
  return policy.rules.length > 0 ? `${text} + rules` : text;
}
