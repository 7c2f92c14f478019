import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadPolicy } from '../config/load.ts';
import type { PolicyConfig } from '../config/types.ts';
import type { GatewayEvent } from '../events/types.ts';
import { formatInventory } from '../cli/inventory-format.ts';
import { filterFindings, renderText } from '../discovery/findings.ts';
import { diffInventory } from '../discovery/spec-diff.ts';
import { loadDocument } from '../openapi/load.ts';
import { loadOperationDetails, type OperationDetails } from '../openapi/responses.ts';
import { startGatewayRuntime, type GatewayRuntime } from '../gateway/runtime.ts';
import { DEMO, startDemoUpstream, type DemoUpstream } from './upstream.ts';

export const DEMO_POLICY = fileURLToPath(new URL('../../examples/demo/apiwarden.yaml', import.meta.url));

export interface DemoOptions {
  /** gateway port; 0 = any free port */
  port: number;
  mode?: 'enforce' | 'monitor';
  out?: (line: string) => void;
  /** the console's port on 127.0.0.1 (0 = any free port; null = no console) */
  adminPort?: number | null;
  /** the console's token (default: a random one, printed) */
  adminToken?: string;
}

export interface RunningDemo {
  runtime: GatewayRuntime;
  upstream: DemoUpstream;
  gatewayUrl: string;
  /** the console (admin listener) and its token, when started */
  admin: { url: string; token: string } | null;
  close(): Promise<void>;
}

/** Start the demo API and the gateway in front of it, both on loopback. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const upstream = await startDemoUpstream(0);
  const policy: PolicyConfig = await loadPolicy(DEMO_POLICY);
  // the example policy names fixed ports; the demo takes free ones so it runs anywhere
  policy.listeners = [{ ...policy.listeners[0]!, port: options.port, workers: 1 }];
  policy.upstreams = policy.upstreams.map((u) => ({ ...u, url: upstream.url, mode: options.mode ?? u.mode }));
  const bearer = policy.auth.schemes.bearerAuth;
  if (bearer?.kind === 'jwt') policy.auth.schemes.bearerAuth = { ...bearer, jwksUri: upstream.jwksUri };
  if (options.mode) policy.mode = options.mode;
  // a demo's handful of requests: inspect every body, so the findings show at once
  policy.discovery = { ...policy.discovery, sampleRate: 1 };
  const adminToken = options.adminToken ?? randomBytes(18).toString('base64url');
  if (options.adminPort !== null && options.adminPort !== undefined) policy.admin = { host: '127.0.0.1', port: options.adminPort, token: { env: null, value: adminToken } };
  // the demo prints its own story; only problems go to the operational log
  const logger = pino({ base: null, level: 'warn' }, pino.destination(2));
  const runtime = await startGatewayRuntime(policy, { watchFiles: false, handleSignals: false, logger });
  const address = runtime.addresses[0]!;
  return {
    runtime,
    upstream,
    gatewayUrl: `http://127.0.0.1:${address.port}`,
    admin: runtime.admin ? { url: runtime.admin.url, token: adminToken } : null,
    async close() {
      await runtime.close(2_000);
      await upstream.close();
    },
  };
}

interface TourStep {
  title: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** send it this many times, show the last answer */
  repeat?: number;
}

export function tourSteps(token: string): TourStep[] {
  const auth = { authorization: `Bearer ${token}` };
  return [
    { title: 'documented: the v2 account lookup, with a token', method: 'GET', path: `/v2/accounts/${DEMO.knownAccount}`, headers: auth },
    { title: 'denied: the same lookup without a token', method: 'GET', path: `/v2/accounts/${DEMO.knownAccount}` },
    { title: 'denied: a forged token', method: 'GET', path: `/v2/accounts/${DEMO.knownAccount}`, headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } },
    { title: 'shadow: the undocumented phone-number lookup of the incident', method: 'GET', path: `/v2/phones/${encodeURIComponent(DEMO.knownPhone)}/status` },
    { title: 'shadow, hidden behind a dot segment', method: 'GET', path: `/v2/accounts/../phones/${encodeURIComponent(DEMO.unknownPhone)}/status` },
    { title: 'zombie: deprecated v1 lookup, which declares no security at all', method: 'GET', path: `/v1/accounts/${DEMO.knownAccount}` },
    { title: 'zombie: v1 phone check, past its sunset', method: 'POST', path: '/v1/phones/check', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: DEMO.knownPhone }) },
    { title: 'zombie: the forgotten v0 API, retired', method: 'GET', path: `/v0/accounts/${DEMO.knownAccount}` },
    { title: 'rejected: an encoded slash that could be read two ways', method: 'GET', path: '/v2/accounts%2F..%2Fphones' },
    {
      title: 'limited: the 6th login attempt in a minute from one address',
      method: 'POST', path: '/v2/sessions', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'victim@example.com', password: 'guess' }), repeat: 6,
    },
  ];
}

