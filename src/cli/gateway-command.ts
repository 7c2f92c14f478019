import cluster from 'node:cluster';
import { loadPolicy } from '../config/load.ts';
import { startGatewayRuntime } from '../gateway/runtime.ts';
import type { Io } from './main.ts';

/**
 * `apiwarden gateway`: one process, or with `workers: N` a primary that
 * forks N workers, each binding the port with SO_REUSEPORT so that the
 * kernel spreads connections over the cores. The primary forwards SIGHUP
 * (reload) and SIGTERM (graceful stop) to the workers.
 */
export async function runGateway(file: string, options: { watch: boolean }, io: Io): Promise<number> {
  const config = await loadPolicy(file);
  const workers = Math.max(...config.listeners.map((l) => l.workers));

  if (workers > 1 && cluster.isPrimary) {
    io.err(`apiwarden: starting ${workers} workers`);
    for (let i = 0; i < workers; i++) cluster.fork();
    let stopping = false;
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return new Promise((resolve) => {
      cluster.on('exit', (worker, code) => {
        if (!stopping) {
          io.err(`apiwarden: worker ${worker.process.pid} exited with ${code}; starting another`);
          cluster.fork();
          return;
        }
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
      });
    });
  }

  // a single process, or one worker of the cluster; watching files in every
  // worker would reload N times, so workers reload on the SIGHUP the primary forwards
  // the admin listener shows one process's state: in a cluster, the first worker's (docs/console.md)
  await startGatewayRuntime(config, { watchFiles: options.watch && cluster.isPrimary, handleSignals: true, admin: cluster.isPrimary || cluster.worker?.id === 1 });
  return new Promise(() => {
    // serves until a signal stops the process
  });
}
