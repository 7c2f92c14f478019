/**
 * The generated traffic as a HAR 1.2 file (W3C draft "HTTP Archive (HAR)
 * format", the version browsers export), for the peers that read HAR:
 * har-to-openapi and Optic. Each entry has what the reconstruction under
 * test is given (method, URL, status) plus the mandatory fields, a few
 * common headers and a small JSON body; nothing of the document.
 *
 * Written entry by entry: 100,000 entries are ~60 MB of JSON.
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import type { TrafficRequest } from './generate.ts';

/** An arbitrary fixed start, one request every 50 ms: reproducible files. */
const START = Date.UTC(2025, 0, 6, 9, 0, 0);
const STEP_MS = 50;

export function writeHar(file: string, requests: readonly TrafficRequest[]): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, '{"log":{"version":"1.2","creator":{"name":"apiwarden bench/discovery","version":"1"},"entries":[\n');
    requests.forEach((r, i) => {
      writeSync(fd, `${i === 0 ? '' : ',\n'}${JSON.stringify(harEntry(r, i))}`);
    });
    writeSync(fd, '\n]}}\n');
  } finally {
    closeSync(fd);
  }
}

function harEntry(r: TrafficRequest, i: number): unknown {
  const url = `https://${r.host}${r.path}${r.query === null ? '' : `?${r.query}`}`;
  const queryString = r.query === null ? [] : [...new URLSearchParams(r.query)].map(([name, value]) => ({ name, value }));
  const body = r.status === 204 ? '' : r.status >= 400 ? '{"error":{"code":"not_found"}}' : '{"ok":true}';
  return {
    startedDateTime: new Date(START + i * STEP_MS).toISOString(),
    time: 12,
    request: {
      method: r.method,
      url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [
        { name: 'Host', value: r.host },
        { name: 'User-Agent', value: 'bench-client/1.0' },
        { name: 'Accept', value: 'application/json' },
      ],
      queryString,
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status: r.status,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: body === '' ? [] : [{ name: 'Content-Type', value: 'application/json' }],
      content: { size: body.length, mimeType: 'application/json', ...(body === '' ? {} : { text: body }) },
      redirectURL: '',
      headersSize: -1,
      bodySize: body.length,
    },
    cache: {},
    timings: { send: 0, wait: 11, receive: 1 },
  };
}
