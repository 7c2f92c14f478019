/**
 * The store a process uses, from the policy: SQLite (one process, the
 * default) or PostgreSQL (many gateways, analysers writing it). The
 * PostgreSQL URL is a secret reference: it may carry a password, which must
 * not sit in the policy file nor reach a log.
 */
import { resolveSecret } from '../config/auth.ts';
import type { StoreConfig } from '../config/types.ts';
import { createPostgresStore } from './postgres.ts';
import { createSqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export async function openStore(config: StoreConfig, options: { applicationName?: string; onBackgroundError?: (error: unknown) => void } = {}): Promise<Store> {
  if (config.postgres === null) return createSqliteStore(config.sqlite);
  return createPostgresStore({
    url: resolveSecret(config.postgres.url, 'store.postgres.url'),
    schema: config.postgres.schema,
    poolSize: config.postgres.poolSize,
    ...(options.applicationName ? { applicationName: options.applicationName } : {}),
    ...(options.onBackgroundError ? { onBackgroundError: options.onBackgroundError } : {}),
  });
}
