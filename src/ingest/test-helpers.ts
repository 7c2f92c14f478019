/** Shared by the ingest tests: fixture files and a complete ObservedRequest to compare against. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ObservedRequest } from '../discovery/types.ts';

export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/logs/', import.meta.url));

export function fixturePath(name: string): string {
  return `${FIXTURES}${name}`;
}

/** The lines of a fixture as the reader decodes them (latin1: one character per byte). */
export function fixtureLines(name: string, encoding: 'latin1' | 'utf8' = 'utf8'): string[] {
  const lines = readFileSync(fixturePath(name), encoding).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** An ObservedRequest with the fields a log line does not have set to their empty values. */
export function observed(fields: Partial<ObservedRequest> & Pick<ObservedRequest, 'method' | 'path'>): ObservedRequest {
  return {
    time: 0,
    host: '',
    query: null,
    status: 0,
    clientIp: null,
    userAgent: null,
    bytesOut: null,
    latencyMs: null,
    requestHeaders: null,
    responseHeaders: null,
    requestBody: null,
    responseBody: null,
    ...fields,
  };
}
