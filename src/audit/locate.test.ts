import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocator, pointerOf, pointerSegments } from './locate.ts';
import { fixture } from './test-helpers.ts';

describe('JSON Pointers', () => {
  test('escape and unescape (RFC 6901)', () => {
    assert.equal(pointerOf(['paths', '/a/{id}', 'get']), '/paths/~1a~1{id}/get');
    assert.equal(pointerOf(['x', 'a~b']), '/x/a~0b');
    assert.deepEqual(pointerSegments('/paths/~1a~1{id}/get'), ['paths', '/a/{id}', 'get']);
    assert.deepEqual(pointerSegments('/x/a~01'), ['x', 'a~1']);
    assert.deepEqual(pointerSegments('#/components/schemas/A%20B'), ['components', 'schemas', 'A B']);
    assert.deepEqual(pointerSegments(''), []);
  });
});

describe('createLocator', () => {
  test('YAML: the key of the node, 1-based', () => {
    const locator = createLocator();
    const file = fixture('security-3.0.yaml');
    assert.deepEqual(locator.locate(file, '/paths/~1health/get'), { file, line: 46, column: 5 });
    assert.deepEqual(locator.locate(file, '/components/securitySchemes/bearer'), { file, line: 11, column: 5 });
  });

  test('through local $refs: the position of the target', () => {
    const locator = createLocator();
    const file = fixture('security-3.0.yaml');
    // .../schema is a $ref to #/components/schemas/AccountStatus, whose properties hold phoneNumber
    const position = locator.locate(file, '/paths/~1accounts~1{phone}~1status/get/responses/200/content/application~1json/schema/properties/phoneNumber');
    assert.deepEqual(position, { file, line: 20, column: 9 });
  });

  test('through $refs to other files', () => {
    const locator = createLocator();
    const root = fixture('split/openapi.yaml');
    assert.deepEqual(locator.locate(root, '/paths/~1accounts~1{phone}/get/operationId'), { file: fixture('split/paths/accounts.yaml'), line: 2, column: 3 });
    assert.deepEqual(
      locator.locate(root, '/paths/~1accounts~1{phone}/get/responses/200/content/application~1json/schema/properties/msisdn'),
      { file: fixture('split/schemas.yaml'), line: 6, column: 5 },
    );
  });

  test('JSON documents, missing nodes, unreadable and remote targets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-locate-'));
    try {
      const file = join(dir, 'api.json');
      writeFileSync(file, '{\n  "openapi": "3.1.0",\n  "paths": {\n    "/a": { "get": { "$ref": "https://example.com/op.json" } },\n    "/b": { "$ref": "missing.yaml" }\n  }\n}\n');
      const locator = createLocator();
      assert.deepEqual(locator.locate(file, '/paths/~1a'), { file, line: 4, column: 5 });
      // the deepest node that exists
      assert.deepEqual(locator.locate(file, '/paths/~1a/post/responses'), { file, line: 4, column: 5 });
      // a remote $ref is not fetched: the $ref itself is the best position
      assert.deepEqual(locator.locate(file, '/paths/~1a/get/responses'), { file, line: 4, column: 13 });
      assert.deepEqual(locator.locate(file, '/paths/~1b/get'), { file, line: 5, column: 5 });
      assert.deepEqual(locator.locate(join(dir, 'nope.yaml'), '/paths'), { file: join(dir, 'nope.yaml') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
