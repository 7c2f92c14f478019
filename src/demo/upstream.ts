import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * The demo API: a small account service that reproduces the incident. Its
 * documented v2 API needs a token; but it also still serves an undocumented
 * phone-number lookup (the shadow endpoint the mobile apps call), the
 * deprecated v1 API and a forgotten v0 (zombies). The data is made up and
 * deterministic.
 */
export interface Account {
  id: string;
  phone: string;
  status: 'active' | 'locked';
  devices: number;
}

/** The i-th account: the first 50 are the demo's own (+1415555…), more are made for load (+1628…). */
export function demoAccount(i: number): Account {
  return {
    id: `acc_${1001 + i}`,
    // every fourth number of a block has an account, as real numbering plans are sparse
    phone: i < 50 ? `+1415555${String(1000 + i * 4).padStart(4, '0')}` : `+1628${String(2_000_000 + i * 7).padStart(7, '0')}`,
    status: i % 7 === 0 ? 'locked' : 'active',
    devices: 1 + (i % 3),
  };
}

const ACCOUNTS: Account[] = Array.from({ length: 50 }, (_, i) => demoAccount(i));
/** accounts made for a bench (startDemoUpstream's `accounts`) join these, shared by the servers of one process */
const BY_ID = new Map(ACCOUNTS.map((a) => [a.id, a]));
const BY_PHONE = new Map(ACCOUNTS.map((a) => [a.phone, a]));

const BY_EMAIL = new Map(ACCOUNTS.map((a) => [demoEmail(a), a]));

function ensureAccounts(count: number): void {
  for (let i = BY_ID.size; i < count; i++) {
    const a = demoAccount(i);
    BY_ID.set(a.id, a);
    BY_PHONE.set(a.phone, a);
    BY_EMAIL.set(demoEmail(a), a);
  }
}

/** an account's sign-in e-mail and password (made up, deterministic: the scenario bench signs people in) */
export function demoEmail(a: Account): string {
  return `${a.id.replace('acc_', 'user')}@example.com`;
}
export function demoPassword(a: Account): string {
  return `correct-horse-${a.id}`;
}
/** The demo's identity provider: tokens are signed with a key made at start-up, published as a JWKS. */
export const DEMO_ISSUER = 'https://id.demo.apiwarden.test/';
export const DEMO_AUDIENCE = 'demo-accounts-api';
export const JWKS_PATH = '/.well-known/jwks.json';

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, jwks: unknown): void {
  const url = new URL(req.url ?? '/', 'http://demo');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  let m: RegExpMatchArray | null;

  if (method === 'GET' && path === '/v2/health') return json(res, 200, { status: 'ok' });
  if (method === 'GET' && path === JWKS_PATH) return json(res, 200, jwks);

  // the shadow endpoint: no document declares it and it asks for no credential
  if (method === 'GET' && (m = path.match(/^\/v2\/phones\/([^/]+)\/status$/))) {
    const account = BY_PHONE.get(decodeURIComponent(m[1]!));
    if (!account) return json(res, 404, { exists: false });
    return json(res, 200, { exists: true, accountId: account.id, status: account.status, devices: account.devices });
  }

  if (method === 'GET' && (m = path.match(/^\/v2\/accounts\/([^/]+)(\/devices)?$/))) {
    // the token is verified by the gateway in front; this service only insists that one was sent
    if (!req.headers.authorization?.startsWith('Bearer ')) return json(res, 401, { error: 'unauthorized' });
    const account = BY_ID.get(m[1]!);
    if (!account) return json(res, 404, { error: 'not found' });
    if (m[2]) return json(res, 200, Array.from({ length: account.devices }, (_, i) => ({ id: `dev_${i + 1}` })));
    return json(res, 200, { id: account.id, status: account.status, devices: account.devices });
  }

  if (method === 'POST' && path === '/v2/sessions') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let credentials: { email?: unknown; password?: unknown } = {};
      try {
        credentials = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof credentials;
      } catch {
        // a form or garbage: no account matches it
      }
      const account = typeof credentials.email === 'string' ? BY_EMAIL.get(credentials.email.toLowerCase()) : undefined;
      if (account && credentials.password === demoPassword(account)) return json(res, 201, { session: `sess_${account.id}` });
      json(res, 401, { error: 'invalid credentials' });
    });
    return;
  }

  // the zombies: v1 and v0 still answer, without asking who is calling
  if (method === 'GET' && (m = path.match(/^\/v[01]\/accounts\/([^/]+)$/))) {
    const account = BY_ID.get(m[1]!);
    if (!account) return json(res, 404, { error: 'not found' });
    return json(res, 200, { id: account.id, phone: account.phone, status: account.status, devices: account.devices });
  }
  if (method === 'POST' && path === '/v1/phones/check') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let phone: string;
      try {
        phone = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { phone?: unknown }).phone ?? '');
      } catch {
        return json(res, 400, { error: 'invalid json' });
      }
      json(res, 200, { exists: BY_PHONE.has(phone) });
    });
    return;
  }

  json(res, 404, { error: 'not found' });
}

export interface DemoUpstream {
  readonly url: string;
  readonly port: number;
  /** the JWKS the gateway verifies tokens with */
  readonly jwksUri: string;
  /** a valid access token for the v2 API (one hour, scope accounts:read) */
  readonly token: string;
  /** another token signed by the demo's identity provider, for subject `subject` */
  mintToken(subject: string, ttlSeconds: number): Promise<string>;
  close(): Promise<void>;
}

export async function startDemoUpstream(port = 0, host = '127.0.0.1', options: { accounts?: number } = {}): Promise<DemoUpstream> {
  ensureAccounts(options.accounts ?? 50);
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'demo-1', alg: 'ES256', use: 'sig' }] };
  const mintToken = (subject: string, ttlSeconds: number): Promise<string> => new SignJWT({ scope: 'accounts:read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'demo-1' })
    .setIssuer(DEMO_ISSUER)
    .setAudience(DEMO_AUDIENCE)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(privateKey);
  const token = await mintToken('demo-user', 3600);
  const server = http.createServer((req, res) => handle(req, res, jwks));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    jwksUri: `http://${host}:${address.port}${JWKS_PATH}`,
    token,
    mintToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const DEMO = { knownPhone: ACCOUNTS[3]!.phone, unknownPhone: '+14155551001', knownAccount: 'acc_1004' } as const;
