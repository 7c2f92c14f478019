/**
 * `apiwarden keys create|list|revoke`: API keys in the SQLite key store
 * that gateways check `apiKey` schemes against.
 *
 * The database is `--db`, else the policy's `store.sqlite` (`--config`),
 * else ./apiwarden.db. Gateways read the same file (WAL mode), so a new key
 * works at once, and a revoked one stops working within the gateway's key
 * cache time (auth.schemes.<name>.apiKeys.cache, 5 s by default).
 *
 * The clear key is printed once, by `create`; the store keeps only its
 * SHA-256. `list` never shows key material.
 */
import type { Command } from 'commander';
import { loadPolicy } from '../config/load.ts';
import { parseDate } from '../config/values.ts';
import { ApiwardenError } from '../errors.ts';
import { apiKeyStatus, createSqliteApiKeyStore } from '../auth/api-key-store.ts';
import type { ApiKeyRecord, ApiKeyStore } from '../auth/api-key-store.ts';
import type { Io } from './main.ts';

export const DEFAULT_KEYS_DB = 'apiwarden.db';

interface DbOptions {
  db?: string;
  config?: string;
}

const stdio: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** The database file: --db, else the policy's store.sqlite, else ./apiwarden.db. */
export async function resolveKeysDb(options: DbOptions): Promise<string> {
  if (options.db) return options.db;
  if (options.config) {
    const file = (await loadPolicy(options.config)).store.sqlite;
    if (file === ':memory:') {
      throw new ApiwardenError('KEYS_NO_STORE', `${options.config}: store.sqlite is ':memory:', which no other process can reach; give --db or a store file`);
    }
    return file;
  }
  return DEFAULT_KEYS_DB;
}

const EXPIRY_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `--expires`: a duration from now (30m, 12h, 90d, 2w) or a date
 * (2026-12-31, meaning its start in UTC, or a date-time with a zone).
 */
export function parseExpiry(text: string, now: number): number {
  const match = /^(\d+)([mhdw])$/.exec(text.trim());
  if (match) {
    const ms = Number(match[1]) * EXPIRY_UNITS[match[2]!]!;
    if (ms <= 0 || !Number.isSafeInteger(now + ms)) throw new ApiwardenError('KEYS_ARGUMENT', `--expires: "${text}" must be more than 0`);
    return now + ms;
  }
  let date: Date;
  try {
    date = parseDate(text);
  } catch (error) {
    throw new ApiwardenError('KEYS_ARGUMENT', `--expires: ${(error as Error).message}, or a duration such as 90d, 12h, 2w`, { cause: error });
  }
  if (date.getTime() <= now) throw new ApiwardenError('KEYS_ARGUMENT', `--expires: ${date.toISOString()} is in the past`);
  return date.getTime();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The `keys list` table: id, owner, scopes, plan, created, expires, status. Never key material. */
export function formatKeyTable(records: readonly ApiKeyRecord[], now: number): string {
  const header = ['ID', 'OWNER', 'SCOPES', 'PLAN', 'CREATED', 'EXPIRES', 'STATUS'];
  const rows = records.map((r) => [
    r.id,
    r.owner,
    r.scopes.length > 0 ? r.scopes.join(',') : '-',
    r.plan ?? '-',
    formatTime(r.createdAt),
    formatTime(r.expiresAt),
    apiKeyStatus(r, now),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function withStore<T>(options: DbOptions, run: (store: ApiKeyStore) => Promise<T>): Promise<T> {
  const store = createSqliteApiKeyStore(await resolveKeysDb(options));
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

/**
 * Adds `keys create|list|revoke` to the program. `io` defaults to
 * stdout/stderr; `setExit` receives the exit code of a command that fails
 * without throwing (revoking an unknown key), default process.exitCode.
 * Errors are ApiwardenError (code API_KEY_INPUT, KEYS_ARGUMENT...).
 */
export function registerKeysCommand(
  program: Command,
  io: Io = stdio,
  setExit: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): void {
  const keys = program.command('keys').description('create, list and revoke API keys (stored as SHA-256 hashes)');
  const dbOption = ['--db <file>', `SQLite database (default: the policy's store.sqlite, else ./${DEFAULT_KEYS_DB})`] as const;
  const configOption = ['-c, --config <file>', 'policy file (apiwarden.yaml) whose store.sqlite holds the keys'] as const;

  keys
    .command('create')
    .description('issue a key; it is printed once and never stored')
    .requiredOption('--owner <owner>', 'who the key is for (the principal\'s subject)')
    .option('--scope <scope>', 'a scope granted to the key (repeat for more)', collect, [])
    .option('--role <role>', 'a role granted to the key (repeat for more)', collect, [])
    .option('--plan <plan>', 'rate-limit plan')
    .option('--expires <when>', 'expiry: a duration (90d, 12h, 2w) or a date (2026-12-31)')
    .option('--name <name>', 'a label to recognise the key by')
    .option('--json', 'print JSON: { id, key, record }')
    .option(...dbOption)
    .option(...configOption)
    .action(async (opts: DbOptions & { owner: string; scope: string[]; role: string[]; plan?: string; expires?: string; name?: string; json?: boolean }) => {
      const now = Date.now();
      const expiresAt = opts.expires === undefined ? null : parseExpiry(opts.expires, now);
      const created = await withStore(opts, (store) =>
        store.create({ owner: opts.owner, scopes: opts.scope, roles: opts.role, plan: opts.plan ?? null, expiresAt, name: opts.name ?? null }),
      );
      if (opts.json) {
        io.out(JSON.stringify(created, null, 2));
        return;
      }
      const r = created.record;
      io.out(`created API key ${created.id} for ${r.owner}`);
      io.out(`  scopes:  ${r.scopes.join(' ') || '-'}`);
      if (r.roles.length > 0) io.out(`  roles:   ${r.roles.join(' ')}`);
      if (r.plan !== null) io.out(`  plan:    ${r.plan}`);
      io.out(`  expires: ${r.expiresAt === null ? 'never' : formatTime(r.expiresAt)}`);
      io.out('');
      io.out(`  key: ${created.key}`);
      io.out('');
      io.out('This is the only time the key is shown: apiwarden stores only its hash. Copy it now.');
    });

  keys
    .command('list')
    .description('keys with their owner, scopes, plan, dates and status (never key material)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON')
    .option(...dbOption)
    .option(...configOption)
    .action(async (opts: DbOptions & { all?: boolean; json?: boolean }) => {
      const records = await withStore(opts, (store) => store.list({ includeRevoked: opts.all ?? false }));
      const now = Date.now();
      if (opts.json) io.out(JSON.stringify(records.map((r) => ({ ...r, status: apiKeyStatus(r, now) })), null, 2));
      else if (records.length === 0) io.out(opts.all ? 'no API keys' : 'no API keys (revoked ones: --all)');
      else io.out(formatKeyTable(records, now));
    });

  keys
    .command('revoke <id>')
    .description('revoke a key by id; gateways refuse it within their key cache time (5 s by default)')
    .option(...dbOption)
    .option(...configOption)
    .action(async (id: string, opts: DbOptions) => {
      const isRevoked = await withStore(opts, (store) => store.revoke(id));
      if (isRevoked) {
        io.out(`revoked API key ${id}`);
      } else {
        io.err(`apiwarden: no active API key ${id}`);
        setExit(1);
      }
    });
}
