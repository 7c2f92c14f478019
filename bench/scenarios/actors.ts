/**
 * The scenarios as HTTP requests: who sends what, from which loopback
 * address, with which client's headers, at which simulated time, and what
 * the demo API answers without apiwarden in front (for the peers' access
 * log). Seeded and deterministic.
 *
 * People (benign) look up their own number now and then (99 % hits), sign
 * in (8 % mistype their password), rarely ask for a path that does not
 * exist; they live at home addresses (a few per /24), behind carrier NAT
 * (many people per address) and in offices. The attacks are those of the
 * reference incidents (see test/fixtures/detect/scenarios.ts, which
 * generates the same shapes as detection events for the rule tests).
 */
import { demoAccount, demoEmail, demoPassword } from '../../src/demo/upstream.ts';
import type { CLIENTS } from '../../test/fixtures/detect/scenarios.ts';
import { poisson, prng } from '../../test/fixtures/detect/scenarios.ts';
import type { Phase } from './clock.ts';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export type ClientKind = keyof typeof CLIENTS;

export interface Planned {
  /** simulated ms from the scenario's start */
  at: number;
  /** 'benign', or the attack's name */
  actor: string;
  /** loopback source address */
  ip: string;
  client: ClientKind;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** the subject of a bearer token the request carries */
  tokenSubject?: string;
  /** what the demo API answers it, apiwarden aside */
  status: number;
}

export interface ScenarioPlan {
  name: string;
  description: string;
  /** simulated ms from the start at which the attack begins; null: benign only */
  attackStart: number | null;
  /** simulated duration */
  end: number;
  phases: Phase[];
  requests: Planned[];
  /** accounts the demo API must hold */
  accounts: number;
}

const ACCOUNTS = 20_000;

/** a number with no account: another area code than the demo's */
function randomPhone(rand: () => number): string {
  return `+1917${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}`;
}

const lookupPath = (phone: string): string => `/v2/phones/${encodeURIComponent(phone)}/status`;

/** People using the app between `from` and `to` (simulated ms). */
export function benignTraffic(options: { seed: number; users: number; from: number; to: number; sessionsPerDay?: number }): Planned[] {
  const rand = prng(options.seed);
  const out: Planned[] = [];
  const days = (options.to - options.from) / (24 * HOUR);
  const nat = Array.from({ length: 30 }, (_, i) => `127.2.${i}.1`);
  const offices = Array.from({ length: 10 }, (_, i) => `127.3.${i % 3}.${10 + i}`);
  for (let u = 0; u < options.users; u++) {
    const account = demoAccount(u);
    const r = rand();
    // homes: a dozen people per /24; carrier NAT: ~60 people per address; offices
    const ip = r < 0.7 ? `127.1.${u % 200}.${1 + Math.floor(u / 200)}` : r < 0.9 ? nat[u % nat.length]! : offices[u % offices.length]!;
    const f = rand();
    const client: ClientKind = f < 0.55 ? 'iosApp' : f < 0.9 ? 'androidApp' : 'chrome';
    const sessions = poisson(rand, (options.sessionsPerDay ?? 6) * days);
    for (let s = 0; s < sessions; s++) {
      let t = options.from + rand() * (options.to - options.from);
      if (rand() < 0.3) {
        const email = demoEmail(account);
        if (rand() < 0.08) {
          out.push({ at: t, actor: 'benign', ip, client, method: 'POST', path: '/v2/sessions', body: JSON.stringify({ email, password: 'correct-hrose' }), status: 401 });
          t += 5 * SECOND + rand() * 15 * SECOND;
        }
        out.push({ at: t, actor: 'benign', ip, client, method: 'POST', path: '/v2/sessions', body: JSON.stringify({ email, password: demoPassword(account) }), status: 201 });
        t += 2 * SECOND + rand() * 5 * SECOND;
      }
      const lookups = 1 + Math.floor(rand() * 3);
      for (let l = 0; l < lookups; l++) {
        const isTypo = rand() < 0.01;
        out.push({ at: t, actor: 'benign', ip, client, method: 'GET', path: lookupPath(isTypo ? randomPhone(rand) : account.phone), status: isTypo ? 404 : 200 });
        t += 5 * SECOND + rand() * 55 * SECOND;
      }
      if (rand() < 0.02) out.push({ at: t + SECOND, actor: 'benign', ip, client, method: 'GET', path: '/favicon.ico', status: 404 });
    }
  }
  return out;
}

