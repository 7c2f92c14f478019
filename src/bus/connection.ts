/**
 * One NATS connection that never gives up, for the publisher, the consumer
 * and the decision channel.
 *
 * Why not just `connect()`: it rejects when no server answers, and the
 * gateway must start (and serve) while NATS is down; with
 * `waitOnFirstConnect` it would hang with nothing to close. So the first
 * connection is retried here with a capped backoff, and after that the
 * client's own reconnect (maxReconnectAttempts -1) takes over. The
 * `connected` flag follows the status stream so callers can stop sending the
 * moment a server goes away instead of letting the client buffer requests in
 * memory until they time out.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusLog } from './log.ts';

export interface LinkOptions {
  servers: string[];
  /** shown by the server's monitoring, e.g. "apiwarden-publisher" */
  name: string;
  log: BusLog;
  /** first-connect retry delay, doubled up to 2 s; also the client's reconnect wait */
  retryMs?: number;
  /** extra options for connect(), e.g. credentials (passed through) */
  connectOptions?: Record<string, unknown>;
}

export interface NatsLink {
  /** the current connection, or null before the first connect */
  readonly nc: NatsConnection | null;
  /** true while connected (false during reconnects and before the first connect) */
  readonly connected: boolean;
  /** called on every change of `connected` (never throws into the link) */
  onChange(listener: (connected: boolean) => void): () => void;
  /** resolves with the connection once connected; rejects when the link is closed */
  ready(): Promise<NatsConnection>;
  /** stops retrying and closes the connection */
  close(): Promise<void>;
}

export function openLink(options: LinkOptions): NatsLink {
  const { servers, name, log } = options;
  const retryMs = options.retryMs ?? 250;
  let nc: NatsConnection | null = null;
  let connected = false;
  let closed = false;
  const listeners = new Set<(connected: boolean) => void>();
  let waiters: { resolve: (nc: NatsConnection) => void; reject: (error: Error) => void }[] = [];
  const stopRetry = new AbortController();

  function setConnected(value: boolean): void {
    if (connected === value) return;
    connected = value;
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        log('error', 'bus: connection listener failed', { error: String(error) });
      }
    }
    if (value && nc) {
      const current = nc;
      const pending = waiters;
      waiters = [];
      for (const w of pending) w.resolve(current);
    }
  }

  async function watch(conn: NatsConnection): Promise<void> {
    for await (const status of conn.status()) {
      if (status.type === 'disconnect') {
        log('warn', 'bus: disconnected from NATS', { name, server: status.server });
        setConnected(false);
      } else if (status.type === 'reconnect') {
        log('info', 'bus: reconnected to NATS', { name, server: status.server });
        setConnected(true);
      } else if (status.type === 'staleConnection') {
        setConnected(false);
      }
    }
  }

  async function run(): Promise<void> {
    let delay = retryMs;
    let attempts = 0;
    while (!closed) {
      try {
        const conn = await connect({
          servers,
          name,
          maxReconnectAttempts: -1,
          reconnectTimeWait: retryMs,
          reconnectJitter: Math.min(100, retryMs),
          // a dead server is noticed within ~30 s even without a TCP reset
          pingInterval: 10_000,
          maxPingOut: 3,
          timeout: 5000,
          ...options.connectOptions,
        });
        if (closed) {
          await conn.close();
          return;
        }
        nc = conn;
        delay = retryMs;
        log('info', 'bus: connected to NATS', { name, server: conn.getServer() });
        void watch(conn).catch(() => {});
        setConnected(true);
        await conn.closed();
        setConnected(false);
        nc = null;
        if (!closed) log('warn', 'bus: NATS connection closed; connecting again', { name });
      } catch (error) {
        // log the first failure and then every 20th, not every 250 ms while NATS is down
        if (attempts++ % 20 === 0) log('warn', 'bus: cannot connect to NATS; retrying', { name, servers, error: String(error) });
        await sleep(delay, undefined, { signal: stopRetry.signal }).catch(() => {});
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  void run();

  return {
    get nc() {
      return nc;
    },
    get connected() {
      return connected;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready() {
      if (closed) return Promise.reject(new Error('bus: connection closed'));
      if (connected && nc) return Promise.resolve(nc);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    async close() {
      if (closed) return;
      closed = true;
      stopRetry.abort();
      const pending = waiters;
      waiters = [];
      for (const w of pending) w.reject(new Error('bus: connection closed'));
      const conn = nc;
      setConnected(false);
      if (conn && !conn.isClosed()) await conn.close().catch(() => {});
    },
  };
}
