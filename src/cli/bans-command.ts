/**
 * `apiwarden bans list|add|remove`: operator bans in the limiter store that
 * every gateway instance reads. With `rateLimits.store: redis` the change
 * reaches every instance within a second (their ban mirrors refresh). The
 * memory store lives inside one gateway process, out of reach of another
 * process: then the command says so instead of pretending.
 */
import type { Command } from 'commander';
import { loadPolicy, parseDuration } from '../config/load.ts';
import { canonicalIp, isIpAddress, parseCidr } from '../config/values.ts';
import { ApiwardenError } from '../errors.ts';
import { createLimiterRedisClient } from '../limiter/resilient-store.ts';
import { createRedisLimiterStore } from '../limiter/redis-store.ts';
import type { Ban, LimiterStore } from '../limiter/types.ts';
import type { Io } from './main.ts';

interface StoreOptions {
  config: string;
}

/** "203.0.113.7" → ip:…, "203.0.113.0/24" → subnet:…, "apikey:…" and "principal:…" as written. */
export function parseBanKey(value: string): string {
  const text = value.trim();
  if (/^(apikey|principal):.+/.test(text)) return text;
  const stripped = text.replace(/^(ip|subnet):/, '');
  if (isIpAddress(stripped)) return `ip:${canonicalIp(stripped)}`;
  if (stripped.includes('/')) return `subnet:${parseCidr(stripped)}`;
  throw new ApiwardenError('BAN_KEY', `"${value}" is not a ban key; give an IP address, a CIDR, apikey:<id> or principal:<id>`);
}

async function openStore(configFile: string): Promise<{ store: LimiterStore; close: () => Promise<void> }> {
  const config = await loadPolicy(configFile);
  const limits = config.rateLimits;
  if (limits.store !== 'redis') {
    throw new ApiwardenError('BANS_NEED_SHARED_STORE', `${config.source}: rateLimits.store is 'memory', which lives inside the gateway process; bans from the command line need rateLimits.store: redis`);
  }
  const redis = createLimiterRedisClient(limits.redis.cluster.length > 0 ? { cluster: limits.redis.cluster } : { url: limits.redis.url }, 2000);
  const store = createRedisLimiterStore({ redis, prefix: limits.redis.prefix });
  return {
    store,
    close: async () => {
      await store.close();
      redis.disconnect();
    },
  };
}

function formatBan(ban: Ban, now: number): string {
  const left = Math.max(0, Math.round((ban.until - now) / 1000));
  return `${ban.key.padEnd(40)} ${new Date(ban.until).toISOString()}  ${String(left).padStart(8)}s  level ${ban.level}  ${ban.reason}`;
}

export function registerBansCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const bans = program.command('bans').description('list, add and remove bans in the shared limiter store (rateLimits.store: redis)');

  bans
    .command('list')
    .description('active bans, longest first')
    .requiredOption('-c, --config <file>', 'policy file (apiwarden.yaml)')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (opts: StoreOptions & { json?: boolean; limit: string }) => {
      const { store, close } = await openStore(opts.config);
      try {
        const now = Date.now();
        const list = await store.listBans(now, Number(opts.limit));
        if (opts.json) io.out(JSON.stringify(list, null, 2));
        else if (list.length === 0) io.out('no active bans');
        else for (const ban of list) io.out(formatBan(ban, now));
      } finally {
        await close();
      }
    });

  bans
    .command('add <key>')
    .description('ban an IP address, a subnet (CIDR), apikey:<id> or principal:<id>')
    .requiredOption('-c, --config <file>', 'policy file (apiwarden.yaml)')
    .option('--for <duration>', 'how long, e.g. 10m, 1h, 1d', '1h')
    .option('--reason <text>', 'why (shown in bans list and events)', 'operator')
    .action(async (key: string, opts: StoreOptions & { for: string; reason: string }) => {
      const banKey = parseBanKey(key);
      let ms: number;
      try {
        ms = parseDuration(opts.for);
      } catch (error) {
        throw new ApiwardenError('BAN_DURATION', `--for: ${(error as Error).message}`);
      }
      const { store, close } = await openStore(opts.config);
      try {
        const until = Date.now() + ms;
        await store.addBan({ key: banKey, until, level: 0, reason: opts.reason });
        io.out(`banned ${banKey} until ${new Date(until).toISOString()}`);
      } finally {
        await close();
      }
    });

  bans
    .command('remove <key>')
    .description('lift a ban')
    .requiredOption('-c, --config <file>', 'policy file (apiwarden.yaml)')
    .action(async (key: string, opts: StoreOptions) => {
      const banKey = parseBanKey(key);
      const { store, close } = await openStore(opts.config);
      try {
        const removed = await store.removeBan(banKey);
        io.out(removed ? `removed the ban on ${banKey}` : `no ban on ${banKey}`);
        if (!removed) setExit(1);
      } finally {
        await close();
      }
    });
}
