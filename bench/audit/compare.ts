/**
 * apiwarden audit against Spectral with the OWASP API Security ruleset, on
 * every OpenAPI / Swagger document under ../shared/data/specs.
 *
 * Both tools run as their users run them (`apiwarden audit --format json`,
 * `spectral lint -r <ruleset> -f json`); their findings are mapped to shared
 * categories (unauthenticated operation, API key in URL, plain http server,
 * missing 401, missing 429, sensitive data...) and, within a category, to a
 * subject: an operation ("op GET /v1/x", with the path as written in the
 * document), a security scheme, a server, or a place in a file. Per document
 * and in total, it prints what each tool finds that the other does not.
 *
 *   node bench/audit/compare.ts [--only <text>] [--examples N]
 *
 * Environment:
 *   SPECTRAL_HOME  a folder where Spectral and the ruleset are installed
 *                  (default /tmp/spectral):
 *                    mkdir -p /tmp/spectral && cd /tmp/spectral && npm init -y \
 *                      && npm install @stoplight/spectral-cli @stoplight/spectral-owasp-ruleset
 *   SPECS_DIR      the documents (default ../shared/data/specs)
 *
 * Writes the full comparison to bench/audit/results/compare-<time>.json
 * (gitignored).
 */

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadAuditDocument } from '../../src/audit/load.ts';
import { pointerSegments } from '../../src/audit/locate.ts';
import type { AuditReport, FindingId } from '../../src/audit/types.ts';
import { isRecord } from '../../src/openapi/util.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPECS = resolve(process.env.SPECS_DIR ?? join(ROOT, '../shared/data/specs'));
const SPECTRAL_HOME = resolve(process.env.SPECTRAL_HOME ?? '/tmp/spectral');
const SPECTRAL_BIN = join(SPECTRAL_HOME, 'node_modules/.bin/spectral');
const RULESET = fileURLToPath(new URL('spectral-owasp.yaml', import.meta.url));
const RESULTS = fileURLToPath(new URL('results/', import.meta.url));
/** A bound on one tool run on one document (Spectral takes about a minute on Stripe's). */
const RUN_TIMEOUT_MS = 15 * 60_000;

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, examples: { type: 'string', default: '4' } },
});
const EXAMPLES = Number(args.examples);

// ---------------------------------------------------------------------------
// categories

const APIWARDEN_CATEGORY: Record<FindingId, string> = {
  'auth.missing': 'unauthenticated operation',
  'auth.anonymous': 'unauthenticated operation',
  'auth.api-key-in-query': 'API key in URL',
  'auth.api-key-in-cookie': 'API key in cookie',
  'auth.credential-in-url': 'credential in URL parameter',
  'auth.undefined-scheme': 'undefined scheme or scope',
  'auth.undefined-scope': 'undefined scheme or scope',
  'auth.basic-over-http': 'HTTP Basic',
  'auth.oauth2-implicit': 'OAuth 2 implicit flow',
  'transport.http-server': 'plain http server',
  'lifecycle.no-sunset': 'deprecated without sunset',
  'responses.no-401-403': 'missing 401',
  'responses.no-429': 'missing 429',
  'data.sensitive-response': 'sensitive data in responses',
};

const SPECTRAL_CATEGORY: Record<string, string> = {
  'owasp:api2:2023-read-restricted': 'unauthenticated operation',
  'owasp:api2:2023-write-restricted': 'unauthenticated operation',
  'owasp:api2:2023-no-api-keys-in-url': 'API key in URL',
  'owasp:api2:2023-no-credentials-in-url': 'credential in URL parameter',
  'owasp:api2:2023-no-http-basic': 'HTTP Basic',
  'owasp:api8:2023-no-server-http': 'plain http server',
  'owasp:api8:2023-no-scheme-http': 'plain http server',
  'owasp:api8:2023-define-error-responses-401': 'missing 401',
  'owasp:api4:2023-rate-limit-responses-429': 'missing 429',
  'owasp:api4:2023-rate-limit': 'rate-limit headers',
  'owasp:api4:2023-rate-limit-retry-after': 'rate-limit headers',
  'owasp:api2:2023-auth-insecure-schemes': 'insecure auth scheme',
  'owasp:api2:2023-jwt-best-practices': 'token hygiene (RFC 8725, refresh)',
  'owasp:api2:2023-short-lived-access-tokens': 'token hygiene (RFC 8725, refresh)',
  'owasp:api3:2023-no-additionalProperties': 'additionalProperties (mass assignment)',
  'owasp:api3:2023-constrained-additionalProperties': 'additionalProperties (mass assignment)',
  'owasp:api3:2023-no-unevaluatedProperties': 'additionalProperties (mass assignment)',
  'owasp:api3:2023-constrained-unevaluatedProperties': 'additionalProperties (mass assignment)',
  'owasp:api4:2023-array-limit': 'unbounded schema values',
  'owasp:api4:2023-string-limit': 'unbounded schema values',
  'owasp:api4:2023-string-restricted': 'unbounded schema values',
  'owasp:api4:2023-integer-limit': 'unbounded schema values',
  'owasp:api4:2023-integer-limit-legacy': 'unbounded schema values',
  'owasp:api4:2023-integer-format': 'unbounded schema values',
  'owasp:api1:2023-no-numeric-ids': 'numeric ids',
  'owasp:api5:2023-admin-security-unique': 'admin security',
  'owasp:api7:2023-concerning-url-parameter': 'SSRF-prone URL parameter',
  'owasp:api8:2023-define-cors-origin': 'CORS header',
  'owasp:api8:2023-define-error-responses-500': 'missing 400/422/500',
  'owasp:api8:2023-define-error-validation': 'missing 400/422/500',
  'owasp:api9:2023-inventory-access': 'server inventory (x-internal, environment)',
  'owasp:api9:2023-inventory-environment': 'server inventory (x-internal, environment)',
};

