/** The three output formats: table, JSON, SARIF 2.1.0. */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { auditFiles, buildReport } from './audit.ts';
import type { AuditOptions } from './audit.ts';
import { formatJson } from './format-json.ts';
import { buildSarif, sarifLevel } from './format-sarif.ts';
import { formatTable, summaryLine } from './format-table.ts';
import { FIXTURES } from './test-helpers.ts';
import { FINDING_IDS, SEVERITIES } from './types.ts';
import type { AuditReport, Finding } from './types.ts';

async function reportOf(files: string[], options: AuditOptions = {}): Promise<AuditReport> {
  // relative names, as a user in the fixtures folder would type them
  const cwd = process.cwd();
  process.chdir(FIXTURES);
  try {
    const outcome = await auditFiles(files, { cwd: FIXTURES, ...options });
    assert.deepEqual(outcome.errors, []);
    return outcome.report;
  } finally {
    process.chdir(cwd);
  }
}

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: 'auth.missing', severity: 'high', message: 'GET /a has no security requirement',
    location: { document: 'api.yaml', pointer: '/paths/~1a/get', file: 'api.yaml', line: 3, column: 5 },
    operation: 'GET /a',
    ...overrides,
  };
}

describe('table', () => {
  test('grouped by document, by severity, with a summary line', async () => {
    const report = await reportOf(['security-3.0.yaml', 'clean-3.1.yaml', 'split/openapi.yaml'], { minSeverity: 'low' });
    const text = formatTable(report);
    const lines = text.split('\n');
    assert.equal(lines[0], 'security-3.0.yaml — Accounts 1.0.0 (openapi-3.0, 7 operations)');
    assert.match(lines[1]!, /^ {2}CRITICAL {2}auth\.missing +security-3\.0\.yaml:34:5$/);
    assert.match(lines[2]!, /^ {6}GET \/v2\/accounts\/\{phone\}\/status has no security requirement/);
    // severities never go back up within a document
    const ranks = lines.filter((l) => /^ {2}[A-Z]+ /.test(l)).map((l) => SEVERITIES.indexOf(l.trim().split(/\s+/)[0]!.toLowerCase() as never));
    const firstDocument = ranks.slice(0, report.findings.filter((f) => f.location.document === 'security-3.0.yaml').length);
    assert.deepEqual(firstDocument, [...firstDocument].sort((a, b) => a - b));
    assert.ok(lines.includes('clean-3.1.yaml — Clean 1.0.0 (openapi-3.1, 1 operation)'));
    assert.equal(lines[lines.indexOf('clean-3.1.yaml — Clean 1.0.0 (openapi-3.1, 1 operation)') + 1], '  no findings');
    assert.ok(text.includes('CRITICAL  auth.missing             split/paths/accounts.yaml:1:1'));
    assert.equal(lines.at(-1), '10 findings: 4 critical, 1 high, 2 medium, 3 low; 3 below --min-severity not shown');
    assert.doesNotMatch(text, /\x1b\[/);
    assert.match(formatTable(report, { color: true }), /\x1b\[1;31mCRITICAL/);
  });

  test('live counts, and text from the document cannot drive the terminal', () => {
    const report = buildReport(
      [{ file: 'api.yaml', format: 'openapi-3.1', title: 'A\x1b[2J', version: '1', operations: 1 }],
      [finding({ message: 'GET /a\u202e has no security', live: { calls: 1234, status2xx: 1200, lastSeen: 0 } })],
    ).report;
    const text = formatTable(report);
    assert.match(text, /\[live: 1,234 calls, 1,200 2xx\]/);
    assert.ok(text.includes('A\\x1b[2J'));
    assert.ok(text.includes('GET /a\\u202e has no security'));
    assert.equal(summaryLine(report), '1 finding: 1 high (1 live)');
  });

  test('no findings', () => {
    assert.equal(summaryLine(buildReport([], []).report), 'no findings in 0 documents');
  });
});

describe('json', () => {
  test('the documented shape, parseable, counts consistent', async () => {
    const report = await reportOf(['schemes-3.1.yaml', 'swagger-2.0.yaml'], { minSeverity: 'info' });
    const parsed = JSON.parse(formatJson(report)) as AuditReport;
    assert.equal(parsed.version, 1);
    assert.deepEqual(Object.keys(parsed), ['version', 'tool', 'documents', 'findings', 'summary']);
    assert.equal(parsed.tool.name, 'apiwarden');
    assert.match(parsed.tool.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(parsed.documents.map((d) => [d.file, d.format, d.operations]), [
      ['schemes-3.1.yaml', 'openapi-3.1', 7],
      ['swagger-2.0.yaml', 'swagger-2.0', 3],
    ]);
    assert.equal(parsed.summary.total, parsed.findings.length);
    for (const s of SEVERITIES) assert.equal(parsed.summary.bySeverity[s], parsed.findings.filter((f) => f.severity === s).length);
    for (const f of parsed.findings) {
      assert.ok((FINDING_IDS as readonly string[]).includes(f.id));
      assert.equal(typeof f.message, 'string');
      assert.ok(f.location.pointer.startsWith('/'));
      assert.ok(Number.isInteger(f.location.line) && Number.isInteger(f.location.column), `${f.id} has a position`);
      assert.ok((f.operation === undefined) !== (f.operations === undefined), 'operation or operations');
    }
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(report)));
  });
});

/**
 * The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json, OASIS) that
 * this output uses, with their required properties and constraints. The full
 * schema is not in node_modules; these are the rules a consumer relies on.
 */
const SARIF_SUBSET = {
  type: 'object',
  required: ['version', 'runs'],
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { const: '2.1.0' },
    runs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['tool'],
        properties: {
          tool: {
            type: 'object',
            required: ['driver'],
            properties: {
              driver: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string' },
                  version: { type: 'string' },
                  rules: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['id'],
                      properties: {
                        id: { type: 'string' },
                        shortDescription: { $ref: '#/$defs/message' },
                        fullDescription: { $ref: '#/$defs/message' },
                        help: { $ref: '#/$defs/message' },
                        defaultConfiguration: { type: 'object', properties: { level: { $ref: '#/$defs/level' } } },
                      },
                    },
                  },
                },
              },
            },
          },
          originalUriBaseIds: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { uri: { type: 'string', pattern: '/$' } } },
          },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['message'],
              properties: {
                ruleId: { type: 'string' },
                ruleIndex: { type: 'integer', minimum: -1 },
                level: { $ref: '#/$defs/level' },
                message: { $ref: '#/$defs/message' },
                locations: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      physicalLocation: {
                        type: 'object',
                        anyOf: [{ required: ['address'] }, { required: ['artifactLocation'] }],
                        properties: {
                          artifactLocation: {
                            type: 'object',
                            properties: { uri: { type: 'string', format: 'uri-reference' }, uriBaseId: { type: 'string' } },
                          },
                          region: {
                            type: 'object',
                            properties: {
                              startLine: { type: 'integer', minimum: 1 },
                              startColumn: { type: 'integer', minimum: 1 },
                            },
                          },
                        },
                      },
                      logicalLocations: {
                        type: 'array',
                        items: { type: 'object', properties: { fullyQualifiedName: { type: 'string' }, kind: { type: 'string' } } },
                      },
                    },
                  },
                },
                partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
  $defs: {
    message: { type: 'object', anyOf: [{ required: ['text'] }, { required: ['id'] }], properties: { text: { type: 'string' } } },
    level: { enum: ['none', 'note', 'warning', 'error'] },
  },
};

