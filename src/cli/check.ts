import { loadPolicy } from '../config/load.ts';
import { loadGatewayPlan } from '../gateway/plan.ts';
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
      return [op.method, op.template, op.operationId, state];
    });
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
    for (const r of rows) {
      io.out(`  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`);
    }
  }
  io.out(`policy ${config.source} is valid: ${plan.upstreams.length} upstream(s), ${plan.upstreams.reduce((n, u) => n + u.routes.operations.length, 0)} operations, mode ${config.mode}`);
  return 0;
}
