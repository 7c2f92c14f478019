import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGatewayRuntime, type GatewayRuntime } from '../../../src/gateway/runtime.ts';
import type { GatewayEvent } from '../../../src/events/types.ts';
import pino from 'pino';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/gateway/', import.meta.url));
/** the demo API's public phone lookup and login, documented (test/fixtures/gateway/phone-lookup.yaml) */
export const PHONE_LOOKUP_DOC = `${FIXTURES}phone-lookup.yaml`;

/**
 * The head of a policy for the phone lookup behind `upstreamUrl`: enforce
 * mode, a free port, an in-memory store, no access log. Tests append their
 * own sections (detection, alerts, limits).
 */
export function phoneLookupPolicy(upstreamUrl: string): string {
  return `
mode: enforce
listeners: [{ host: 127.0.0.1, port: 0 }]
upstreams:
  - { name: accounts, url: ${upstreamUrl}, openapi: ['${PHONE_LOOKUP_DOC}'] }
store: { sqlite: ':memory:' }
accessLog: off
`;
}

export interface TestGateway {
  runtime: GatewayRuntime;
  url: string;
  port: number;
  events: GatewayEvent[];
  /** the policy file, for reload tests */
  file: string;
  close(): Promise<void>;
}

/** Write a policy (YAML text with the fixture folder for documents) and start a gateway on a free port. */
export async function startTestGateway(policyYaml: string, options: { watch?: boolean } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-test-'));
  const file = join(dir, 'apiwarden.yaml');
  writeFileSync(file, policyYaml.replaceAll('$FIXTURES', FIXTURES));
  const runtime = await startGatewayRuntime(file, {
    watchFiles: options.watch ?? false,
    handleSignals: false,
    logger: pino({ level: process.env.APIWARDEN_TEST_LOG ?? 'silent' }),
  });
  const events: GatewayEvent[] = [];
  runtime.bus.subscribe((e) => events.push(e));
  const port = runtime.addresses[0]!.port;
  return { runtime, url: `http://127.0.0.1:${port}`, port, events, file, close: () => runtime.close(1000) };
}

/** Wait until `predicate` holds, polling; fails after `ms`. */
export async function eventually<T>(fn: () => T | undefined | null | false, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Start a gateway, run `fn` with it, and close it whatever happens. */
export async function withGateway(policyYaml: string, fn: (gw: TestGateway) => Promise<void>): Promise<void> {
  const gw = await startTestGateway(policyYaml);
  try {
    await fn(gw);
  } finally {
    await gw.close();
  }
}

/** A loopback port free at the time of asking (for processes that need a fixed port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}