/** Categories both tools have, first; then apiwarden's own; then Spectral's own. */
const SHARED = ['unauthenticated operation', 'API key in URL', 'credential in URL parameter', 'HTTP Basic', 'plain http server', 'missing 401', 'missing 429'];

// ---------------------------------------------------------------------------
// subjects

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The subject of a path into a document: an operation, a scheme, a server, or the place itself. */
function subjectOf(path: readonly string[], where = ''): string {
  const [a, b, c] = path;
  if (a === 'paths' && b !== undefined) {
    return c !== undefined && METHODS.has(c) ? `op ${c.toUpperCase()} ${b}` : `path ${b}`;
  }
  if (a === 'components' && b === 'securitySchemes' && c !== undefined) return `scheme ${c}`;
  if (a === 'securityDefinitions' && b !== undefined) return `scheme ${b}`;
  if ((a === 'servers' || a === 'schemes') && b !== undefined) return `server ${b}`;
  return `${where}#/${path.slice(0, 3).join('/')}`;
}

/**
 * Split documents (DigitalOcean): Spectral reports a node in the file that
 * holds it, with a path inside that file. The files that hold an operation
 * or a path item are found from the root document's `$ref`s.
 */
function refIndex(root: string): Map<string, { path: string; method: string | null }> {
  const index = new Map<string, { path: string; method: string | null }>();
  const doc: unknown = extname(root) === '.json' ? JSON.parse(readFileSync(root, 'utf8')) : parseYaml(readFileSync(root, 'utf8'));
  if (!isRecord(doc) || !isRecord(doc.paths)) return index;
  const fileOf = (ref: unknown): string | null =>
    typeof ref === 'string' && !ref.startsWith('#') && !/^[a-z]+:/i.test(ref) ? resolve(dirname(root), ref.split('#', 1)[0] ?? '') : null;
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!isRecord(item)) continue;
    const itemFile = fileOf(item.$ref);
    if (itemFile) index.set(itemFile, { path, method: null });
    for (const [method, op] of Object.entries(item)) {
      const opFile = METHODS.has(method) && isRecord(op) ? fileOf(op.$ref) : null;
      if (opFile) index.set(opFile, { path, method });
    }
  }
  return index;
}

interface SpectralResult {
  code: string | number;
  path: Array<string | number>;
  message: string;
  severity: number;
  source?: string;
}

function spectralSubject(result: SpectralResult, root: string, index: Map<string, { path: string; method: string | null }>): string {
  const path = result.path.map(String);
  const source = result.source ? resolve(result.source) : root;
  if (source === root) return subjectOf(path);
  const holder = index.get(source);
  if (holder?.method) return `op ${holder.method.toUpperCase()} ${holder.path}`;
  if (holder && path[0] !== undefined && METHODS.has(path[0])) return `op ${path[0].toUpperCase()} ${holder.path}`;
  if (holder) return `path ${holder.path}`;
  return subjectOf(path, relative(dirname(root), source));
}

const SCHEME_FINDINGS: ReadonlySet<FindingId> = new Set(['auth.api-key-in-query', 'auth.api-key-in-cookie', 'auth.basic-over-http', 'auth.oauth2-implicit']);

// ---------------------------------------------------------------------------
// running the tools

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(command: string, argv: readonly string[], cwd: string): Promise<Run> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', fail);
    child.on('close', (code) => done({
      code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - started,
    }));
  });
}

let auditEntry = [join(ROOT, 'bin/apiwarden.js')];

