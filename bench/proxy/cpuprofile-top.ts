/**
 * Summarise V8 .cpuprofile files (from `node --cpu-prof`): self time
 * aggregated by function + file + line, the top N, and the same time
 * grouped by where the code comes from (apiwarden's src/, undici, Node's
 * http, ...), so "what costs the most" reads at a glance.
 *
 *   node bench/proxy/cpuprofile-top.ts [--top 15] [--json] [--from ms] [--to ms] file.cpuprofile [more ...]
 *   node bench/proxy/cpuprofile-top.ts --callers DOMException [--depth 4] file.cpuprofile
 *
 * "(idle)" is time the thread waited in epoll (with the kernel's network
 * work done meanwhile); it is shown, and the percentages of the busy time
 * exclude it.
 */

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ROOT } from './lib.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Entry {
  name: string;
  where: string;
  group: string;
  selfMs: number;
}

export interface Summary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  functions: Entry[];
  groups: Array<{ group: string; selfMs: number }>;
  /** apiwarden's own functions (src/) by inclusive time: themselves and everything they call */
  inclusive: Array<{ name: string; where: string; totalMs: number }>;
}

export interface Window {
  /** ignore samples before this many ms after the profile's start */
  fromMs?: number;
  /** ignore samples after this many ms after the profile's start */
  toMs?: number;
}