/**
 * node:http sends the path exactly as given; fetch would resolve dot
 * segments on the client side and hide what the gateway does with them.
 */
function send(base: string, step: TourStep): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = http.request({ host: url.hostname, port: url.port, method: step.method, path: step.path, headers: step.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(step.body);
  });
}

/** Send each tour request through the gateway and describe what happened. */
export async function runTour(demo: RunningDemo, out: (line: string) => void): Promise<GatewayEvent[]> {
  const events: GatewayEvent[] = [];
  const unsubscribe = demo.runtime.bus.subscribe((e) => events.push(e));
  for (const step of tourSteps(demo.upstream.token)) {
    let res = await send(demo.gatewayUrl, step);
    for (let i = 1; i < (step.repeat ?? 1); i++) res = await send(demo.gatewayUrl, step);
    const text = res.body;
    // the event is published when the response closes; give it a turn of the loop
    await new Promise((r) => setTimeout(r, 20));
    const event = events.findLast((e) => e.rawPath === step.path);
    out(`\n${step.title}\n  ${step.method} ${step.path}`);
    const extra = ['deprecation', 'sunset', 'link', 'www-authenticate', 'retry-after', 'ratelimit'].filter((h) => res.headers[h]).map((h) => `${h}: ${String(res.headers[h])}`);
    out(`  → ${res.status}  class=${event?.class ?? '?'}  decision=${event?.decision ?? '?'}${event?.template ? `  operation=${event.operationId}` : ''}${event?.auth ? `  auth=${event.auth}` : ''}${event?.limit ? `  limit=${event.limit.rule}:${event.limit.action}` : ''}`);
    for (const h of extra) out(`    ${h}`);
    out(`    ${text.length > 110 ? text.slice(0, 110) + '…' : text}`);
  }
  unsubscribe();
  return events;
}

export async function printInventory(demo: RunningDemo, out: (line: string) => void): Promise<void> {
  await demo.runtime.recorder.flush();
  out('\nInventory recorded by the gateway:\n');
  out(formatInventory(await demo.runtime.store.listEndpoints()));
}

/** What the inventory shows against the documents, most severe first (the medium and above). */
export async function printFindings(demo: RunningDemo, out: (line: string) => void): Promise<void> {
  const discovery = demo.runtime.discovery;
  if (!discovery) return;
  const config = demo.runtime.config;
  const files = [...new Set(config.upstreams.flatMap((u) => u.openapi))];
  const current = await Promise.all(files.map((f) => loadDocument(f)));
  const details = new Map<string, OperationDetails>();
  for (const f of files) for (const [k, v] of await loadOperationDetails(f)) details.set(k, v);
  const retiredPrefixes = config.upstreams.flatMap((u) => u.retired.map((r) => r.prefix));
  const findings = filterFindings(diffInventory(discovery.inventory.endpoints(), { current, details }, { retiredPrefixes }), { minSeverity: 'medium' });
  out('\nDiscovery: what the traffic shows against the documents (apiwarden findings -c <policy>):\n');
  if (findings.length === 0) out('  no finding of medium severity or above');
  for (const line of renderText(findings)) out(`  ${line}`);
}

export function curlLines(gatewayUrl: string, token: string): string[] {
  return [
    `curl -i -H 'authorization: Bearer ${token}' ${gatewayUrl}/v2/accounts/${DEMO.knownAccount}`,
    `curl -i ${gatewayUrl}/v2/accounts/${DEMO.knownAccount}`,
    `curl -i ${gatewayUrl}/v2/phones/%2B14155551012/status`,
    `curl -i ${gatewayUrl}/v1/accounts/${DEMO.knownAccount}`,
    `curl -i -X POST -d '{"phone":"+14155551012"}' ${gatewayUrl}/v1/phones/check`,
    `curl -i ${gatewayUrl}/v0/accounts/${DEMO.knownAccount}`,
    `curl -i --path-as-is '${gatewayUrl}/v2/%2e%2e/v0/accounts/${DEMO.knownAccount}'`,
  ];
}