const byTime = (a: Planned, b: Planned): number => a.at - b.at;

function scenario(parts: Omit<ScenarioPlan, 'requests' | 'accounts'> & { attack: Planned[]; users: number; seed: number }): ScenarioPlan {
  const requests = [...benignTraffic({ seed: parts.seed + 1, users: parts.users, from: 0, to: parts.end }), ...parts.attack].filter((r) => r.at < parts.end).sort(byTime);
  return { name: parts.name, description: parts.description, attackStart: parts.attackStart, end: parts.end, phases: parts.phases, requests, accounts: ACCOUNTS };
}

/** Three hours of 3,000 people and no attack: nothing may be acted on. */
export function benignOnly(seed: number): ScenarioPlan {
  return scenario({
    name: 'benign', description: '3,000 people, 3 simulated hours, no attack', attackStart: null, end: 3 * HOUR, seed, users: 3000, attack: [],
    phases: [{ fromSimMs: 0, speed: 240 }],
  });
}

/** Authy 2024: 300 addresses in 60 /24s, one program, ~1 lookup per 2 minutes each, random numbers, ~95 % misses. */
export function authy(seed: number): ScenarioPlan {
  const rand = prng(seed);
  const attackStart = HOUR;
  const end = attackStart + 30 * MINUTE;
  const attack: Planned[] = [];
  for (let s = 0; s < 60; s++) {
    for (let h = 0; h < 5; h++) {
      const ip = `127.${100 + s}.${(7 * s) % 256}.${10 + h * 37}`;
      for (let t = attackStart + rand() * 2 * MINUTE; t < end; t += 100 * SECOND + rand() * 40 * SECOND) {
        const isHit = rand() < 0.05;
        const phone = isHit ? demoAccount(Math.floor(rand() * ACCOUNTS)).phone : randomPhone(rand);
        attack.push({ at: t, actor: 'authy', ip, client: 'pythonRequests', method: 'GET', path: lookupPath(phone), status: isHit ? 200 : 404 });
      }
    }
  }
  return scenario({
    name: 'authy', description: 'distributed enumeration: 300 addresses in 60 /24s, each one lookup per ~2 min, 95 % misses, among 2,000 people',
    attackStart, end, seed, users: 2000, attack,
    // the hour of people before the attack (the baseline) passes quickly
    phases: [{ fromSimMs: 0, speed: 120 }, { fromSimMs: attackStart - 5 * MINUTE, speed: 60 }],
  });
}

/** Dell 2024: one partner account harvesting ~2,000 customer records a minute from two addresses, at a script's pace. */
export function dell(seed: number): ScenarioPlan {
  const rand = prng(seed);
  const attackStart = 10 * MINUTE;
  const end = attackStart + 15 * MINUTE;
  const ips = ['127.50.0.20', '127.50.0.21'];
  const attack: Planned[] = [];
  let i = 0;
  for (let t = attackStart; t < end; t += 30 * (0.8 + 0.4 * rand())) {
    const isHit = rand() < 0.97;
    const id = isHit ? demoAccount(Math.floor(rand() * ACCOUNTS)).id : `acc_${9_000_000 + Math.floor(rand() * 1_000_000)}`;
    attack.push({ at: t, actor: 'dell', ip: ips[i++ % 2]!, client: 'goHttp', method: 'GET', path: `/v2/accounts/${id}`, tokenSubject: 'partner-0042', status: isHit ? 200 : 404 });
  }
  return scenario({
    name: 'dell', description: 'one partner token harvesting ~2,000 records a minute from two addresses, 97 % found',
    attackStart, end, seed, users: 1000, attack,
    phases: [{ fromSimMs: 0, speed: 120 }, { fromSimMs: attackStart - MINUTE, speed: 15 }],
  });
}

