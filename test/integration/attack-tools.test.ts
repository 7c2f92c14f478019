/**
 * Real attack tools against the gateway on loopback: ffuf scanning for
 * files and admin pages, ffuf walking phone numbers through the public
 * lookup, and hydra stuffing credentials into the login. Each attack must be
 * seen by behaviour detection (the built-in rule decides a ban on the tool's
 * address, 127.0.0.1), alerted to a real webhook receiver, and enforced at
 * the gateway (the tool's later requests are answered 429 BANNED).
 *
 * Every attack gets its own upstream, gateway and receiver: the tools cannot
 * choose their source address, so a ban left by one attack would otherwise
 * hide the next. The tools are Debian packages (apt-get install ffuf hydra);
 * a test whose tool is missing is skipped, saying so.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { startDemoUpstream, type DemoUpstream } from '../../src/demo/upstream.ts';
import type { Decision } from '../../src/detect/types.ts';
import { requestFrom } from './helpers/client.ts';
import { phoneLookupPolicy, startTestGateway, type TestGateway, eventually } from './helpers/gateway.ts';

/** The tools cannot bind another source address: every attack comes from here. */
const TOOL_IP = '127.0.0.1';
const SECRET = 'attack-tools-webhook-secret';
/** No tool may run longer than this, whatever happens. */
const TOOL_TIMEOUT_MS = 20_000;

/** What the webhook receiver got: the raw body and its parsed alert. */
interface Delivery {
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  alert: { rule: string; status: string; labels: Record<string, string>; evidence: { topIdentities: { kind: string; value: string }[] } } | null;
}

interface Stack {
  upstream: DemoUpstream;
  gw: TestGateway;
  deliveries: Delivery[];
  dir: string;
}

/** The demo upstream, a gateway enforcing with detection every 100 ms, and a webhook receiver for its alerts. */
async function startStack(t: TestContext): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-attack-'));
  const deliveries: Delivery[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let alert: Delivery['alert'] = null;
      try {
        alert = (JSON.parse(body) as { alert?: Delivery['alert'] }).alert ?? null;
      } catch {
        // kept raw: the assertion says what arrived
      }
      deliveries.push({ body, alert, signature: req.headers['x-apiwarden-signature'] as string | undefined, timestamp: req.headers['x-apiwarden-timestamp'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  // closed when the test ends, the gateway first (t.after runs hooks in the order they were added)
  const closers: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const close of closers.reverse()) await close();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => {
    receiver.close(() => resolve());
    receiver.closeAllConnections();
  }));
  const upstream = await startDemoUpstream();
  closers.push(() => upstream.close());
  const gw = await startTestGateway(`${phoneLookupPolicy(upstream.url)}detection: { evaluateEvery: 100ms }
alerts:
  groupWait: 0s
  sinks:
    - { type: webhook, url: 'http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook', secret: { value: ${SECRET} } }
`);
  closers.push(() => gw.close());
  return { upstream, gw, deliveries, dir };
}

