import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from './errors.ts';

test('docs/errors.md lists every error code with its status, and nothing else', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  const codes = Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]);
  assert.deepEqual(rows.sort(), codes.sort());
});