async function runApiwarden(file: string): Promise<{ report: AuditReport; ms: number }> {
  const argv = ['audit', '--format', 'json', '--min-severity', 'info', '--fail-on', 'none', file];
  let result = await run(process.execPath, [...auditEntry, ...argv], ROOT);
  if (result.code !== 0 && /unknown command 'audit'/.test(result.stderr)) {
    // src/cli/main.ts does not wire `audit` yet: the same command, alone
    console.error('note: `apiwarden audit` is not wired into src/cli/main.ts yet; using bench/audit/audit-entry.ts');
    auditEntry = [join(ROOT, 'bench/audit/audit-entry.ts')];
    result = await run(process.execPath, [...auditEntry, ...argv], ROOT);
  }
  if (result.code !== 0) throw new Error(`apiwarden audit ${file} exited with ${result.code}: ${result.stderr}`);
  return { report: JSON.parse(result.stdout) as AuditReport, ms: result.ms };
}

async function runSpectral(file: string, ruleset: string, out: string): Promise<{ results: SpectralResult[]; ms: number }> {
  const result = await run(SPECTRAL_BIN, ['lint', '-r', ruleset, '-f', 'json', '-o', out, '-q', file], dirname(file));
  // exit 1: results at error severity, which is the normal case
  if ((result.code !== 0 && result.code !== 1) || !existsSync(out)) {
    throw new Error(`spectral lint ${file} exited with ${result.code}: ${result.stderr || result.stdout}`);
  }
  return { results: JSON.parse(readFileSync(out, 'utf8')) as SpectralResult[], ms: result.ms };
}

// ---------------------------------------------------------------------------

function findDocuments(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findDocuments(path));
    else if (['.json', '.yaml', '.yml'].includes(extname(entry.name))) {
      const text = readFileSync(path, 'utf8');
      const isRoot = extname(path) === '.json'
        ? /"(openapi|swagger)"\s*:/.test(text) && (() => {
          try {
            const v: unknown = JSON.parse(text);
            return isRecord(v) && (v.openapi !== undefined || v.swagger !== undefined);
          } catch {
            return false;
          }
        })()
        : /^["']?(openapi|swagger)["']?\s*:/m.test(text);
      if (isRoot) out.push(path);
    }
  }
  return out.sort();
}

type Units = Map<string, Map<string, string>>; // category → subject → an example message

function add(units: Units, category: string, subject: string, message: string): void {
  let subjects = units.get(category);
  if (!subjects) units.set(category, subjects = new Map());
  if (!subjects.has(subject)) subjects.set(subject, message);
}

interface CategoryComparison {
  category: string;
  apiwarden: number;
  spectral: number;
  both: number;
  onlyApiwarden: string[];
  onlySpectral: string[];
}

function compare(a: Units, s: Units): CategoryComparison[] {
  const categories = [...new Set([...SHARED, ...a.keys(), ...s.keys()])];
  const order = (c: string): number => SHARED.includes(c) ? 0 : a.has(c) && !s.has(c) ? 1 : a.has(c) ? 0 : 2;
  categories.sort((x, y) => order(x) - order(y) || (SHARED.indexOf(x) + 1 || 99) - (SHARED.indexOf(y) + 1 || 99) || x.localeCompare(y));
  return categories.map((category) => {
    const as = a.get(category) ?? new Map<string, string>();
    const ss = s.get(category) ?? new Map<string, string>();
    return {
      category,
      apiwarden: as.size,
      spectral: ss.size,
      both: [...as.keys()].filter((k) => ss.has(k)).length,
      onlyApiwarden: [...as.keys()].filter((k) => !ss.has(k)),
      onlySpectral: [...ss.keys()].filter((k) => !as.has(k)),
    };
  });
}

function table(rows: CategoryComparison[]): string[] {
  const header = ['category', 'apiwarden', 'Spectral', 'both', 'only apiwarden', 'only Spectral'];
  const cells = rows.map((r) => [r.category, r.apiwarden, r.spectral, r.both, r.onlyApiwarden.length, r.onlySpectral.length].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line)];
}

