/**
 * The admin API on an inventory of 10,000 endpoints: a gateway in monitor
 * mode before a document of 10,000 operations, one to a few requests to
 * each through the gateway, then the console's calls timed: the inventory's
 * first page (sorted by requests), a search, a filter, one endpoint, the
 * overview. Each call is timed warm (the snapshot is rebuilt at most once a
 * second) and cold (just after it expires), sequentially from one client.
 *
 *   node bench/admin/inventory.ts [--endpoints 10000]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startGatewayRuntime } from '../../src/gateway/runtime.ts';

const { values } = parseArgs({ options: { endpoints: { type: 'string', default: '10000' } } });
const ENDPOINTS = Number(values.endpoints);
const TOKEN = 'bench-admin-token-0123456789';

const upstream = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamPort = (upstream.address() as AddressInfo).port;

const dir = mkdtempSync(join(tmpdir(), 'apiwarden-admin-bench-'));
const paths: string[] = [];
for (let i = 0; i < ENDPOINTS; i++) {
  paths.push(`  /svc${Math.floor(i / 100)}/res${i % 100}/{id}:\n    get:\n      operationId: op${i}\n      security: []\n      x-apiwarden-public: true\n      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]\n      responses: { '200': { description: ok } }`);
}
writeFileSync(join(dir, 'openapi.yaml'), `openapi: 3.0.3\ninfo: { title: big, version: '1' }\npaths:\n${paths.join('\n')}\n`);
writeFileSync(join(dir, 'apiwarden.yaml'), `
mode: monitor
listeners: [{ host: 127.0.0.1, port: 0 }]
upstreams: [{ name: big, url: http://127.0.0.1:${upstreamPort}, openapi: [openapi.yaml] }]
store: { sqlite: ':memory:' }
accessLog: off
discovery: { maxEndpoints: ${ENDPOINTS + 1000} }
admin: { listen: { host: 127.0.0.1, port: 0 }, token: { value: ${TOKEN} } }
`);
const runtime = await startGatewayRuntime(join(dir, 'apiwarden.yaml'), { watchFiles: false, handleSignals: false, logger: pino({ level: 'silent' }) });
const gateway = `http://127.0.0.1:${runtime.addresses[0]!.port}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

let started = performance.now();
const sends: Promise<number>[] = [];
for (let i = 0; i < ENDPOINTS; i++) {
  for (let k = 0; k < 1 + (i % 3); k++) sends.push(get(`${gateway}/svc${Math.floor(i / 100)}/res${i % 100}/${i * 7 + k}`));
  if (sends.length >= 256) await Promise.all(sends.splice(0));
}
await Promise.all(sends);
process.stderr.write(`traffic: ${ENDPOINTS} endpoints, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

const admin = runtime.admin!.url;
const auth = { authorization: `Bearer ${TOKEN}` };
const first = await (await fetch(`${admin}/api/v1/inventory?limit=1`, { headers: auth })).json() as { total: number; items: { id: string }[] };
const id = first.items[0]!.id;
const calls: [string, string][] = [
  ['inventory, first page of 50 by requests', '/api/v1/inventory?sort=count&order=desc&limit=50'],
  ['inventory, search "res42"', '/api/v1/inventory?q=res42'],
  ['inventory, page 100 by template', '/api/v1/inventory?sort=template&order=asc&limit=50&offset=5000'],
  ['one endpoint', `/api/v1/inventory/${id}`],
  ['overview', '/api/v1/overview'],
];
const rows: string[] = [];
for (const [what, path] of calls) {
  // cold: the snapshot has expired (over a second old), so this call rebuilds it
  await new Promise((r) => setTimeout(r, 1100));
  started = performance.now();
  if (await get(`${admin}${path}`, auth) !== 200) throw new Error(`${path} failed`);
  const cold = performance.now() - started;
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    started = performance.now();
    await get(`${admin}${path}`, auth);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  rows.push(`| ${what} | ${cold.toFixed(0)} ms | ${times[15]!.toFixed(1)} ms | ${times[28]!.toFixed(1)} ms |`);
}
process.stdout.write(`inventory: ${first.total} endpoints\n\n| call | after 1.1 s quiet | next 30: p50 | p95 |\n|---|---:|---:|---:|\n${rows.join('\n')}\n`);
agent.destroy();
await runtime.close(1000);
upstream.close();
