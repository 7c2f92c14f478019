/**
 * `apiwarden migrate -c policy`: bring the policy's PostgreSQL store to the
 * schema this version needs (the store also does it on start; a deployment
 * may prefer to run it once, before rolling out new analysers). Versioned,
 * in one transaction per file, under an advisory lock: several at once are
 * safe. A database newer than this code is refused, never downgraded.
 */
import type { Command } from 'commander';
import { resolveSecret } from '../config/auth.ts';
import { loadPolicy } from '../config/load.ts';
import { migratePostgres, messageOf } from '../store/migrate.ts';
import type { Io } from './main.ts';

export function registerMigrateCommand(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command('migrate')
    .description("apply the PostgreSQL store's schema migrations (store.postgres in the policy)")
    .requiredOption('-c, --config <file>', 'policy file')
    .action(async (opts: { config: string }) => {
      const policy = await loadPolicy(opts.config);
      if (policy.store.postgres === null) {
        io.err(`apiwarden: ${opts.config}: store.postgres is not set; SQLite migrates itself when it opens`);
        setExitCode(2);
        return;
      }
      try {
        const result = await migratePostgres(resolveSecret(policy.store.postgres.url, 'store.postgres.url'), policy.store.postgres.schema);
        io.out(result.applied.length === 0
          ? `schema ${policy.store.postgres.schema} is at version ${result.to}; nothing to apply`
          : `schema ${policy.store.postgres.schema}: version ${result.from} → ${result.to} (${result.applied.join(', ')})`);
        setExitCode(0);
      } catch (error) {
        io.err(`apiwarden: migrate: ${messageOf(error)}`);
        setExitCode(1);
      }
    });
}
