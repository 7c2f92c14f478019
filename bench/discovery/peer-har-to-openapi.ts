/**
 * har-to-openapi on one HAR file, in a child process of run.ts (so that a
 * slow or huge conversion can be timed out and its memory given back):
 *
 *   node bench/discovery/peer-har-to-openapi.ts <in.har> <out.json>
 *
 * writes { ms, templates: [{ method, template }] } from the paths of the
 * OpenAPI document it generates.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { generateSpec } from 'har-to-openapi';

/**
 * Its best settings for path templates (README "Options"): URL
 * parameterisation is off by default and is the only way it templates a
 * path; it then turns uuids, dates, date-times, booleans and numbers of at
 * least `minLengthForNumericPath` digits (default 3) into parameters, so 1
 * catches every numeric id. Examples are dropped and everything goes into
 * one document: neither changes the paths, both save time.
 */
export const HAR_TO_OPENAPI_OPTIONS = {
  attemptToParameterizeUrl: true,
  minLengthForNumericPath: 1,
  inferParameterTypes: true,
  forceAllRequestsInSameSpec: true,
  relaxedMethods: true,
  examples: 'none',
} as const;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

async function main(): Promise<void> {
  const [input, output] = process.argv.slice(2);
  if (input === undefined || output === undefined) throw new Error('usage: peer-har-to-openapi.ts <in.har> <out.json>');
  const har = JSON.parse(readFileSync(input, 'utf8')) as Parameters<typeof generateSpec>[0];
  const started = performance.now();
  const { spec } = await generateSpec(har, { ...HAR_TO_OPENAPI_OPTIONS });
  const ms = performance.now() - started;
  const templates: Array<{ method: string; template: string }> = [];
  for (const [template, item] of Object.entries(spec.paths ?? {})) {
    for (const method of Object.keys(item ?? {})) {
      if (METHODS.has(method)) templates.push({ method: method.toUpperCase(), template });
    }
  }
  writeFileSync(output, JSON.stringify({ ms, templates }));
}

if (import.meta.main) await main();
