/**
 * Sends a scenario's requests through the gateway at their simulated times
 * (open loop: a bot's schedule does not wait for the answers), each from
 * its own loopback source address with its client program's headers in the
 * program's order (what the fingerprint reads). Attackers keep connections
 * alive, as scripts do; people's phones open a new one per visit.
 */
import http from 'node:http';
import { CLIENTS } from '../../test/fixtures/detect/scenarios.ts';
import type { Planned } from './actors.ts';
import type { ScaledClock } from './clock.ts';

export interface Answer {
  status: number;
  /** the gateway's problem code (BANNED, RATE_LIMITED, …) when it refused */
  code: string | null;
  wallMs: number;
}

export interface DriveResult {
  answers: (Answer | null)[];
  /** requests that failed at the socket (none expected) */
  errors: number;
  wallMs: number;
}

/** in flight at most; past it the schedule waits (the machine, not the gateway, would be measured) */
const MAX_IN_FLIGHT = 1500;

/** the request's headers in its client program's order, as sent */
export function headersOf(r: Planned, host: string, tokens: ReadonlyMap<string, string>): string[] {
  const base = CLIENTS[r.client];
  const out: string[] = [];
  for (let i = 0; i < base.length; i += 2) {
    const name = base[i]!;
    if (name.toLowerCase() === 'x-api-key') continue;
    out.push(name, name.toLowerCase() === 'host' ? host : base[i + 1]!);
    if (name.toLowerCase() === 'host' && r.tokenSubject !== undefined) out.push('Authorization', `Bearer ${tokens.get(r.tokenSubject) ?? ''}`);
  }
  if (r.body !== undefined) out.push('Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(r.body)));
  return out;
}

export async function drive(requests: readonly Planned[], gateway: { host: string; port: number }, clock: ScaledClock, tokens: ReadonlyMap<string, string>): Promise<DriveResult> {
  const answers: (Answer | null)[] = new Array<Answer | null>(requests.length).fill(null);
  const agents = new Map<string, http.Agent>();
  const hostHeader = `${gateway.host}:${gateway.port}`;
  let inFlight = 0;
  let errors = 0;
  const started = performance.now();
  let wake: (() => void) | null = null;

  const agentFor = (r: Planned): http.Agent | false => {
    if (r.actor === 'benign') return false;
    let agent = agents.get(r.ip);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 8, localAddress: r.ip });
      agents.set(r.ip, agent);
    }
    return agent;
  };

  const send = (r: Planned, index: number): void => {
    inFlight++;
    const sentAt = performance.now();
    const agent = agentFor(r);
    const req = http.request({
      host: gateway.host, port: gateway.port, method: r.method, path: r.path, headers: headersOf(r, hostHeader, tokens),
      agent, ...(agent === false ? { localAddress: r.ip } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let code: string | null = null;
        if ((res.statusCode ?? 0) >= 400 && String(res.headers['content-type'] ?? '').includes('problem')) {
          try {
            code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: string }).code ?? null;
          } catch {
            code = null;
          }
        }
        answers[index] = { status: res.statusCode ?? 0, code, wallMs: performance.now() - sentAt };
        done();
      });
    });
    req.on('error', () => {
      errors++;
      done();
    });
    req.end(r.body);
  };

  const done = (): void => {
    inFlight--;
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  };

  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]!;
    const due = clock.wallAt(r.at);
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
    send(r, i);
  }
  // the last answers (a tarpit may hold some for seconds)
  const deadline = performance.now() + 30_000;
  while (inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const agent of agents.values()) agent.destroy();
  return { answers, errors, wallMs: performance.now() - started };
}
