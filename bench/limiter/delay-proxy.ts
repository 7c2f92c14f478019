/**
 * A TCP relay on loopback that holds every chunk for a fixed time in each
 * direction, so that a client on this machine sees Redis as if it were
 * across a network (a round trip of twice the delay, plus loopback's own).
 * Order is kept: chunks of one direction are written in the order they
 * arrived, each after the delay. Used by bench/limiter/redis-rtt.ts in its
 * own process, so that relaying costs the measured process nothing.
 *
 *   node bench/limiter/delay-proxy.ts <target port> <one-way delay ms>
 *
 * Listens on 127.0.0.1 on a free port, prints `READY <port>`, and relays
 * only to 127.0.0.1:<target port>. Ends on SIGTERM or when stdin closes.
 */
import { createConnection, createServer, type Socket } from 'node:net';

const targetPort = Number(process.argv[2]);
const delayMs = Number(process.argv[3]);
if (!Number.isInteger(targetPort) || targetPort <= 0 || !(delayMs >= 0)) {
  process.stderr.write('usage: delay-proxy.ts <target port> <one-way delay ms>\n');
  process.exit(2);
}

/** writes what `from` sends to `to`, each chunk `delayMs` after it arrived */
function relay(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('error', () => to.destroy());
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = createConnection({ host: '127.0.0.1', port: targetPort, noDelay: true });
  relay(client, upstream);
  relay(upstream, client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.stdout.write(`READY ${address.port}\n`);
});

const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
