/**
 * Real public documents (see ../shared/data/README.md): each loads, and for
 * every operation a concrete path built from its parameters' schemas routes
 * back to exactly that operation. Skips where the data folder is absent.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDocument } from './load.ts';
import { compileRouteTable } from './route-table.ts';
import { samplePath } from './sample-path.ts';

const DATA = new URL('../../../shared/data/', import.meta.url);

const SPECS = [
  { name: 'Stripe (OpenAPI 3.0, JSON)', file: 'specs/stripe/spec3-2021-06.json', format: 'openapi-3.0', minOperations: 300 },
  { name: 'Slack (Swagger 2.0)', file: 'specs/slack/slack_web_openapi_v2.json', format: 'swagger-2.0', minOperations: 150 },
  {
    name: 'DigitalOcean (OpenAPI 3.0, ~2,900 YAML files)',
    file: 'specs/digitalocean/specification/DigitalOcean-public.v2.yaml',
    format: 'openapi-3.0',
    minOperations: 500,
  },
] as const;

// Loading is timed; the bound is loose enough for a slow CI machine.
const MAX_LOAD_MS = 15_000;
// How many sample values to try before calling an operation unreachable.
const ATTEMPTS = 3;

describe('real OpenAPI documents', () => {
  for (const spec of SPECS) {
    it(`${spec.name}: loads, and every operation routes to itself`, async (t) => {
      const file = fileURLToPath(new URL(spec.file, DATA));
      if (!existsSync(file)) {
        t.skip(`${fileURLToPath(DATA)} absent (no ${spec.file})`);
        return;
      }

      const started = performance.now();
      const doc = await loadDocument(file);
      const loadMs = performance.now() - started;
      const table = compileRouteTable([doc]);
      const compileMs = performance.now() - started - loadMs;
      t.diagnostic(`${doc.operations.length} operations, ${new Set(doc.operations.map((o) => o.template)).size} templates; `
        + `load ${loadMs.toFixed(0)} ms, compile ${compileMs.toFixed(0)} ms`);
      for (const warning of doc.warnings ?? []) t.diagnostic(`document warning: ${warning}`);

      assert.equal(doc.format, spec.format);
      assert.ok(doc.operations.length >= spec.minOperations, `${doc.operations.length} operations`);
      assert.ok(loadMs < MAX_LOAD_MS, `loading took ${loadMs.toFixed(0)} ms`);
      // No method + template is declared twice: every operation is routable.
      assert.deepEqual(table.warnings, []);
      assert.equal(table.operations.length, doc.operations.length);

      const failures: string[] = [];
      for (const operation of doc.operations) {
        let routed = false;
        for (let attempt = 0; attempt < ATTEMPTS && !routed; attempt++) {
          const path = samplePath(operation, attempt);
          const match = table.match(operation.method, path);
          routed = match?.operation === operation;
          if (!routed && attempt === ATTEMPTS - 1) {
            const got = match === null ? 'nothing' : `${match.operation.method} ${match.operation.template}`;
            failures.push(`${operation.method} ${operation.template}: ${path} matched ${got}`);
          } else if (routed && attempt > 0) {
            // The first value equals a static sibling: the document's own
            // precedence, reported rather than hidden.
            t.diagnostic(`${operation.method} ${operation.template} needed sample #${attempt + 1}`);
          }
          if (routed) {
            assert.equal(table.hasPath(path), true);
            // every path parameter comes back, decoded
            for (const p of operation.parameters.filter((p) => p.in === 'path')) {
              assert.ok(match?.params[p.name], `${operation.operationId}: no value for ${p.name}`);
            }
          }
        }
      }
      assert.deepEqual(failures, [], `${failures.length} operations do not route to themselves`);
    });
  }
});
