/**
 * Processes and faults for the scale-out tests: a NATS server of the test's
 * own (so it can be stopped and restarted), a TCP proxy in front of
 * PostgreSQL that can refuse and cut connections (an outage without
 * touching the shared server), and apiwarden gateway and analyser child
 * processes started from one policy file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
export const NATS_SERVER = '/usr/sbin/nats-server';

/** Can a TCP connection be made to host:port within `ms`? */
export function reachable(host: string, port: number, ms = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface OwnNats {
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A NATS server with JetStream on `port`, its store in `dir`; restartable on the same port and store. */
export function ownNats(port: number, dir: string): OwnNats {
  let child: ChildProcess | null = null;
  return {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      if (!existsSync(NATS_SERVER)) throw new Error(`${NATS_SERVER} is not installed`);
      child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        if (await reachable('127.0.0.1', port, 200)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('nats-server did not start');
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    },
  };
}

export interface PausableProxy {
  readonly port: number;
  /** refuse new connections and cut the open ones */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** A TCP proxy to target; pause() makes the target look down to everything behind the proxy. */
export async function pausableProxy(targetHost: string, targetPort: number): Promise<PausableProxy> {
  let isPaused = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (isPaused) return void client.destroy();
    const upstream = net.connect({ host: targetHost, port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    pause() {
      isPaused = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    resume() {
      isPaused = false;
    },
    close() {
      isPaused = true;
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

export interface Child {
  readonly process: ChildProcess;
  output: string;
  /** resolves when `text` appears in the output (stderr: the operational log) */
  waitFor(text: string, ms?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startChild(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const c: Child = {
    process: child,
    output: '',
    async waitFor(text, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!c.output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before "${text}":\n${c.output}`);
        if (Date.now() > deadline) throw new Error(`"${text}" not seen in ${ms} ms:\n${c.output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  child.stdout!.on('data', (d: Buffer) => (c.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (c.output += d.toString()));
  return c;
}
