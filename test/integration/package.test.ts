import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Node never strips types inside node_modules, so the installed package must
 * run compiled JavaScript. Pack the project, install the tarball elsewhere,
 * and run the installed binary.
 */
test('an npm pack tarball installed elsewhere runs apiwarden --help and the demo', { timeout: 300_000 }, () => {
  const packDir = mkdtempSync(join(tmpdir(), 'apiwarden-pack-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');

  const appDir = mkdtempSync(join(tmpdir(), 'apiwarden-install-'));
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(packDir, tarball)], { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] });

  const bin = join(appDir, 'node_modules', '.bin', 'apiwarden');
  const help = execFileSync(bin, ['--help'], { encoding: 'utf8' });
  assert.match(help, /Usage: apiwarden/);
  for (const command of ['gateway', 'check', 'inventory', 'demo']) assert.match(help, new RegExp(`\\b${command}\\b`));

  // the demo's policy and documents ship in the package and are found from dist/
  const demo = execFileSync(bin, ['demo', '--port', '0', '--exit'], { encoding: 'utf8', timeout: 60_000 });
  assert.match(demo, /→ 404\s+class=shadow\s+decision=blocked/);
});
