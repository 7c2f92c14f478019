/**
 * The reconstruction under test: apiwarden's path templater
 * (src/discovery/templater.ts). It is fed (method, host, path) of every
 * request, in traffic order, and then asked to map each request to a
 * template; nothing of the document reaches it.
 *
 * Loaded from APIWARDEN_SRC (default src/) like bench/limiter, so that a
 * patched copy can be measured against the current one.
 */

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LearnedTemplate } from '../../src/discovery/types.ts';
import { ROOT } from '../proxy/lib.ts';
import type { TrafficRequest } from './generate.ts';
import { endpointKey } from './template-match.ts';

/** The contract of src/discovery/templater.ts that the benchmark relies on. */
export interface PathTemplater {
  observe(method: string, host: string, path: string): void;
  match(method: string, host: string, path: string): { host: string; template: string };
  templates(): LearnedTemplate[];
}

export type CreatePathTemplater = (options?: { maxChildren?: number; templateHosts?: boolean }) => PathTemplater;

export const TEMPLATER_SRC = resolve(ROOT, process.env.APIWARDEN_SRC ?? 'src');

export async function loadTemplater(): Promise<{ create: CreatePathTemplater; source: string; fingerprint: string }> {
  const file = join(TEMPLATER_SRC, 'discovery/templater.ts');
  if (!existsSync(file)) throw new Error(`${file} does not exist (set APIWARDEN_SRC to another copy of src/)`);
  const mod = (await import(pathToFileURL(file).href)) as { createPathTemplater?: unknown };
  if (typeof mod.createPathTemplater !== 'function') throw new Error(`${file} does not export createPathTemplater`);
  return { create: mod.createPathTemplater as CreatePathTemplater, source: file, fingerprint: fingerprint(dirname(file)) };
}

/**
 * A short hash of the templater's folder (its .ts files but the tests), so
 * that a results file says which version of the code it measured: the
 * templater changes more often than it is committed.
 */
function fingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort()) {
    hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

export interface ApiwardenRun {
  /** per request: the endpoint key of the template it was mapped to */
  learned: string[];
  /** templates() after the last observation */
  templates: number;
  observeMs: number;
  matchMs: number;
}

export function runApiwarden(create: CreatePathTemplater, requests: readonly TrafficRequest[]): ApiwardenRun {
  const templater = create();
  let started = performance.now();
  for (const r of requests) templater.observe(r.method, r.host, r.path);
  const observeMs = performance.now() - started;
  started = performance.now();
  const learned = requests.map((r) => endpointKey(r.method, templater.match(r.method, r.host, r.path).template));
  const matchMs = performance.now() - started;
  return { learned, templates: templater.templates().length, observeMs, matchMs };
}
