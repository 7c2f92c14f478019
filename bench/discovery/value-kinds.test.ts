import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { classifyParameter } from './value-kinds.ts';
import { loadSpecDocument, type SpecParameter } from './spec-operations.ts';

function param(name: string, schema: Record<string, unknown>, examples: unknown[] = []): SpecParameter {
  return { name, in: 'path', required: true, schema, description: '', examples };
}

describe('classifyParameter: realistic values from a document', () => {
  it('reads an example ending in a file extension as a file name, not a host (Xero\u2019s FileName: xero-dev.jpg)', () => {
    assert.equal(classifyParameter(param('FileName', { type: 'string' }, ['xero-dev.jpg']), 'Attachments')[0]?.kind, 'filename');
    assert.equal(classifyParameter(param('domain', { type: 'string' }, ['api.example.com']), 'domains')[0]?.kind, 'hostname');
  });

  it('does not draw random strings from a pattern that is only an alphabet (Azure\u2019s location: ^[-\\w\\._]+$)', () => {
    const kinds = classifyParameter(param('location', { type: 'string', pattern: '^[-\\w\\._]+$' }, ['westus']), 'locations');
    assert.ok(!kinds.some((k) => k.kind === 'pattern'), JSON.stringify(kinds));
    assert.equal(kinds[0]?.kind, 'label');
    // a pattern with a shape still makes the values
    assert.equal(classifyParameter(param('digest', { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' }), 'blobs').some((k) => k.kind === 'pattern'), true);
  });
});

describe('path-valued parameters (several segments, sent as one)', () => {
  it('draws a resource path for a parameter the document marks as a path (Azure x-ms-skip-url-encoding)', () => {
    const kinds = classifyParameter({ ...param('roleId', { type: 'string' }, ['roleAssignmentId']), isPath: true }, '');
    assert.equal(kinds[0]?.kind, 'resourcePath');
    // an enum stays an enum
    assert.equal(classifyParameter({ ...param('kind', { type: 'string', enum: ['a', 'b'] }), isPath: true }, '')[0]?.kind, 'enum');
  });

  it('marks Google\u2019s parameters right after the version as paths ({+jobName}), and only Google\u2019s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-'));
    try {
      const doc = (host: string): string => JSON.stringify({
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        servers: [{ url: `https://${host}/` }],
        paths: {
          '/v1/{jobName}': { get: { parameters: [{ name: 'jobName', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'ok' } } } },
          '/v1/transferJobs/{id}': { get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'ok' } } } },
        },
      });
      writeFileSync(join(dir, 'google.json'), doc('storagetransfer.googleapis.com'));
      writeFileSync(join(dir, 'other.json'), doc('api.example.com'));
      const google = await loadSpecDocument(join(dir, 'google.json'));
      const other = await loadSpecDocument(join(dir, 'other.json'));
      const isPath = (d: typeof google, template: string): boolean | undefined => d.operations.find((o) => o.template === template)?.parameters[0]?.isPath;
      assert.equal(isPath(google, '/v1/{jobName}'), true);
      assert.equal(isPath(google, '/v1/transferJobs/{id}'), undefined);
      assert.equal(isPath(other, '/v1/{jobName}'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('patterns that give no shape', () => {
  it('draws no random strings from wildcards (AWS ".*\\S.*", ".*[0-9A-Za-z][-.0-9A-Z_a-z]*.*")', () => {
    for (const pattern of ['.*\\S.*', '.*[0-9A-Za-z][-.0-9A-Z_a-z]*.*', '^.+$']) {
      const kinds = classifyParameter(param('identifier', { type: 'string', pattern }), 'pipelines');
      assert.ok(!kinds.some((k) => k.kind === 'pattern'), `${pattern}: ${JSON.stringify(kinds)}`);
    }
    // a shape around a wildcard is kept ('arn:.+'), and a capitalised word is a shape
    assert.ok(classifyParameter(param('arn', { type: 'string', pattern: 'arn:.+' }), 'bundles').some((k) => k.kind === 'pattern'));
    assert.ok(classifyParameter(param('name', { type: 'string', pattern: '^[A-Z][a-z]+$' }), 'things').some((k) => k.kind === 'pattern'));
  });
});

describe('AWS resource names', () => {
  it('draws whole ARNs for an *Arn parameter or an arn: pattern, not "arn:" and random text', () => {
    assert.equal(classifyParameter(param('resourceArn', { type: 'string' }), 'tags')[0]?.kind, 'arn');
    assert.equal(classifyParameter(param('appBundleIdentifier', { type: 'string', pattern: 'arn:.+$|^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}' }), 'appbundles')[0]?.kind, 'arn');
  });
});
