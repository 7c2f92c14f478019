/**
 * The audit over every real document in ../shared/data/specs (see
 * ../shared/data/README.md): each completes, in bounded time, without
 * network (a document with remote $refs is skipped), every finding has a
 * file position, and what the document declares is found: an apiKey scheme
 * in the query gives auth.api-key-in-query, a plain http server gives
 * transport.http-server; and the reference documents give what they are
 * known to (KNOWN). Skips where the data folder is absent.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { isRecord } from '../openapi/util.ts';
import { auditFiles } from './audit.ts';
import { isPlainHttpRemote } from './checks.ts';
import { RULES } from './rules.ts';

const SPECS = fileURLToPath(new URL('../../../shared/data/specs/', import.meta.url));
const MAX_DOCUMENT_MS = 30_000;

/** What the reference documents (../shared/data/README.md) are known to give. */
const KNOWN = new Map<string, (ids: string[], messages: string[]) => void>([
  ['stripe/spec3-2021-06.json', (ids, messages) => {
    // every operation inherits basic or bearer from the root: nothing high or critical
    assert.equal(ids.filter((id) => id === 'auth.missing').length, 0);
    assert.equal(ids.filter((id) => id === 'lifecycle.no-sunset').length, 15);
    assert.ok(messages.some((m) => /query parameter "client_secret"/.test(m)));
  }],
  // Slack took tokens in the query string until 2021
  ['slack/slack_web_openapi_v2.json', (_ids, messages) => {
    assert.ok(messages.some((m) => /^query parameter "token" looks like a credential/.test(m)));
  }],
  ['digitalocean/specification/DigitalOcean-public.v2.yaml', (ids, messages) => {
    assert.ok(messages.some((m) => /^PUT \/<upload_url> removes authentication with security: \[\]/.test(m)));
    assert.equal(ids.filter((id) => id === 'auth.missing').length, 0);
  }],
]);

/** Root documents: files with a top-level `openapi` or `swagger` field (not the fragments they $ref). */
function findDocuments(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findDocuments(path));
    else if (['.json', '.yaml', '.yml'].includes(extname(entry.name)) && isRootDocument(path)) out.push(path);
  }
  return out.sort();
}

function isRootDocument(path: string): boolean {
  const text = readFileSync(path, 'utf8');
  if (extname(path) === '.json') {
    try {
      const value: unknown = JSON.parse(text);
      return isRecord(value) && (value.openapi !== undefined || value.swagger !== undefined);
    } catch {
      return false;
    }
  }
  return /^["']?(openapi|swagger)["']?\s*:/m.test(text);
}

/** Remote `$ref`s reachable from a document through its relative file references. */
function remoteRefs(root: string): string[] {
  const remote: string[] = [];
  const seen = new Set<string>();
  const queue = [root];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/"?\$ref"?\s*:\s*["']?([^"'\s,}]+)/g)) {
      const ref = match[1] ?? '';
      if (/^https?:/i.test(ref)) remote.push(ref);
      else if (!ref.startsWith('#')) queue.push(resolve(dirname(file), decodeURI(ref.split('#', 1)[0] ?? '')));
    }
  }
  return remote;
}

/** What the root file declares, read independently of the audit's loader. */
function declared(file: string): { apiKeyInQuery: string[]; httpServers: number } {
  const doc: unknown = extname(file) === '.json' ? JSON.parse(readFileSync(file, 'utf8')) : parseYaml(readFileSync(file, 'utf8'));
  if (!isRecord(doc)) return { apiKeyInQuery: [], httpServers: 0 };
  const schemes = isRecord(doc.securityDefinitions) ? doc.securityDefinitions
    : isRecord(doc.components) && isRecord(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  const apiKeyInQuery = Object.entries(schemes).filter(([, s]) => isRecord(s) && s.type === 'apiKey' && s.in === 'query').map(([name]) => name);
  const servers = Array.isArray(doc.servers) ? doc.servers.filter((s) => isRecord(s) && typeof s.url === 'string' && isPlainHttpRemote(s.url)) : [];
  const schemesHttp = Array.isArray(doc.schemes) && doc.schemes.includes('http') ? 1 : 0;
  return { apiKeyInQuery, httpServers: servers.length + schemesHttp };
}

describe('audit of the real documents', () => {
  const documents = existsSync(SPECS) ? findDocuments(SPECS) : [];

  it('finds documents to audit', (t) => {
    if (!existsSync(SPECS)) {
      t.skip(`${SPECS} absent`);
      return;
    }
    t.diagnostic(documents.map((d) => relative(SPECS, d)).join(', '));
    assert.ok(documents.length >= 1);
  });

  for (const file of documents) {
    it(relative(SPECS, file), async (t) => {
      const remote = remoteRefs(file);
      if (remote.length > 0) {
        t.skip(`remote $refs (${remote[0]}): not fetched in tests`);
        return;
      }
      const started = performance.now();
      const outcome = await auditFiles([file], { minSeverity: 'info' });
      const ms = performance.now() - started;
      assert.deepEqual(outcome.errors.map((e) => e.message), []);
      const { report } = outcome;
      const byId = new Map<string, number>();
      for (const f of report.findings) byId.set(`${f.id} (${f.severity})`, (byId.get(`${f.id} (${f.severity})`) ?? 0) + 1);
      t.diagnostic(`${report.documents[0]?.operations} operations, ${report.findings.length} findings in ${ms.toFixed(0)} ms: `
        + [...byId].map(([k, n]) => `${k} ×${n}`).join(', '));
      assert.ok(ms < MAX_DOCUMENT_MS, `took ${ms.toFixed(0)} ms`);
      assert.ok((report.documents[0]?.operations ?? 0) > 0);

      for (const f of report.findings) {
        assert.ok(RULES[f.id].severities.includes(f.severity), `${f.id} ${f.severity}`);
        assert.ok(f.location.line !== undefined && f.location.line >= 1, `${f.id} at ${f.location.pointer} has no line`);
        assert.ok(existsSync(resolve(f.location.file)), f.location.file);
      }

      const expected = declared(file);
      const apiKeyFindings = report.findings.filter((f) => f.id === 'auth.api-key-in-query');
      assert.deepEqual(
        apiKeyFindings.map((f) => /apiKey scheme "([^"]+)"/.exec(f.message)?.[1]).sort(),
        [...expected.apiKeyInQuery].sort(),
      );
      assert.equal(report.findings.filter((f) => f.id === 'transport.http-server' && !f.location.pointer.startsWith('/paths')).length, expected.httpServers);
      KNOWN.get(relative(SPECS, file))?.(report.findings.map((f) => f.id), report.findings.map((f) => f.message));
    });
  }
});