async function main(): Promise<number> {
  if (!existsSync(SPECS)) {
    console.error(`compare: ${SPECS} is absent (see ../shared/data/README.md)`);
    return 2;
  }
  if (!existsSync(SPECTRAL_BIN) || !existsSync(join(SPECTRAL_HOME, 'node_modules/@stoplight/spectral-owasp-ruleset'))) {
    console.error(`compare: Spectral or the OWASP ruleset is not installed in ${SPECTRAL_HOME} (SPECTRAL_HOME). Install it with:\n`
      + `  mkdir -p ${SPECTRAL_HOME} && cd ${SPECTRAL_HOME} && npm init -y && npm install @stoplight/spectral-cli @stoplight/spectral-owasp-ruleset`);
    return 2;
  }
  const spectralVersion = (await run(SPECTRAL_BIN, ['--version'], SPECTRAL_HOME)).stdout.trim();
  const owaspVersion = (JSON.parse(readFileSync(join(SPECTRAL_HOME, 'node_modules/@stoplight/spectral-owasp-ruleset/package.json'), 'utf8')) as { version: string }).version;
  const temp = mkdtempSync(join(tmpdir(), 'apiwarden-compare-'));
  // Spectral resolves `extends: @stoplight/...` from the ruleset's folder
  const ruleset = join(SPECTRAL_HOME, `apiwarden-owasp-${process.pid}.spectral.yaml`);
  copyFileSync(RULESET, ruleset);
  const documents = findDocuments(SPECS).filter((d) => !args.only || d.includes(args.only));
  const totals: Units[] = [new Map(), new Map()];
  const perDocument: unknown[] = [];
  console.log(`apiwarden vs Spectral ${spectralVersion} + @stoplight/spectral-owasp-ruleset ${owaspVersion}; ${documents.length} documents in ${SPECS}\n`);
  try {
    for (const [i, file] of documents.entries()) {
      const name = relative(SPECS, file);
      const [{ report, ms: apiwardenMs }, { results, ms: spectralMs }] = await Promise.all([
        runApiwarden(file),
        runSpectral(file, ruleset, join(temp, `spectral-${i}.json`)),
      ]);
      // labels ("GET /api/x", with the base path) back to the path as written
      const loaded = await loadAuditDocument(file);
      const opKey = new Map(loaded.operations.map((op) => [op.label, `op ${op.method} ${op.pathKey}`]));

      const a: Units = new Map();
      for (const f of report.findings) {
        const category = APIWARDEN_CATEGORY[f.id];
        const segments = pointerSegments(f.location.pointer);
        if (SCHEME_FINDINGS.has(f.id) || f.id === 'transport.http-server') {
          add(a, category, subjectOf(segments), f.message);
        } else {
          for (const label of f.operation ? [f.operation] : f.operations ?? []) add(a, category, opKey.get(label) ?? `op ${label}`, f.message);
        }
      }
      const index = refIndex(file);
      const s: Units = new Map();
      for (const r of results) {
        const code = String(r.code);
        add(s, SPECTRAL_CATEGORY[code] ?? `other: ${code}`, spectralSubject(r, file, index), r.message);
      }
      for (const [units, total] of [[a, totals[0]!], [s, totals[1]!]] as const) {
        for (const [category, subjects] of units) for (const [subject, message] of subjects) add(total, category, `${name} ${subject}`, message);
      }

      const rows = compare(a, s);
      console.log(`== ${name} (${loaded.format}, ${loaded.operations.length} operations)`);
      console.log(`   apiwarden: ${report.findings.length} findings in ${(apiwardenMs / 1000).toFixed(1)} s; `
        + `Spectral: ${results.length} results in ${(spectralMs / 1000).toFixed(1)} s`);
      for (const l of table(rows)) console.log(`   ${l}`);
      for (const r of rows) {
        if (r.onlyApiwarden.length > 0 && r.onlyApiwarden.length <= 50 || (r.onlyApiwarden.length > 0 && SHARED.includes(r.category))) {
          console.log(`   only apiwarden, ${r.category}: ${r.onlyApiwarden.slice(0, EXAMPLES).join('; ')}${r.onlyApiwarden.length > EXAMPLES ? ` (+${r.onlyApiwarden.length - EXAMPLES})` : ''}`);
        }
        if (r.onlySpectral.length > 0 && SHARED.includes(r.category)) {
          console.log(`   only Spectral, ${r.category}: ${r.onlySpectral.slice(0, EXAMPLES).join('; ')}${r.onlySpectral.length > EXAMPLES ? ` (+${r.onlySpectral.length - EXAMPLES})` : ''}`);
        }
      }
      console.log('');
      perDocument.push({ document: name, format: loaded.format, operations: loaded.operations.length, apiwardenMs, spectralMs,
        apiwardenFindings: report.findings.length, spectralResults: results.length, categories: rows });
    }
    const rows = compare(totals[0]!, totals[1]!);
    console.log(`== total (${documents.length} documents; a unit is a category + document + subject)`);
    for (const l of table(rows)) console.log(`   ${l}`);
    mkdirSync(RESULTS, { recursive: true });
    const out = join(RESULTS, `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(out, JSON.stringify({ spectralVersion, owaspVersion, documents: perDocument, total: rows }, null, 2));
    console.log(`\nwritten: ${relative(ROOT, out)}`);
    return 0;
  } finally {
    rmSync(temp, { recursive: true, force: true });
    rmSync(ruleset, { force: true });
  }
}

process.exitCode = await main();
