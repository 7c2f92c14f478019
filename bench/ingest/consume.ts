/**
 * One measured reader process of the ingest benchmark (run.ts starts it
 * under `taskset` and `/usr/bin/time -v`). Modes:
 *
 * - baseline: load the reader's modules and exit (the fixed cost of a Node
 *   process that runs TypeScript: RSS before any byte is read);
 * - split: read the file in 64 KiB chunks, split lines, decode each line
 *   (latin1), parse nothing: the floor under any parser;
 * - parse: readLog(file).batches(), counting records: parsing only;
 * - consume: `for await (const request of readLog(file))` with a trivial
 *   consumer (counts by method and status class, sum of bytes, distinct
 *   status codes): what a caller of the public iterator pays;
 * - discover: what `apiwarden discover FILE` does minus the report:
 *   readLog(file).batches(), inventory.observe() per record (templater,
 *   counters), inventory.endpoints() at the end. `--json OUT` also writes
 *   the endpoints as JSON (outside the measured time) to compare runs.
 *
 * Prints one JSON line: lines, parsed, malformed, the wall and CPU seconds
 * spent reading (measured inside, without process start-up and module
 * loading), maxRSS, and the V8 young and old generation sizes at the end
 * (to tell live data from the young generation V8 grows under allocation).
 *
 *   node bench/ingest/consume.ts <mode> <file> [--json OUT]
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { createInventory } from '../../src/discovery/inventory.ts';
import type { InventoryEndpoint } from '../../src/discovery/types.ts';
import { createLineSplitter } from '../../src/ingest/line-splitter.ts';
import { readLog } from '../../src/ingest/read-log.ts';

const [mode, file, jsonFlag, jsonOut] = process.argv.slice(2);
if (mode === undefined || file === undefined || (jsonFlag !== undefined && (jsonFlag !== '--json' || jsonOut === undefined))) {
  console.error('usage: node bench/ingest/consume.ts baseline|split|parse|consume|discover <file> [--json OUT]');
  process.exit(1);
}

interface Result {
  mode: string;
  lines: number;
  parsed: number;
  malformed: number;
  seconds: number;
  cpuSeconds: number;
  maxRssKb: number;
  check: number;
}

async function split(path: string): Promise<{ lines: number; check: number }> {
  let lines = 0;
  let check = 0;
  const splitter = createLineSplitter(
    {
      onLine(buffer, start, end) {
        lines++;
        check += buffer.toString('latin1', start, end).length;
      },
      onOverlong() {
        lines++;
      },
    },
    1024 * 1024,
  );
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) splitter.push(chunk);
  splitter.end();
  return { lines, check };
}

const started = performance.now();
const cpuStarted = process.cpuUsage();
let result: Omit<Result, 'seconds' | 'cpuSeconds' | 'maxRssKb'>;
let endpoints: InventoryEndpoint[] | null = null;
if (mode === 'baseline') {
  result = { mode, lines: 0, parsed: 0, malformed: 0, check: 0 };
} else if (mode === 'split') {
  const { lines, check } = await split(file);
  result = { mode, lines, parsed: 0, malformed: 0, check };
} else if (mode === 'parse') {
  const reader = readLog(file);
  let records = 0;
  for await (const batch of reader.batches()) records += batch.length;
  result = { mode, lines: reader.stats.lines, parsed: reader.stats.parsed, malformed: reader.stats.malformed, check: records };
} else if (mode === 'consume') {
  const reader = readLog(file);
  const byMethod = new Map<string, number>();
  const byClass = [0, 0, 0, 0, 0, 0];
  const statuses = new Set<number>();
  let bytes = 0;
  for await (const request of reader) {
    byMethod.set(request.method, (byMethod.get(request.method) ?? 0) + 1);
    byClass[Math.floor(request.status / 100)]! += 1;
    statuses.add(request.status);
    bytes += request.bytesOut ?? 0;
  }
  result = { mode, lines: reader.stats.lines, parsed: reader.stats.parsed, malformed: reader.stats.malformed, check: bytes + byMethod.size + statuses.size };
} else if (mode === 'discover') {
  // as runDiscover (src/cli/discover-command.ts) with no document and the default sample rate
  const inventory = createInventory({ routes: null, sampleRate: 1 });
  const reader = readLog(file);
  for await (const batch of reader.batches()) {
    for (const request of batch) inventory.observe(request);
  }
  endpoints = inventory.endpoints();
  result = { mode, lines: reader.stats.lines, parsed: reader.stats.parsed, malformed: reader.stats.malformed, check: endpoints.length };
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(1);
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
if (jsonOut !== undefined && endpoints !== null) writeFileSync(jsonOut, `${JSON.stringify(endpoints, null, 1)}\n`);
const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s]));
const mb = (bytes: number | undefined): number => Math.round(((bytes ?? 0) / 1048576) * 10) / 10;
console.log(
  JSON.stringify({
    ...result,
    seconds,
    cpuSeconds,
    maxRssKb: process.resourceUsage().maxRSS,
    newSpaceMb: mb(spaces.new_space?.space_size),
    oldSpaceMb: mb(spaces.old_space?.space_size),
  }),
);