/** The parts of a SARIF log these tests read. */
interface SarifLog {
  runs: Array<{
    tool: { driver: { name: string; rules: Array<{ id: string; shortDescription: { text: string }; help: { text: string }; properties: Record<string, unknown> }> } };
    originalUriBaseIds: Record<string, { uri: string }>;
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{
        physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region?: { startLine: number; startColumn?: number } };
        logicalLocations?: unknown;
      }>;
      partialFingerprints: Record<string, string>;
    }>;
  }>;
}

describe('sarif', () => {
  test('SARIF 2.1.0: tool, rules, results with levels and physical locations', async () => {
    const report = await reportOf(['security-3.0.yaml', 'split/openapi.yaml', 'swagger-2.0.yaml'], { minSeverity: 'info' });
    const log = JSON.parse(JSON.stringify(buildSarif(report, { cwd: FIXTURES }))) as SarifLog;

    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(SARIF_SUBSET);
    assert.ok(validate(log), ajv.errorsText(validate.errors));

    const run = log.runs[0]!;
    assert.equal(run.tool.driver.name, 'apiwarden');
    const rules = run.tool.driver.rules;
    assert.deepEqual(rules.map((r) => r.id), [...FINDING_IDS]);
    for (const rule of rules) {
      assert.ok(rule.shortDescription.text.length > 0 && rule.help.text.length > 0, rule.id);
      assert.match(String(rule.properties['security-severity']), /^\d+\.\d$/);
    }
    const results = run.results;
    assert.equal(results.length, report.findings.length);
    results.forEach((r, i) => {
      const f = report.findings[i]!;
      assert.equal(r.ruleId, f.id);
      assert.equal(rules[r.ruleIndex]!.id, f.id);
      assert.equal(r.level, sarifLevel(f.severity));
      assert.equal(r.message.text, f.message);
      const physical = r.locations[0]!.physicalLocation;
      assert.equal(physical.artifactLocation.uriBaseId, 'SRCROOT');
      assert.ok(!physical.artifactLocation.uri.startsWith('/') && !physical.artifactLocation.uri.includes(':'), physical.artifactLocation.uri);
      assert.ok((physical.region?.startLine ?? 0) >= 1 && (physical.region?.startColumn ?? 0) >= 1);
      assert.match(r.partialFingerprints['apiwarden/v1'] ?? '', /^[0-9a-f]{32}$/);
    });
    assert.deepEqual(
      [...new Set(results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri))].sort(),
      ['security-3.0.yaml', 'split/paths/accounts.yaml', 'swagger-2.0.yaml'],
    );
    const critical = results.find((r) => r.ruleId === 'auth.missing' && r.level === 'error');
    assert.deepEqual(critical?.locations[0]?.logicalLocations, [{ fullyQualifiedName: 'GET /v2/accounts/{phone}/status', kind: 'function' }]);
    assert.equal(run.originalUriBaseIds.SRCROOT?.uri.endsWith('/'), true);
  });

  test('levels from severities; files outside the working directory are absolute file URIs', () => {
    assert.deepEqual(SEVERITIES.map(sarifLevel), ['error', 'error', 'warning', 'note', 'note']);
    const report = buildReport([], [finding({ location: { document: '/elsewhere/api.yaml', pointer: '', file: '/elsewhere/api.yaml' } })]).report;
    const log = JSON.parse(JSON.stringify(buildSarif(report, { cwd: '/work/project' }))) as SarifLog;
    const physical = log.runs[0]!.results[0]!.locations[0]!.physicalLocation;
    assert.deepEqual(physical.artifactLocation, { uri: 'file:///elsewhere/api.yaml' });
    assert.equal(physical.region, undefined);
  });
});
