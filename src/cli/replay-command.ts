/**
 * `apiwarden replay FILE…`: recorded gateway events (apiwarden's JSON access
 * log, plain or gzipped) through detection on a simulated clock: the rules
 * run every --every of event time, so days of traffic test in seconds. It
 * prints what fired when, and a summary per rule. Nothing is enforced.
 *
 * What the access log does not keep, replay reconstructs: the values looked
 * up are the path segments under the template's parameters (the documented
 * template on the event, or one learned from the replayed paths for shadow
 * requests); the client fingerprint is not in the log, so rules that
 * attribute by fingerprint fall back to addresses, subnets and keys.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Command } from 'commander';
import { createDetector } from '../detect/engine.ts';
import { fromGatewayEvent } from '../detect/from-gateway-event.ts';
import { loadRules } from '../detect/rules.ts';
import { valuesAtParams } from '../detect/runtime.ts';
import type { Decision } from '../detect/types.ts';
import type { AlertSignal } from '../alerts/types.ts';
import { createPathTemplater } from '../discovery/templater.ts';
import { ApiwardenError } from '../errors.ts';
import type { GatewayEvent } from '../events/types.ts';
import { parseDuration } from '../config/values.ts';
import type { Io } from './main.ts';

interface ReplayOptions {
  rules?: string[];
  builtins?: boolean;
  every?: string;
  json?: boolean;
}

export async function runReplay(files: readonly string[], opts: ReplayOptions, io: Io): Promise<number> {
  const usage = (message: string): number => {
    io.err(`apiwarden replay: ${message}`);
    return 2;
  };
  if (files.length === 0) return usage('give one or more apiwarden event logs (the gateway access log)');
  let everyMs: number;
  try {
    everyMs = parseDuration(opts.every ?? '10s');
  } catch {
    return usage('--every must be a duration such as 10s');
  }
  let rules;
  try {
    rules = await loadRules(opts.rules ?? [], { builtins: opts.builtins ?? true });
  } catch (error) {
    if (error instanceof ApiwardenError) return usage(error.message);
    throw error;
  }
  const detector = createDetector({ rules });
  const templater = createPathTemplater();
  const decisions: Decision[] = [];
  const signals: AlertSignal[] = [];
  let events = 0;
  let malformed = 0;
  let first = Number.NaN;
  let last = Number.NaN;
  let nextEvaluation = Number.NaN;
  const started = performance.now();

  const evaluate = (now: number): void => {
    const result = detector.evaluate(now);
    for (const d of result.decisions) {
      decisions.push(d);
      if (!opts.json) io.out(`${iso(d.time)}  ${d.action.padEnd(5)} ${`${d.identity.kind}:${d.identity.value}`.padEnd(40)} ${d.rule}: ${d.reason}`);
    }
    signals.push(...result.signals);
  };

  for (const file of files) {
    const input = createReadStream(file);
    const stream = file.endsWith('.gz') ? input.pipe(createGunzip()) : input;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        let event: GatewayEvent;
        try {
          event = JSON.parse(line) as GatewayEvent;
          if (typeof event.time !== 'number' || typeof event.method !== 'string') throw new Error('not an event');
        } catch {
          malformed++;
          continue;
        }
        events++;
        if (Number.isNaN(first)) {
          first = event.time;
          nextEvaluation = event.time + everyMs;
        }
        // the simulated clock: rules run as the recorded time passes, not as fast as the file reads
        while (event.time >= nextEvaluation) {
          evaluate(nextEvaluation);
          nextEvaluation += everyMs;
        }
        last = event.time;
        let identifiers: string[] = [];
        let operation: string | undefined;
        if (event.path !== null && event.template !== null) {
          identifiers = valuesAtParams(event.template, event.path);
        } else if (event.path !== null && event.class !== 'rejected') {
          templater.observe(event.method, event.host, event.path);
          const learned = templater.match(event.method, event.host, event.path);
          identifiers = valuesAtParams(learned.template, event.path);
          operation = `${event.method} ${learned.template}`;
        }
        detector.observe(fromGatewayEvent(event, { fingerprint: null, identifiers, ...(operation ? { operation } : {}) }));
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return usage(`${file}: no such file`);
      throw error;
    }
  }
  if (!Number.isNaN(last)) evaluate(last + everyMs);
  const seconds = (performance.now() - started) / 1000;

  if (opts.json) {
    io.out(JSON.stringify({ events, malformed, from: iso(first), to: iso(last), decisions, signals }, null, 2));
    return 0;
  }
  const span = Number.isNaN(first) ? 0 : (last - first) / 60_000;
  io.out(`${events.toLocaleString('en')} events (${malformed} malformed) over ${span.toFixed(1)} simulated minutes, replayed in ${seconds.toFixed(1)} s: ${decisions.length} decision(s), ${signals.length} alert signal(s)`);
  const byRule = new Map<string, { decisions: number; firstAt: number }>();
  for (const d of decisions) {
    const r = byRule.get(d.rule) ?? { decisions: 0, firstAt: d.time };
    r.decisions++;
    byRule.set(d.rule, r);
  }
  for (const [rule, r] of byRule) io.out(`  ${rule}: ${r.decisions} decision(s), first at ${iso(r.firstAt)} (+${((r.firstAt - first) / 60_000).toFixed(1)} min)`);
  return 0;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

export function registerReplayCommand(program: Command, io: Io, setExitCode: (code: number) => void): void {
  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('replay')
    .description('run recorded gateway events through detection on a simulated clock and print what fired when')
    .argument('<files...>', "apiwarden event logs (the gateway's JSON access log), plain or .gz")
    .option('--rules <file>', 'a detection rules file (repeatable): new rules, or built-ins tuned by name', collect)
    .option('--no-builtins', 'only the rules of --rules files')
    .option('--every <duration>', 'how often the rules run, in event time', '10s')
    .option('--json', 'print decisions and signals as JSON')
    .action(async (files: string[], opts: ReplayOptions) => {
      setExitCode(await runReplay(files, opts, io));
    });
}
