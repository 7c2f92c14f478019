/**
 * The Node peer of the proxy benchmark: fastify + @fastify/http-proxy (which
 * forwards with undici, like apiwarden), one worker process per core with
 * node:cluster, as a user would deploy it. It forwards every path to the
 * upstream and does nothing else: no routing against a document, no events.
 *
 *   node bench/proxy/fastify-peer.ts --port 18083 --upstream http://127.0.0.1:18080 --workers 2
 *
 * Each worker binds the port itself with SO_REUSEPORT (`reusePort` +
 * `exclusive`, exactly what apiwarden does), so the kernel spreads the
 * connections; `--round-robin` uses node:cluster's default instead (the
 * primary accepts and hands connections to the workers).
 */

import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import httpProxy from '@fastify/http-proxy';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '18083' },
    upstream: { type: 'string', default: 'http://127.0.0.1:18080' },
    workers: { type: 'string', default: String(availableParallelism()) },
    connections: { type: 'string', default: '128' },
    'round-robin': { type: 'boolean', default: false },
  },
});

const workers = Number(values.workers);
const port = Number(values.port);
const reusePort = workers > 1 && !values['round-robin'];

if (workers > 1 && cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      process.stderr.write(`fastify-peer: worker ${worker.process.pid} exited with ${code}\n`);
      process.exitCode = 1;
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
  });
  const stop = (): void => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const app = Fastify({ logger: false });
  await app.register(httpProxy, {
    upstream: values.upstream,
    // the same undici pool settings as apiwarden's upstream pool
    undici: { connections: Number(values.connections), pipelining: 1 },
    // X-Forwarded-For is what apiwarden and the nginx/HAProxy peers send too
    replyOptions: {
      rewriteRequestHeaders: (req, headers) => ({ ...headers, 'x-forwarded-for': req.ip, 'x-forwarded-proto': 'http' }),
    },
  });
  // fastify hands these options to net.Server#listen as they are
  const listen = { host: values.host, port, ...(reusePort ? { reusePort: true, exclusive: true } : {}) };
  await app.listen(listen as { host: string; port: number });
  const close = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  if (cluster.isPrimary) process.stderr.write(`fastify-peer: listening on ${values.host}:${port}\n`);
}
