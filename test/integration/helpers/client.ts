import http from 'node:http';

export interface ClientResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request from a chosen loopback source address: the whole 127.0.0.0/8
 * range is loopback on Linux, so a test can be many clients at once.
 */
export function requestFrom(
  source: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, localAddress: source, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The n-th client address: 127.0.<n/250>.<n%250 + 2>, never 127.0.0.1. */
export function clientAddress(n: number): string {
  return `127.0.${Math.floor(n / 250)}.${(n % 250) + 2}`;
}