/** The tool's path on PATH, or null. */
function findTool(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

interface ToolRun {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  ms: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a tool to its end, killed after `timeoutMs` (and when the test ends,
 * whatever happened). It runs in its own process group, so that what it
 * forks (hydra's tasks) is killed with it and cannot hold its output open.
 * Its output is kept, to be printed only on failure.
 */
function runTool(t: TestContext, file: string, args: string[], options: { cwd: string; timeoutMs?: number }): Promise<ToolRun> {
  const started = performance.now();
  const command = [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
  const child = spawn(file, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // once the group is killed after the tool's exit its id is not used again: it may be reused
  let isGone = false;
  const killGroup = () => {
    if (isGone || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  t.after(killGroup);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout = (stdout + s).slice(-200_000)));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-200_000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs ?? TOOL_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      killGroup();
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // whatever it forked and left behind goes with it
      killGroup();
      isGone = true;
      const done = () => resolve({ command, code, signal, timedOut, ms: Math.round(performance.now() - started), stdout, stderr });
      // the rest of its output, unless something still holds the pipes
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        done();
      }, 1000);
      child.once('close', () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}

/** Run the assertions; when one fails, print what the tool said first. */
async function explained(t: TestContext, run: ToolRun, fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (error) {
    console.error(`--- ${t.name}: ${run.command}\n--- exit ${run.code ?? run.signal}${run.timedOut ? ' (killed: timed out)' : ''} after ${run.ms} ms\n--- stdout:\n${run.stdout.slice(-8000)}\n--- stderr:\n${run.stderr.slice(-8000)}`);
    throw error;
  }
}

/** What the gateway did with the tool's requests (those whose path matches): answered before the ban, and refused by it. */
interface Tally {
  total: number;
  /** requests that arrived before the decision was made */
  beforeDecision: number;
  /** requests answered before the first one refused as banned */
  beforeBan: number;
  banned: number;
  statuses: Record<number, number>;
  decisions: Record<string, number>;
}

function tally(gw: TestGateway, path: (p: string) => boolean, decidedAt: number): Tally {
  const events = gw.events.filter((e) => e.clientIp === TOOL_IP && path(e.rawPath));
  const firstBan = events.findIndex((e) => e.decision === 'banned');
  const statuses: Record<number, number> = {};
  const decisions: Record<string, number> = {};
  for (const e of events) {
    statuses[e.status] = (statuses[e.status] ?? 0) + 1;
    decisions[e.decision] = (decisions[e.decision] ?? 0) + 1;
  }
  return {
    total: events.length,
    beforeDecision: events.filter((e) => e.time <= decidedAt).length,
    beforeBan: firstBan === -1 ? events.length : firstBan,
    banned: decisions.banned ?? 0,
    statuses,
    decisions,
  };
}

/** ffuf's own record (-of json): how often it was answered each status. */
function ffufStatuses(file: string): { results: number; statuses: Record<number, number> } {
  const results = (JSON.parse(readFileSync(file, 'utf8')) as { results: { status: number }[] }).results;
  const statuses: Record<number, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return { results: results.length, statuses };
}

const decided = (gw: TestGateway) => JSON.stringify(gw.runtime.detection?.decisions.map((d) => `${d.rule} ${d.action} ${d.banKey ?? d.identity.value}`));

/** The detection decision of `rule` on the tool's address. */
function decisionOf(gw: TestGateway, rule: string): Decision | undefined {
  return gw.runtime.detection?.decisions.find((d) => d.rule === rule && d.banKey === `ip:${TOOL_IP}`);
}

/** The alert of `rule` naming the tool's address, once it has reached the receiver. */
async function alertOf(stack: Stack, rule: string): Promise<NonNullable<Delivery['alert']>> {
  const delivery = await eventually(() => stack.deliveries.find((d) => d.alert?.rule === rule && d.alert.labels.identity === TOOL_IP), 5000)
    .catch(() => assert.fail(`no ${rule} alert on ${TOOL_IP} reached the webhook; it got: ${stack.deliveries.map((d) => d.alert?.rule ?? d.body.slice(0, 200)).join(', ') || 'nothing'}`));
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${delivery.timestamp}.${delivery.body}`).digest('hex')}`;
  assert.equal(delivery.signature, expected, 'the alert is signed with the shared secret');
  assert.ok(!delivery.body.includes(SECRET), 'the secret itself is never sent');
  return delivery.alert!;
}

/** The paths a web scanner asks for first: secrets, VCS metadata, admin consoles, backups, CMS logins. */
function scannerWordlist(): string[] {
  const base = [
    '.env', '.env.local', '.env.production', '.env.backup', '.git/config', '.git/HEAD', '.git/index', '.gitignore', '.svn/entries', '.hg/hgrc',
    '.DS_Store', '.htaccess', '.htpasswd', '.aws/credentials', '.ssh/id_rsa', '.npmrc', '.dockerenv', '.well-known/security.txt',
    'wp-login.php', 'wp-admin', 'wp-admin/install.php', 'wp-config.php', 'wp-config.php.bak', 'wp-content/debug.log', 'wp-json/wp/v2/users', 'xmlrpc.php',
    'admin', 'admin.php', 'admin/login', 'administrator', 'adminer.php', 'phpmyadmin', 'phpMyAdmin', 'pma', 'myadmin', 'dbadmin', 'cpanel', 'webadmin',
    'manager/html', 'console', 'jmx-console', 'web-console', 'actuator', 'actuator/env', 'actuator/health', 'actuator/heapdump', 'jolokia',
    'server-status', 'server-info', 'nginx_status', 'status', 'metrics', 'debug', 'debug/pprof', 'trace.axd', 'elmah.axd', 'phpinfo.php', 'info.php', 'test.php',
    'backup', 'backup.zip', 'backup.tar.gz', 'backup.sql', 'db.sql', 'dump.sql', 'database.sql', 'site.zip', 'www.zip', 'old', 'bak', 'temp', 'tmp',
    'config.json', 'config.yml', 'config.php', 'configuration.php', 'settings.py', 'web.config', 'appsettings.json', 'credentials.json', 'secrets.json',
    'api', 'api/v1', 'api/swagger.json', 'swagger.json', 'swagger-ui.html', 'openapi.json', 'v3/api-docs', 'graphql', 'graphiql',
    'login', 'logout', 'register', 'signup', 'user', 'users', 'uploads', 'upload.php', 'files', 'private', 'internal', 'shell.php', 'cmd.php', 'cgi-bin/test.cgi',
    'robots.txt', 'sitemap.xml', 'crossdomain.xml', 'id_rsa', 'composer.json', 'package.json', 'Dockerfile', 'docker-compose.yml', '.travis.yml',
  ];
  const words = new Set(base);
  for (const prefix of ['old/', 'dev/', 'staging/']) for (const w of base.slice(0, 60)) words.add(prefix + w);
  for (const ext of ['.bak', '.old', '~']) for (const w of ['index.php', 'config.php', 'settings.php', 'login.php', 'database.yml', 'web.config']) words.add(w + ext);
  return [...words];
}

describe('real attack tools against the gateway', () => {
  it('ffuf scanning for files and admin pages is banned as scanning, alerted, and refused 429 thereafter', async (t) => {
    const ffuf = findTool('ffuf');
    if (ffuf === null) return t.skip('ffuf is not installed (apt-get install ffuf)');
    const stack = await startStack(t);
    const words = scannerWordlist();
    assert.ok(words.length >= 250, `a wordlist of a few hundred paths (${words.length})`);
    writeFileSync(join(stack.dir, 'paths.txt'), `${words.join('\n')}\n`);
    const out = join(stack.dir, 'ffuf-paths.json');

    // ffuf 1.1.0 has no -rate: 5 threads, 20 ms between each thread's requests (~250 requests a second)
    const run = await runTool(t, ffuf, ['-u', `${stack.gw.url}/FUZZ`, '-w', join(stack.dir, 'paths.txt'), '-t', '5', '-p', '0.02', '-mc', 'all', '-timeout', '5', '-maxtime', '15', '-s', '-o', out, '-of', 'json'], { cwd: stack.dir });

    let afterBan = { status: 0, body: '' };
    await explained(t, run, async () => {
      assert.equal(run.code, 0, 'ffuf ran to its end');
      const decision = decisionOf(stack.gw, 'scanning');
      assert.ok(decision, `a scanning decision on ${TOOL_IP}; decided: ${decided(stack.gw)}`);
      assert.equal(decision.action, 'ban');
      assert.equal(decision.identity.kind, 'ip');
      assert.ok((decision.evidence.features.unknownPaths ?? 0) >= 30, `counted as unknown paths: ${JSON.stringify(decision.evidence.features)}`);

      const seen = tally(stack.gw, (p) => !p.startsWith('/v2/'), decision.time);
      assert.equal(seen.total, words.length, 'the gateway saw every path ffuf asked for');
      // no document declares these paths: the gateway answers 404 itself (class shadow, blocked), nothing reaches the upstream
      assert.equal(seen.decisions.forwarded, undefined, `no scanner request was forwarded (${JSON.stringify(seen.decisions)})`);
      assert.equal(stack.gw.events.find((e) => e.clientIp === TOOL_IP)?.class, 'shadow');
      assert.ok(seen.beforeDecision >= 30 && seen.beforeDecision < words.length / 2, `banned after the rule's 30 unknown paths, within the first half of the list (after ${seen.beforeDecision})`);
      const ffufSaw = ffufStatuses(out);
      assert.ok(ffufSaw.results > words.length * 0.95 && Object.keys(ffufSaw.statuses).every((s) => s === '404' || s === '429'), `ffuf was answered 404 (or 429): ${JSON.stringify(ffufSaw)}`);

      const alert = await alertOf(stack, 'scanning');
      assert.equal(alert.labels.kind, 'ip');
      assert.equal(alert.status, 'firing');

      // the scanner's next request to the API is refused: the ban holds at the gateway
      const again = await requestFrom(TOOL_IP, `${stack.gw.url}/v2/phones/%2B14155551012/status`);
      assert.equal(again.status, 429, `a banned scanner is refused the API (${again.status} ${again.body})`);
      assert.match(again.body, /BANNED/);
      afterBan = await requestFrom(TOOL_IP, `${stack.gw.url}/.git/config`);
      t.diagnostic(`scanning: ban ip:${TOOL_IP} decided after ${seen.beforeDecision} of ${seen.total} requests; gateway answers ${JSON.stringify(seen.statuses)}; ffuf saw ${JSON.stringify(ffufSaw.statuses)}; ffuf ${run.ms} ms`);
    });

    await t.test('a banned scanner\'s later undocumented paths are refused 429 too', () => {
      assert.equal(afterBan.status, 429, `answered ${afterBan.status} ${afterBan.body}`);
    });
  });

  it('ffuf walking phone numbers through the public lookup is banned as enumeration, alerted, and refused 429 thereafter', async (t) => {
    const ffuf = findTool('ffuf');
    if (ffuf === null) return t.skip('ffuf is not installed (apt-get install ffuf)');
    const stack = await startStack(t);
    const numbers = Array.from({ length: 1000 }, (_, i) => String(i).padStart(4, '0'));
    writeFileSync(join(stack.dir, 'numbers.txt'), `${numbers.join('\n')}\n`);
    const out = join(stack.dir, 'ffuf-numbers.json');

    // +1415556xxxx: no demo account has one of these numbers, so every lookup is a miss
    const run = await runTool(t, ffuf, ['-u', `${stack.gw.url}/v2/phones/%2B1415556FUZZ/status`, '-w', join(stack.dir, 'numbers.txt'), '-t', '5', '-p', '0.02', '-mc', 'all', '-timeout', '5', '-maxtime', '15', '-s', '-o', out, '-of', 'json'], { cwd: stack.dir });

    await explained(t, run, async () => {
      assert.equal(run.code, 0, 'ffuf ran to its end');
      const decision = decisionOf(stack.gw, 'enumeration');
      assert.ok(decision, `an enumeration decision on ${TOOL_IP}; decided: ${decided(stack.gw)}`);
      assert.equal(decision.action, 'ban');
      assert.equal(decision.evidence.operation, 'getPhoneStatus');
      assert.ok((decision.evidence.features.distinctIdentifiers ?? 0) >= 30, JSON.stringify(decision.evidence.features));

      const seen = tally(stack.gw, (p) => p.startsWith('/v2/phones/'), decision.time);
      assert.equal(seen.total, numbers.length, 'the gateway saw every lookup ffuf made');
      assert.equal(stack.gw.events.find((e) => e.clientIp === TOOL_IP)?.operationId, 'getPhoneStatus', 'the lookups match the documented operation');
      assert.ok(seen.beforeBan >= 30 && seen.beforeBan < 300, `banned after the rule's 30 numbers, well before the walk's end (at ${seen.beforeBan})`);
      // ffuf's five threads may have a few lookups in flight when the ban is decided: those are answered too
      const misses = seen.statuses[404] ?? 0;
      assert.ok(misses >= seen.beforeBan && misses <= seen.beforeBan + 10, `the lookups before the ban were misses (${JSON.stringify(seen.statuses)}, ${seen.beforeBan} before the decision)`);
      assert.equal(seen.statuses[429], seen.banned);
      assert.equal(seen.banned, numbers.length - misses, 'every lookup but those answered before the ban was refused');
      const ffufSaw = ffufStatuses(out);
      assert.ok((ffufSaw.statuses[429] ?? 0) >= seen.banned * 0.95, `ffuf was answered 429 (${JSON.stringify(ffufSaw)})`);

      const alert = await alertOf(stack, 'enumeration');
      assert.equal(alert.labels.kind, 'ip');
      assert.equal(alert.labels.operation, 'getPhoneStatus');

      const again = await requestFrom(TOOL_IP, `${stack.gw.url}/v2/phones/%2B14155551012/status`);
      assert.equal(again.status, 429, 'even a number that exists is refused to the banned enumerator');
      assert.match(again.body, /BANNED/);
      t.diagnostic(`enumeration: ban ip:${TOOL_IP} after ${seen.beforeBan} of ${seen.total} lookups (decided after ${seen.beforeDecision}); refused ${seen.banned}; ffuf saw ${JSON.stringify(ffufSaw.statuses)}; ffuf ${run.ms} ms`);
    });
  });

  it('hydra stuffing credentials into the login is banned as credential stuffing, alerted, and refused 429 thereafter', async (t) => {
    const hydra = findTool('hydra');
    if (hydra === null) return t.skip('hydra is not installed (apt-get install hydra)');
    const stack = await startStack(t);
    const users = Array.from({ length: 40 }, (_, i) => `user${i + 1}@example.net`);
    const passwords = ['Winter2024!', 'password', '123456', 'qwerty', 'letmein'];
    writeFileSync(join(stack.dir, 'users.txt'), `${users.join('\n')}\n`);
    writeFileSync(join(stack.dir, 'passwords.txt'), `${passwords.join('\n')}\n`);

    // hydra 9.4's form spec is page:body[:optional…]:condition, the condition last (F=/S= placed
    // before an optional is refused). `\:` escapes the colons of the JSON body and of the header;
    // g= skips the GET for cookies it would make first. S=: only an answer with a token is a
    // success, so that the 429s after the ban are failures (with F=invalid hydra takes them for
    // found passwords and its task bookkeeping goes astray). Hydra reports each 401 as "the target
    // is using HTTP auth" and restarts the task; the attempt is still made. -u: each password across
    // all the users in turn (stuffing, not one account at a time); -I: ignore a restore file; it
    // runs in the temp dir, where it writes hydra.restore.
    const form = String.raw`/v2/sessions:{"email"\:"^USER^","password"\:"^PASS^"}:H=Content-Type\: application/json:g=:S=token`;
    const run = await runTool(t, hydra, ['-I', '-u', '-L', join(stack.dir, 'users.txt'), '-P', join(stack.dir, 'passwords.txt'), '-s', String(stack.gw.port), '-t', '4', TOOL_IP, 'http-post-form', form], { cwd: stack.dir });

    await explained(t, run, async () => {
      assert.ok(!run.timedOut, 'hydra ended by itself');
      assert.equal(run.code, 0);
      assert.match(run.stdout, /0 valid password/, 'hydra found nothing');
      const decision = decisionOf(stack.gw, 'credential-stuffing');
      assert.ok(decision, `a credential-stuffing decision on ${TOOL_IP}; decided: ${decided(stack.gw)}`);
      assert.equal(decision.action, 'ban');
      assert.ok((decision.evidence.features.distinctAccounts ?? 0) >= 10, `the accounts were read from hydra's JSON body: ${JSON.stringify(decision.evidence.features)}`);

      const seen = tally(stack.gw, (p) => p === '/v2/sessions', decision.time);
      assert.equal(seen.total, users.length * passwords.length, 'hydra tried every pair through the gateway, once');
      const first = stack.gw.events.find((e) => e.clientIp === TOOL_IP);
      assert.equal(first?.operationId, 'createSession');
      assert.ok(seen.beforeBan >= 20 && seen.beforeBan < users.length, `banned after the rule's 20 failures, within the first password's round (at ${seen.beforeBan})`);
      // hydra's four tasks may have a few attempts in flight when the ban is decided: those are answered too
      const failures = seen.statuses[401] ?? 0;
      assert.ok(failures >= seen.beforeBan && failures <= seen.beforeBan + 8, `the attempts before the ban failed, 401 from the upstream (${JSON.stringify(seen.statuses)}, ${seen.beforeBan} before the decision)`);
      assert.equal(seen.statuses[429], seen.banned);
      assert.equal(seen.banned, seen.total - failures, 'every attempt but those answered before the ban was refused');

      const alert = await alertOf(stack, 'credential-stuffing');
      assert.equal(alert.labels.kind, 'ip');

      const again = await requestFrom(TOOL_IP, `${stack.gw.url}/v2/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'user1@example.net', password: 'Spring2025!' }) });
      assert.equal(again.status, 429);
      assert.match(again.body, /BANNED/);
      t.diagnostic(`credential-stuffing: ban ip:${TOOL_IP} after ${seen.beforeBan} of ${seen.total} attempts (decided after ${seen.beforeDecision}); refused ${seen.banned}; hydra ${run.ms} ms`);
    });
  });
});
