import { curlLines, printFindings, printInventory, runTour, startDemo } from '../demo/demo.ts';
import type { Io } from './main.ts';

/** `apiwarden demo`: the incident, reproduced on loopback, with the gateway in front. */
export async function runDemo(opts: { port: number; mode: string; exit: boolean; adminPort: number | null }, io: Io): Promise<number> {
  if (opts.mode !== 'enforce' && opts.mode !== 'monitor') {
    io.err('apiwarden: --mode must be enforce or monitor');
    return 2;
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    io.err('apiwarden: --port must be a port number');
    return 2;
  }
  if (opts.adminPort !== null && (!Number.isInteger(opts.adminPort) || opts.adminPort < 0 || opts.adminPort > 65535)) {
    io.err('apiwarden: --admin-port must be a port number');
    return 2;
  }
  const demo = await startDemo({ port: opts.port, mode: opts.mode, adminPort: opts.exit ? null : opts.adminPort, ...(process.env.APIWARDEN_ADMIN_TOKEN ? { adminToken: process.env.APIWARDEN_ADMIN_TOKEN } : {}) });
  io.out(`apiwarden demo (${opts.mode} mode)`);
  io.out(`  demo API (upstream): ${demo.upstream.url}`);
  io.out(`  gateway:             ${demo.gatewayUrl}`);
  if (demo.admin) io.out(`  console:             ${demo.admin.url}/  (admin token: ${demo.admin.token})`);
  io.out('\nA guided tour: each request goes through the gateway.');
  await runTour(demo, io.out);
  await printInventory(demo, io.out);
  await printFindings(demo, io.out);
  if (opts.exit) {
    await demo.close();
    return 0;
  }
  io.out('\nTry it yourself:');
  for (const line of curlLines(demo.gatewayUrl, demo.upstream.token)) io.out(`  ${line}`);
  io.out('\nPress Ctrl-C to stop.');
  return new Promise((resolve) => {
    const stop = (): void => {
      void demo.close().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
