import { loadPolicy } from '../config/load.ts';
import type { RequestClass } from '../events/types.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import { formatInventory } from './inventory-format.ts';
import type { Io } from './main.ts';

const CLASSES: readonly RequestClass[] = ['documented', 'shadow', 'zombie', 'unknown', 'rejected'];

/** `apiwarden inventory`: the endpoints the gateway has recorded. */
export async function runInventory(opts: { config?: string; db?: string; class?: string; json?: boolean }, io: Io): Promise<number> {
  if (opts.class !== undefined && !CLASSES.includes(opts.class as RequestClass)) {
    io.err(`apiwarden: --class must be one of ${CLASSES.join(', ')}`);
    return 2;
  }
  let db = opts.db;
  if (!db) {
    if (!opts.config) {
      io.err('apiwarden: give --config <policy file> or --db <database>');
      return 2;
    }
    db = (await loadPolicy(opts.config)).store.sqlite;
  }
  if (db === ':memory:') {
    io.err('apiwarden: this policy keeps its store in memory; nothing to read after the gateway stopped');
    return 1;
  }
  const store = createSqliteStore(db);
  try {
    const records = await store.listEndpoints(opts.class ? { class: opts.class as RequestClass } : {});
    io.out(opts.json ? JSON.stringify(records, null, 2) : formatInventory(records, { color: process.stdout.isTTY }));
    return 0;
  } finally {
    await store.close();
  }
}
