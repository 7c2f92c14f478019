import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the test upstream received: what the gateway really forwarded. */
export interface ReceivedRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  /** replace the default echo behaviour for the next requests */
  handle(handler: UpstreamHandler | null): void;
  close(): Promise<void>;
}

/**
 * A real upstream on loopback. By default it answers 200 with a JSON echo
 * of the request; `handle` installs a custom answer (streaming, slow,
 * resetting). Every request is recorded with its raw headers and body.
 */
export async function startTestUpstream(): Promise<TestUpstream> {
  const received: ReceivedRequest[] = [];
  let custom: UpstreamHandler | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers, body });
      if (custom) return custom(req, res, body);
      const text = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: body.length });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-upstream': 'test',
        // a hop-by-hop header the gateway must not pass on
        'keep-alive': 'timeout=5',
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    handle(handler) {
      custom = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Send raw bytes and collect the raw answer until the server closes or `ms` pass. */
export async function rawRequest(port: number, payload: string | Buffer, ms = 1500): Promise<string> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, ms);
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', () => {});
    socket.write(payload);
  });
}

/** The status code of a raw HTTP/1.1 answer, or 0 when none came. */
export function statusOf(raw: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  return m ? Number(m[1]) : 0;
}
