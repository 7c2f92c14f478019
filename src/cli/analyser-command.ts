/**
 * `apiwarden analyser -c policy`: one member of the analysers' consumer
 * group (bus.nats), writing to the policy's store (store.postgres). Runs
 * until SIGTERM or SIGINT, then stops fetching, lets the batch in hand
 * finish and be acknowledged, saves the inventory, and exits.
 */
import { startAnalyser } from '../analyser/analyser.ts';
import { createOperationalLogger } from '../gateway/runtime.ts';
import type { Io } from './main.ts';

export async function runAnalyser(configFile: string, io: Io): Promise<number> {
  const logger = createOperationalLogger();
  let analyser;
  try {
    analyser = await startAnalyser(configFile, { logger });
  } catch (error) {
    io.err(`apiwarden: analyser: ${(error as Error).message}`);
    return 1;
  }
  const running = analyser;
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'analyser stopping');
      void running.close().then(() => resolve(0), (error: unknown) => {
        logger.error({ err: error }, 'analyser did not close cleanly');
        resolve(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
