/** `apiwarden audit` on the command line: options, exit codes, --db and --config. */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, registerAuditCommand, runAudit } from '../cli/audit-command.ts';
import type { AuditCommandOptions } from '../cli/audit-command.ts';
import { makeTestEvent } from '../store/conformance.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { AuditReport } from './types.ts';
import { FIXTURES, fixture } from './test-helpers.ts';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function run(files: string[], opts: AuditCommandOptions = {}): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAudit(files, { cwd: FIXTURES, ...opts }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The command as `main` wires it: a program with exitOverride, exit code through the wiring. */
async function runCommand(argv: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command().name('apiwarden').exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s.trimEnd()), writeErr: (s) => err.push(s.trimEnd()) });
  registerAuditCommand(program, { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, setExitCode: (c) => { code = c; } });
  try {
    await program.parseAsync(['node', 'apiwarden', ...argv]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-audit-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('exit codes', () => {
  test('1 when a finding is at or above --fail-on (default high), 0 otherwise', async () => {
    assert.equal((await run([fixture('security-3.0.yaml')])).code, EXIT_FINDINGS);
    assert.equal((await run([fixture('lifecycle-3.0.yaml')])).code, EXIT_OK);
    assert.equal((await run([fixture('lifecycle-3.0.yaml')], { failOn: 'low' })).code, EXIT_FINDINGS);
    assert.equal((await run([fixture('lifecycle-3.0.yaml')], { failOn: 'none' })).code, EXIT_OK);
    assert.equal((await run([fixture('security-3.0.yaml')], { failOn: 'critical' })).code, EXIT_FINDINGS);
    assert.equal((await run([fixture('clean-3.1.yaml')], { failOn: 'info' })).code, EXIT_OK);
  });

  test('--fail-on counts findings hidden by --min-severity', async () => {
    const result = await run([fixture('lifecycle-3.0.yaml')], { failOn: 'low', minSeverity: 'critical' });
    assert.equal(result.code, EXIT_FINDINGS);
    assert.match(result.out, /no findings in 1 document; 4 below --min-severity not shown/);
  });

  test('2 on a load error, naming the file; the other documents do not hide it', async () => {
    const missing = await run([fixture('clean-3.1.yaml'), 'nope.yaml']);
    assert.equal(missing.code, EXIT_USAGE);
    assert.match(missing.err, /^apiwarden audit: nope\.yaml: cannot read the file \(ENOENT\)$/);
    assert.equal(missing.out, '');
    const notOpenApi = await run([fixture('not-openapi.yaml')]);
    assert.equal(notOpenApi.code, EXIT_USAGE);
    assert.match(notOpenApi.err, /not-openapi\.yaml: not an OpenAPI or Swagger document/);
  });

  test('2 on usage errors', async () => {
    assert.equal((await run([])).code, EXIT_USAGE);
    assert.equal((await run([fixture('clean-3.1.yaml')], { format: 'xml' })).code, EXIT_USAGE);
    assert.equal((await run([fixture('clean-3.1.yaml')], { failOn: 'severe' })).code, EXIT_USAGE);
    assert.equal((await run([fixture('clean-3.1.yaml')], { minSeverity: 'none' })).code, EXIT_USAGE);
    assert.equal((await run([fixture('clean-3.1.yaml')], { db: 'a.db', config: 'b.yaml' })).code, EXIT_USAGE);
    const noDb = await run([fixture('clean-3.1.yaml')], { db: join(tmpdir(), 'apiwarden-no-such.db') });
    assert.equal(noDb.code, EXIT_USAGE);
    assert.match(noDb.err, /apiwarden-no-such\.db: no such database/);
  });
});

describe('registerAuditCommand', () => {
  test('parses the options; usage errors exit 2', async () => {
    const ok = await runCommand(['audit', '--format', 'json', '--min-severity', 'info', '--fail-on', 'none', fixture('swagger-2.0.yaml')]);
    assert.equal(ok.code, 0);
    const report = JSON.parse(ok.out) as AuditReport;
    assert.equal(report.summary.total, 9);

    const failing = await runCommand(['audit', fixture('swagger-2.0.yaml')]);
    assert.equal(failing.code, 1);
    assert.match(failing.out, /HIGH +transport\.http-server/);

    for (const argv of [['audit', '--format', 'xml', 'a.yaml'], ['audit', '--bogus', 'a.yaml'], ['audit', '--fail-on', 'severe', 'a.yaml'],
      ['audit', '--db', 'a.db', '--config', 'b.yaml', 'a.yaml']]) {
      const result = await runCommand(argv);
      assert.equal(result.code, 2, argv.join(' '));
      assert.match(result.err, /error: /, argv.join(' '));
    }
  });

  test('without wiring: output through the program, a non-zero exit code thrown as a CommanderError', async () => {
    const out: string[] = [];
    const program = new Command().name('apiwarden').exitOverride()
      .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
    registerAuditCommand(program);
    await assert.rejects(program.parseAsync(['node', 'apiwarden', 'audit', fixture('security-3.0.yaml')]), (error: unknown) =>
      error instanceof CommanderError && error.exitCode === 1);
    assert.match(out.join(''), /CRITICAL {2}auth\.missing/);
  });
});

describe('--db and --config', () => {
  test('--db marks findings live and shows the counts', async (t) => {
    const db = join(tempDir(t), 'gateway.db');
    const store = createSqliteStore(db);
    await store.recordEvents([200, 200, 500].map((status) => makeTestEvent({
      upstream: 'accounts', method: 'GET', template: '/v2/health', operationId: 'health', status,
    })));
    await store.close();
    const result = await run([fixture('security-3.0.yaml')], { db });
    assert.match(result.out, /HIGH +auth\.missing +\S*security-3\.0\.yaml:46:5 +\[live: 3 calls, 2 2xx\]/);
    assert.match(result.out, /\(2 live\)/); // auth.missing and the grouped responses.no-429
    const json = JSON.parse((await run([fixture('security-3.0.yaml')], { db, format: 'json' })).out) as AuditReport;
    assert.deepEqual(json.findings.find((f) => f.operation === 'GET /v2/health')?.live?.calls, 3);
  });

  test('--config: the policy\'s documents, store and sunsets', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'gateway.db');
    const store = createSqliteStore(db);
    await store.recordEvents([makeTestEvent({ upstream: 'catalogue', method: 'GET', template: '/v1/items', operationId: 'listItemsV1', status: 200 })]);
    await store.close();
    const policy = join(dir, 'apiwarden.yaml');
    writeFileSync(policy, [
      'listeners:',
      '  - port: 8080',
      'upstreams:',
      '  - name: catalogue',
      '    url: http://127.0.0.1:9000',
      `    openapi: ${fixture('lifecycle-3.0.yaml')}`,
      'store:',
      `  sqlite: ${db}`,
      '',
    ].join('\n'));
    const withoutSunset = JSON.parse((await run([], { config: policy, format: 'json' })).out) as AuditReport;
    assert.deepEqual(withoutSunset.documents.map((d) => d.file), [fixture('lifecycle-3.0.yaml')]);
    const noSunset = withoutSunset.findings.find((f) => f.id === 'lifecycle.no-sunset');
    assert.deepEqual([noSunset?.operation, noSunset?.live?.calls], ['GET /v1/items', 1]);

    writeFileSync(policy, `${[
      'listeners:',
      '  - port: 8080',
      'upstreams:',
      '  - name: catalogue',
      '    url: http://127.0.0.1:9000',
      `    openapi: ${fixture('lifecycle-3.0.yaml')}`,
      '    sunsets:',
      '      - operation: listItemsV1',
      '        sunset: 2027-01-01',
      'store:',
      '  sqlite: ":memory:"',
    ].join('\n')}\n`);
    const withSunset = await run([], { config: policy, format: 'json' });
    assert.match(withSunset.err, /keeps its store in memory/);
    assert.equal((JSON.parse(withSunset.out) as AuditReport).findings.some((f) => f.id === 'lifecycle.no-sunset'), false);

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'listeners: nope\n');
    const refused = await run([], { config: broken });
    assert.equal(refused.code, EXIT_USAGE);
    assert.match(refused.err, /broken\.yaml/);
  });
});
