/**
 * The peers: tools that also turn traffic into path templates, run on the
 * same traffic (as a HAR file) in child processes with a time limit, their
 * OpenAPI output read back as a list of (method, template).
 *
 *   har-to-openapi  npm devDependency, run by peer-har-to-openapi.ts
 *   Optic           `optic capture <spec> --har <file> --update automatic`
 *                   (its path inference: "Learning path patterns for
 *                   unmatched requests"), from an install outside the
 *                   repository (README: how to install it)
 *
 * Each child runs in its own process group and is stopped by that group's
 * id (SIGKILL) when it overruns.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { isRecord } from './spec-operations.ts';

export interface PeerOutput {
  templates: Array<{ method: string; template: string }>;
  /** the peer's own conversion time when it reports one, else the child's wall time */
  ms: number;
}

const PEER_SCRIPT = fileURLToPath(new URL('./peer-har-to-openapi.ts', import.meta.url));
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The Optic entry point inside an install prefix (`npm install --prefix DIR @useoptic/optic`). */
export function opticEntry(prefix: string): string {
  return join(prefix, 'node_modules/@useoptic/optic/build/index.js');
}

export function opticVersion(prefix: string): string | null {
  try {
    const pkg = JSON.parse(readFileSync(join(prefix, 'node_modules/@useoptic/optic/package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

export async function runHarToOpenapi(harFile: string, workDir: string, timeoutMs: number): Promise<PeerOutput> {
  const out = join(workDir, 'har-to-openapi.json');
  const wall = await runChild(process.execPath, ['--max-old-space-size=4096', PEER_SCRIPT, harFile, out], workDir, timeoutMs, 'har-to-openapi');
  const parsed = JSON.parse(readFileSync(out, 'utf8')) as PeerOutput;
  return { templates: parsed.templates, ms: parsed.ms ?? wall };
}

export async function runOptic(harFile: string, workDir: string, prefix: string, timeoutMs: number): Promise<PeerOutput> {
  const entry = opticEntry(prefix);
  if (!existsSync(entry)) throw new Error(`Optic is not installed at ${prefix}`);
  const spec = join(workDir, 'optic-openapi.yml');
  // An empty document: everything Optic writes into it, it learned.
  writeFileSync(spec, 'openapi: 3.0.3\ninfo:\n  title: learned by optic capture\n  version: "1"\npaths: {}\n');
  const ms = await runChild(process.execPath, ['--max-old-space-size=4096', entry, 'capture', spec, '--har', harFile, '--update', 'automatic'], workDir, timeoutMs, 'optic', {
    // no telemetry calls to a network the benchmark may not have
    OPTIC_TELEMETRY_LEVEL: 'off',
  });
  const doc: unknown = parse(readFileSync(spec, 'utf8'));
  const paths = isRecord(doc) && isRecord(doc.paths) ? doc.paths : {};
  const templates: PeerOutput['templates'] = [];
  for (const [template, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    for (const method of Object.keys(item)) if (METHODS.has(method)) templates.push({ method: method.toUpperCase(), template });
  }
  return { templates, ms };
}

/** Runs a command to completion or kills its process group after `timeoutMs`; resolves to the wall time. */
function runChild(command: string, args: string[], cwd: string, timeoutMs: number, name: string, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if (timedOut) reject(new Error(`${name}: no answer within ${Math.round(timeoutMs / 1000)} s`));
      else if (code !== 0) reject(new Error(`${name} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(ms);
    });
  });
}
