import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyParameter } from './value-kinds.ts';
import type { SpecParameter } from './spec-operations.ts';

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