/** One address trying a list of 400 leaked e-mail and password pairs, one every ~1.5 s. */
export function credentialStuffing(seed: number): ScenarioPlan {
  const rand = prng(seed);
  const attackStart = 10 * MINUTE;
  const end = attackStart + 10 * MINUTE;
  const attack: Planned[] = [];
  for (let n = 0; n < 400; n++) {
    // 1 % of leaked pairs still work: the account's own password
    const isValid = rand() < 0.01;
    const account = demoAccount(Math.floor(rand() * ACCOUNTS));
    const email = isValid ? demoEmail(account) : `victim${n}@mail.example`;
    attack.push({
      at: attackStart + n * 1500 + rand() * 500, actor: 'credential-stuffing', ip: '127.60.0.88', client: 'chrome', method: 'POST', path: '/v2/sessions',
      body: JSON.stringify({ email, password: isValid ? demoPassword(account) : `Summer${n}!` }), status: isValid ? 201 : 401,
    });
  }
  return scenario({
    name: 'credential-stuffing', description: 'one address, 400 leaked e-mail/password pairs, one every ~1.5 s',
    attackStart, end, seed, users: 1000, attack,
    phases: [{ fromSimMs: 0, speed: 120 }, { fromSimMs: attackStart - MINUTE, speed: 30 }],
  });
}

/**
 * A scraper without credentials reading the public lookup for numbers it
 * knows exist (a list bought elsewhere, in no order), 90 a minute at a
 * machine's regular pace: under the per-address limit of 100 a minute.
 */
export function scraping(seed: number): ScenarioPlan {
  const rand = prng(seed);
  const attackStart = 10 * MINUTE;
  const end = attackStart + 15 * MINUTE;
  const attack: Planned[] = [];
  for (let t = attackStart; t < end; t += 640 + rand() * 50) {
    const phone = demoAccount(3000 + Math.floor(rand() * (ACCOUNTS - 3000))).phone;
    attack.push({ at: t, actor: 'scraping', ip: '127.70.0.5', client: 'pythonRequests', method: 'GET', path: lookupPath(phone), status: 200 });
  }
  return scenario({
    name: 'scraping', description: 'one address reading existing records of the public lookup, 90 a minute, regular, in no order',
    attackStart, end, seed, users: 1000, attack,
    phases: [{ fromSimMs: 0, speed: 120 }, { fromSimMs: attackStart - MINUTE, speed: 30 }],
  });
}

const SCANNER_WORDS = ['admin', '.env', 'wp-login.php', 'api', 'internal', 'backup', 'debug', 'actuator', 'graphql', 'swagger.json', '.git', 'config', 'users', 'old', 'phpmyadmin', 'server-status', 'console', 'v3', 'test', 'private'];

/** A scanner: 300 paths in 40 seconds, nearly all of them unknown. */
export function scanning(seed: number): ScenarioPlan {
  const rand = prng(seed);
  const attackStart = 10 * MINUTE;
  const end = attackStart + 5 * MINUTE;
  const attack: Planned[] = [];
  for (let n = 0; n < 300; n++) {
    const path = `/${SCANNER_WORDS[Math.floor(rand() * SCANNER_WORDS.length)]}/${SCANNER_WORDS[Math.floor(rand() * SCANNER_WORDS.length)]}`;
    attack.push({ at: attackStart + (n * 40 * SECOND) / 300, actor: 'scanning', ip: '127.80.0.111', client: 'goHttp', method: 'GET', path, status: 404 });
  }
  return scenario({
    name: 'scanning', description: 'one address, 300 unknown paths in 40 s',
    attackStart, end, seed, users: 1000, attack,
    phases: [{ fromSimMs: 0, speed: 120 }, { fromSimMs: attackStart - MINUTE, speed: 30 }],
  });
}

export const SCENARIOS = { benign: benignOnly, authy, dell, 'credential-stuffing': credentialStuffing, scraping, scanning } as const;
export type ScenarioName = keyof typeof SCENARIOS;
