/**
 * What decisions.ts and proxy.ts share beyond bench/proxy/lib.ts: the
 * "others' CPU" meter with processes of our own excluded by pid (the shared
 * Redis server is part of these benchmarks, not someone else's load),
 * Redis helpers (the server's pid, INFO commandstats, removing a run's keys)
 * and small formatting functions.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

export const LIMITER_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(LIMITER_DIR, 'results');

const CLK_TCK = 100;

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, ...]; utime and stime at 11 and 12. */
function statFields(stat: string): number[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

/**
 * CPU ticks of every process that is not ours: not in one of `groups`
 * (process group ids: this process's, and those of the processes it
 * started), not one of `pids` (e.g. the shared Redis server), not a kernel
 * thread.
 */
function foreignTicks(groups: ReadonlySet<number>, pids: ReadonlySet<number>): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const pid = Number(name);
    if (pids.has(pid)) continue;
    try {
      const f = statFields(readFileSync(`/proc/${name}/stat`, 'latin1'));
      if (pid === 2 || f[1] === 2 || groups.has(f[2]!)) continue;
      ticks.set(pid, f[11]! + f[12]!);
    } catch {
      // exited meanwhile
    }
  }
  return ticks;
}

export function ownGroup(): number {
  return statFields(readFileSync('/proc/self/stat', 'latin1'))[2]!;
}

/**
 * Share of the whole machine (0..1) used by other people's processes from
 * this call until the returned function is called. A lower bound: a
 * process that started and exited inside the window is not seen.
 */
export function watchOthers(ours: () => { groups: number[]; pids: number[] }): () => number {
  const mine = (): [Set<number>, Set<number>] => {
    const o = ours();
    return [new Set([ownGroup(), ...o.groups]), new Set(o.pids)];
  };
  const before = foreignTicks(...mine());
  const t0 = Date.now();
  return () => {
    const after = foreignTicks(...mine());
    let ticks = 0;
    for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
    const seconds = (Date.now() - t0) / 1000;
    return seconds > 0 ? Math.max(0, ticks / (CLK_TCK * seconds * availableParallelism())) : 0;
  };
}

/** Wait (up to timeoutMs) for a second in which others use less than maxShare of the machine; returns the last share seen. */
export async function waitQuiet(ours: () => { groups: number[]; pids: number[] }, maxShare = 0.1, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let share = 1;
  while (Date.now() < deadline) {
    const others = watchOthers(ours);
    await new Promise((r) => setTimeout(r, 1000));
    share = others();
    if (share < maxShare) return share;
  }
  return share;
}

// ---------------------------------------------------------------- Redis

/** Only loopback Redis: these benchmarks write and delete keys. */
export function assertLoopbackRedis(url: string): void {
  const u = new URL(url);
  if (u.protocol !== 'redis:' || !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    throw new Error(`bench: only a loopback redis:// URL is allowed, not ${url}`);
  }
}

export async function redisInfo(redis: Redis, section: string): Promise<Record<string, string>> {
  const text = (await redis.info(section)) as string;
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** calls per command name from INFO commandstats ("cmdstat_get:calls=3,usec=...") */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const [k, v] of Object.entries(await redisInfo(redis, 'commandstats'))) {
    const m = /calls=([0-9]+)/.exec(v);
    if (k.startsWith('cmdstat_') && m) calls.set(k.slice('cmdstat_'.length), Number(m[1]));
  }
  return calls;
}

/** calls and microseconds of one command so far (INFO commandstats), e.g. evalsha */
export async function commandTime(redis: Redis, command: string): Promise<{ calls: number; usec: number }> {
  const line = (await redisInfo(redis, 'commandstats'))[`cmdstat_${command}`] ?? '';
  return { calls: Number(/calls=([0-9]+)/.exec(line)?.[1] ?? 0), usec: Number(/usec=([0-9]+)/.exec(line)?.[1] ?? 0) };
}

/** calls between two commandstats snapshots, by command, without the INFO calls themselves */
export function callsBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0);
    if (d > 0 && name !== 'info') out[name] = d;
  }
  return out;
}

/** Delete every key under `prefix` (SCAN + UNLINK); returns how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length < 8) throw new Error(`bench: refusing to delete keys under the short prefix ${JSON.stringify(prefix)}`);
  // SCAN's MATCH is a glob: escape its special characters in the prefix
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** How many keys are under `prefix` (a full SCAN). */
export async function countKeys(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

// ---------------------------------------------------------------- formatting

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en');
export const pct = (share: number | undefined): string => (share === undefined ? 'n/a' : `${Math.round(share * 100)}%`);
export const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
export function ratio(a: number, b: number): string {
  if (!(b > 0) || !Number.isFinite(a)) return 'n/a';
  const r = a / b;
  return r >= 10 ? r.toFixed(1) : r.toFixed(2);
}
export const stamp = (iso: string): string => iso.replace(/[:.]/g, '-');
