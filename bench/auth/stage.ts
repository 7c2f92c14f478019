/**
 * The access-control stage alone, in process: `decideAccess` with the
 * verifiers the gateway builds, for one request shape, called in a loop.
 * What run.ts cannot resolve on a noisy 2-core machine (a few µs out of
 * ~90 per proxied request), this measures to a few percent: the CPU the
 * stage itself costs per request, without the bytes the credential adds to
 * parsing and forwarding.
 *
 *   node bench/auth/stage.ts                                  # src/ of this checkout
 *   node bench/auth/stage.ts --src-b /tmp/other-checkout/src  # before/after
 *
 * Each (source tree, variant) is measured in a child process of its own,
 * pinned to CPU 1 when there are 2 cores, `--repeat` times, interleaved;
 * each child warms up, then times `--iterations` calls and prints ns per
 * call. The loop awaits a decision only when it is a promise, as the
 * gateway would (a tree whose decideAccess is async always returns one).
 * Results: bench/auth/results/<time>-stage.{json,md}.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT, pinned, runTool } from '../proxy/lib.ts';
import { AUDIENCE, ISSUER, SCOPE, startIssuer } from './setup.ts';

const { values } = parseArgs({
  options: {
    src: { type: 'string', default: 'src' },
    'src-b': { type: 'string' },
    variants: { type: 'string', default: 'anonymous,apikey,jwt,jwt-many' },
    iterations: { type: 'string', default: '200000' },
    repeat: { type: 'string', default: '5' },
    // internal: one measurement
    child: { type: 'boolean', default: false },
    variant: { type: 'string' },
  },
});

type StageVariant = 'anonymous' | 'apikey' | 'jwt' | 'jwt-many';
const STAGE_VARIANTS: readonly StageVariant[] = ['anonymous', 'apikey', 'jwt', 'jwt-many'];

/** One child: build the stage from `src`, time it, print STAGE_RESULT {...}. */
async function child(src: string, variant: StageVariant, iterations: number): Promise<void> {
  const load = (file: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(src, file)).href) as Promise<Record<string, unknown>>;
  const access = await load('auth/access.ts');
  const jwtModule = await load('auth/jwt-verifier.ts');
  const keyVerifierModule = await load('auth/api-key-verifier.ts');
  const keyStoreModule = await load('auth/api-key-store.ts');
  type Fn = (...args: unknown[]) => unknown;
  const compileAccessPolicy = access.compileAccessPolicy as Fn;
  const decideAccess = access.decideAccess as Fn;

  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-stage-'));
  // any free port: a run.ts may hold 18092
  const issuer = await startIssuer(dir, 1000, 3600, 0);
  try {
    const store = (keyStoreModule.createSqliteApiKeyStore as Fn)(join(dir, 'keys.db')) as { create(x: unknown): Promise<{ key: string }>; close(): Promise<void> };
    const { key } = await store.create({ owner: 'bench', scopes: [SCOPE] });
    const verifiers = new Map<string, unknown>([
      ['apiKeyAuth', (keyVerifierModule.createApiKeyVerifier as Fn)({ scheme: 'apiKeyAuth', in: 'header', name: 'X-Api-Key', store })],
      ['bearerAuth', (jwtModule.createJwtVerifier as Fn)({ scheme: 'bearerAuth', issuer: ISSUER, audiences: [AUDIENCE], jwksUri: issuer.jwksUri, algorithms: ['ES256'] })],
    ]);
    const security = variant === 'anonymous' ? [] : variant === 'apikey' ? [{ apiKeyAuth: [SCOPE] }] : [{ bearerAuth: [SCOPE] }];
    const operation = {
      method: 'GET', template: '/v1/customers/{customerId}', documentPath: '/v1/customers/{customerId}', operationId: 'getCustomer',
      deprecated: false, parameters: [], security, tags: [], extensions: {}, source: 'stage.yaml',
    };
    const policy = compileAccessPolicy(operation, { schemes: {}, public: [], rules: [], principalHeaders: true });
    const tokens = (await import('node:fs')).readFileSync(issuer.tokensFile, 'utf8').trim().split('\n');
    const credentials: Array<[string, string] | null> =
      variant === 'anonymous' ? [null]
        : variant === 'apikey' ? [['X-Api-Key', key]]
          : variant === 'jwt' ? [['Authorization', `Bearer ${issuer.token}`]]
            : tokens.map((t): [string, string] => ['Authorization', `Bearer ${t}`]);
    // requests as node:http hands them over: parsed headers and the raw list
    const requests = credentials.map((credential) => {
      const raw = ['Host', '127.0.0.1:18091', 'Accept', 'application/json', 'User-Agent', 'apiwarden-bench-auth', ...(credential ?? [])];
      const headers: Record<string, string> = {};
      for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
      return { method: 'GET', path: '/v1/customers/cus_1042', query: '', headers, rawHeaders: raw, peerCertificate: null, peerCertificateAuthorized: false, body: null, now: 0 };
    });
    const readValue = (): null => null;

    let allowed = 0;
    const run = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const request = requests[i % requests.length]!;
        request.now = Date.now();
        const d = decideAccess(policy, verifiers, request, readValue) as { allowed: boolean } | Promise<{ allowed: boolean }>;
        const decision = d instanceof Promise ? await d : d;
        if (decision.allowed) allowed++;
      }
    };
    // warm-up: JIT, and every token verified once (then cached)
    await run(Math.max(20_000, requests.length * 3));
    if (allowed === 0) throw new Error(`stage ${variant}: nothing allowed; the stage is misconfigured`);
    allowed = 0;
    const t0 = process.hrtime.bigint();
    await run(iterations);
    const ns = Number(process.hrtime.bigint() - t0) / iterations;
    if (allowed !== iterations) throw new Error(`stage ${variant}: ${iterations - allowed} of ${iterations} refused`);
    process.stdout.write(`STAGE_RESULT ${JSON.stringify({ variant, nsPerCall: ns })}\n`);
    await store.close();
  } finally {
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function parent(): Promise<void> {
  const trees: Array<{ name: string; src: string }> = [{ name: 'A', src: resolve(ROOT, values.src) }];
  if (values['src-b']) trees.push({ name: 'B', src: resolve(ROOT, values['src-b']) });
  const variants = values.variants.split(',') as StageVariant[];
  for (const v of variants) if (!STAGE_VARIANTS.includes(v)) throw new Error(`--variants: unknown ${v}; one of ${STAGE_VARIANTS.join(', ')}`);
  const iterations = Number(values.iterations);
  const repeat = Number(values.repeat);
  const cpus = availableParallelism() >= 2 ? '1' : '';
  const results: Record<string, Record<string, number[]>> = {};
  for (let r = 0; r < repeat; r++) {
    for (const v of variants) {
      for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
        const [cmd, args] = pinned(cpus, process.execPath, [join(import.meta.dirname, 'stage.ts'), '--child', '--src', t.src, '--variant', v, '--iterations', String(iterations)]);
        const out = await runTool(cmd, args, 120_000);
        const line = out.split('\n').find((l) => l.startsWith('STAGE_RESULT '));
        if (!line) throw new Error(`stage: no result from ${t.name} ${v}:\n${out}`);
        const { nsPerCall } = JSON.parse(line.slice('STAGE_RESULT '.length)) as { nsPerCall: number };
        ((results[t.name] ??= {})[v] ??= []).push(nsPerCall);
        process.stderr.write(`stage: ${t.name} ${v}: ${(nsPerCall / 1000).toFixed(2)} µs per call\n`);
      }
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const us = (ns: number): string => (ns / 1000).toFixed(2);
  const lines = [
    `## Access-control stage alone (bench/auth/stage.ts), ${new Date().toISOString()}`,
    '',
    `\`decideAccess\` with the gateway's verifiers, ${iterations.toLocaleString('en-US')} calls per child process after a warm-up, ${repeat} children per cell${cpus ? ', pinned to CPU 1' : ''}; median µs per call, min-max in brackets. ${trees.map((t) => `**${t.name}** = \`${t.src.startsWith(`${ROOT}/`) ? t.src.slice(ROOT.length + 1) : t.src}\``).join(', ')}.`,
    '',
    `| variant | ${trees.map((t) => `${t.name} µs/call`).join(' | ')}${trees.length > 1 ? ' | B − A |' : ''}`,
    `| --- | ${trees.map(() => '---:').join(' | ')}${trees.length > 1 ? ' | ---: |' : ''}`,
  ];
  for (const v of variants) {
    const cells = trees.map((t) => {
      const xs = results[t.name]![v]!;
      return `${us(median(xs))} (${us(Math.min(...xs))}-${us(Math.max(...xs))})`;
    });
    const diff = trees.length > 1 ? ` | ${(median(results.B![v]!) - median(results.A![v]!)) / 1000 >= 0 ? '+' : ''}${us(median(results.B![v]!) - median(results.A![v]!))} |` : '';
    lines.push(`| ${v} | ${cells.join(' | ')}${diff}`);
  }
  lines.push('');
  const md = lines.join('\n');
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}-stage.json`), JSON.stringify({ trees, iterations, repeat, results }, null, 2) + '\n');
  writeFileSync(join(dir, `${stamp}-stage.md`), md);
  process.stdout.write(md);
}

if (values.child) await child(resolve(values.src), values.variant as StageVariant, Number(values.iterations));
else await parent();