export function summarise(files: readonly string[], window: Window = {}): Summary {
  const byKey = new Map<string, Entry>();
  const inclusive = new Map<string, { name: string; where: string; totalMs: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const from = (window.fromMs ?? 0) * 1000;
    const to = (window.toMs ?? Number.POSITIVE_INFINITY) * 1000;
    let at = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      // timeDeltas[i] is the time since the previous sample; attribute the
      // interval that ends at sample i+1 to sample i (V8's own convention)
      at += profile.timeDeltas[i] ?? 0;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      if (dt <= 0 || at < from || at > to) continue;
      const node = nodes.get(profile.samples[i]!);
      if (!node) continue;
      const f = node.callFrame;
      totalUs += dt;
      if (f.functionName === '(idle)') {
        idleUs += dt;
        continue;
      }
      const where = shortUrl(f.url, f.lineNumber);
      const name = f.functionName || '(anonymous)';
      const key = `${name}\u0000${where}`;
      let e = byKey.get(key);
      if (!e) {
        e = { name, where, group: groupOf(f), selfMs: 0 };
        byKey.set(key, e);
      }
      e.selfMs += dt / 1000;
      // inclusive time of apiwarden's functions on this stack, each counted once
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const cf = nodes.get(id)!.callFrame;
        if (!isOwnCode(cf.url)) continue;
        const w = shortUrl(cf.url, cf.lineNumber);
        const n = cf.functionName || '(anonymous)';
        const k = `${n}\u0000${w}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const inc = inclusive.get(k) ?? { name: n, where: w, totalMs: 0 };
        inc.totalMs += dt / 1000;
        inclusive.set(k, inc);
      }
    }
  }
  const functions = [...byKey.values()].sort((a, b) => b.selfMs - a.selfMs);
  const groups = new Map<string, number>();
  for (const e of functions) groups.set(e.group, (groups.get(e.group) ?? 0) + e.selfMs);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: (totalUs - idleUs) / 1000,
    functions,
    groups: [...groups].map(([group, selfMs]) => ({ group, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    inclusive: [...inclusive.values()].sort((a, b) => b.totalMs - a.totalMs),
  };
}

function isOwnCode(url: string): boolean {
  return url.startsWith('file://') && url.includes('/src/') && !url.includes('node_modules');
}

function shortUrl(url: string, line: number): string {
  if (url === '') return '(native)';
  let path = url;
  if (url.startsWith('file://')) {
    try {
      path = relative(ROOT, fileURLToPath(url));
    } catch {
      path = url;
    }
  }
  // V8 line numbers are 0-based
  return `${path}:${line + 1}`;
}

/** Where a function comes from, for the grouped view. */
function groupOf(f: CallFrame): string {
  const u = f.url;
  if (u === '') {
    if (f.functionName === '(garbage collector)') return 'garbage collector';
    if (f.functionName === '(program)') return 'V8/native (program)';
    // native functions called from JS: writev, writeLatin1String, ...
    return 'native bindings (writev, string encoding, ...)';
  }
  const m = /\/src\/([a-z]+)\//.exec(u);
  if (m && !u.includes('node_modules')) return `apiwarden src/${m[1]}`;
  if (u.includes('node_modules/undici/')) return 'undici (upstream client)';
  if (u.includes('node_modules/pino') || u.includes('node_modules/sonic-boom')) return 'pino / sonic-boom';
  if (u.includes('node_modules/find-my-way')) return 'find-my-way (router)';
  if (u.includes('node_modules/')) return `node_modules/${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? '?'}`;
  if (/^node:(_http_|http)/.test(u)) return 'node:http (server)';
  if (u.startsWith('node:internal/streams') || u === 'node:stream') return 'node streams';
  if (u.startsWith('node:internal/deps/undici')) return 'node bundled undici';
  if (u.startsWith('node:internal/crypto') || u === 'node:crypto') return 'node:crypto';
  if (u.startsWith('node:internal/timers') || u === 'node:timers') return 'node timers';
  if (u.startsWith('node:net') || u.startsWith('node:internal/stream_base_commons')) return 'node:net (sockets)';
  if (u.startsWith('node:sqlite')) return 'node:sqlite';
  if (u === 'node:internal/per_context/domexception' || u === 'node:internal/abort_controller') return 'AbortController / DOMException';
  if (u === 'node:events') return 'node:events (emit, listeners)';
  if (u.startsWith('node:internal/process/task_queues') || u === 'node:async_hooks' || u.startsWith('node:internal/async_hooks')) return 'nextTick / microtasks / async_hooks';
  if (u.startsWith('node:internal/url') || u === 'node:url') return 'node:url';
  if (u.startsWith('node:')) return 'node internals (other)';
  return 'other';
}

export function formatSummary(s: Summary, top: number): string {
  const pct = (ms: number): string => `${((ms / s.busyMs) * 100).toFixed(1)}%`;
  const lines: string[] = [];
  lines.push(`profiled ${(s.totalMs / 1000).toFixed(1)} s: busy ${(s.busyMs / 1000).toFixed(1)} s, idle (epoll wait) ${(s.idleMs / 1000).toFixed(1)} s; shares are of the busy time`);
  lines.push('', `top ${top} functions by self time:`, '', '| # | self | function | where |', '| ---: | ---: | --- | --- |');
  s.functions.slice(0, top).forEach((e, i) => lines.push(`| ${i + 1} | ${pct(e.selfMs)} | \`${e.name}\` | ${e.where} |`));
  lines.push('', 'self time by origin:', '', '| self | origin |', '| ---: | --- |');
  for (const g of s.groups.slice(0, 16)) lines.push(`| ${pct(g.selfMs)} | ${g.group} |`);
  if (s.inclusive.length) {
    lines.push('', "apiwarden's own functions by inclusive time (with what they call):", '', '| total | function | where |', '| ---: | --- | --- |');
    for (const e of s.inclusive.slice(0, 12)) lines.push(`| ${pct(e.totalMs)} | \`${e.name}\` | ${e.where} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Who calls a function: its self time split by the chain of callers above it
 * (`depth` frames), to tell for instance which code creates DOMExceptions.
 */
export function callers(files: readonly string[], functionName: string, depth = 4): Array<{ chain: string; selfMs: number }> {
  const byChain = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i + 1] ?? 0;
      const node = nodes.get(profile.samples[i]!);
      if (!node || dt <= 0 || node.callFrame.functionName !== functionName) continue;
      const chain: string[] = [];
      let id = parent.get(node.id);
      while (id !== undefined && chain.length < depth) {
        const f = nodes.get(id)!.callFrame;
        chain.push(`${f.functionName || '(anonymous)'} ${shortUrl(f.url, f.lineNumber)}`);
        id = parent.get(id);
      }
      const key = chain.join(' < ');
      byChain.set(key, (byChain.get(key) ?? 0) + dt / 1000);
    }
  }
  return [...byChain].map(([chain, selfMs]) => ({ chain, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '15' },
      json: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      callers: { type: 'string' },
      depth: { type: 'string', default: '4' },
    },
  });
  if (values.callers) {
    for (const c of callers(positionals, values.callers, Number(values.depth)).slice(0, 10)) {
      process.stdout.write(`${c.selfMs.toFixed(0).padStart(6)} ms  ${c.chain}\n`);
    }
    process.exit(0);
  }
  if (positionals.length === 0) {
    process.stderr.write('usage: node bench/proxy/cpuprofile-top.ts [--top 15] [--json] file.cpuprofile ...\n');
    process.exit(2);
  }
  const summary = summarise(positionals, {
    ...(values.from ? { fromMs: Number(values.from) } : {}),
    ...(values.to ? { toMs: Number(values.to) } : {}),
  });
  if (values.json) process.stdout.write(JSON.stringify({ ...summary, functions: summary.functions.slice(0, 50), inclusive: summary.inclusive.slice(0, 50) }, null, 2) + '\n');
  else process.stdout.write(formatSummary(summary, Number(values.top)));
}
