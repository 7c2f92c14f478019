/**
 * Discovery inside a running gateway: the inventory, the tap the gateway
 * feeds, and a timer that writes the inventory to the store. On start, the
 * inventory continues from the last snapshot, so a restart loses at most
 * one save interval of counts.
 */
import type { DiscoveryConfig } from '../config/types.ts';
import { singleFlight } from '../single-flight.ts';
import type { Store } from '../store/types.ts';
import { createDiscoveryTap, type DiscoveryTap } from './gateway-tap.ts';
import { createInventory, type Inventory } from './inventory.ts';

export interface DiscoveryRuntime {
  readonly inventory: Inventory;
  readonly tap: DiscoveryTap;
  /** write the inventory now; never rejects (failures go to the log) */
  save(): Promise<void>;
  /** stop the timer and write a last snapshot */
  close(): Promise<void>;
}

type Log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

export async function createDiscoveryRuntime(config: DiscoveryConfig, store: Store, log: Log): Promise<DiscoveryRuntime> {
  const inventory = createInventory({ sampleRate: 1, maxBodyBytes: config.maxBodyBytes, maxEndpoints: config.maxEndpoints });
  try {
    inventory.restore(await store.listInventory());
  } catch (error) {
    log('warn', 'the stored inventory could not be read; discovery starts empty', { error: (error as Error).message });
  }
  // the tap samples (sampleRate); every request it captured is inspected
  const tap = createDiscoveryTap({ inventory, sampleRate: config.sampleRate, maxBodyBytes: config.maxBodyBytes });
  let lastSaved = -1;

  async function write(): Promise<void> {
    try {
      const requests = inventory.stats().requests;
      if (requests === lastSaved) return;
      await store.saveInventory(inventory.endpoints());
      lastSaved = requests;
    } catch (error) {
      log('error', 'inventory save failed; the next save retries', { error: (error as Error).message });
    }
  }

  const save = singleFlight(write);

  const timer = setInterval(() => void save(), config.saveIntervalMs);
  timer.unref();

  return {
    inventory,
    tap,
    save,
    async close() {
      clearInterval(timer);
      // waits for a save in progress, then saves what came since (nothing new: no write)
      await save();
      await save();
    },
  };
}
