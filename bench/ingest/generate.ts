/**
 * A realistic nginx combined access log for the ingest benchmark, written
 * in 1 MiB blocks. Deterministic (seeded PRNG), so two runs and two machines
 * read the same bytes:
 *
 * - an API's traffic: ~40 route shapes with numeric ids, UUIDs, slugs,
 *   prefixed ids (cus_…), dates and file names; nested resources; query
 *   strings on about a third of requests (pagination, filters, search);
 * - ~60,000 client addresses (IPv4, a few IPv6), heavy hitters and a tail;
 * - weighted methods and statuses, byte counts, referers, 24 real user agents;
 * - 1 line in 2,000 is garbage nginx really writes: a "-" request (a
 *   connection that sent nothing), TLS handshake bytes sent to the plain
 *   port (logged as \x16\x03\x01…), a request line without an HTTP version.
 *
 *   node bench/ingest/generate.ts <file> [lines] [seed]
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { prng } from '../../test/fixtures/detect/scenarios.ts';


const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67',
  'okhttp/4.12.0',
  'Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)',
  'MyShop/5.12.0 (iPhone; iOS 17.4.1; Scale/3.00)',
  'MyShop/5.11.2 (Android 14; Pixel 7)',
  'python-requests/2.31.0',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'axios/1.6.8',
  'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  'PostmanRuntime/7.37.3',
  'Apache-HttpClient/4.5.14 (Java/17.0.10)',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'kube-probe/1.29',
  'ELB-HealthChecker/2.0',
  'Prometheus/2.51.1',
  '-',
];

const REFERERS = ['-', '-', '-', '-', 'https://shop.example.com/', 'https://shop.example.com/cart', 'https://www.google.com/', 'android-app://com.example.shop/'];
const METHODS: [string, number][] = [['GET', 78], ['POST', 12], ['PUT', 3], ['PATCH', 2], ['DELETE', 2], ['HEAD', 2], ['OPTIONS', 1]];
const STATUSES: [number, number][] = [[200, 70], [201, 5], [204, 4], [301, 1], [304, 6], [400, 2], [401, 3], [403, 1], [404, 5], [429, 1], [500, 1], [502, 0.5], [503, 0.5]];
const WORDS = ['shoes', 'red', 'winter', 'sale', 'laptop', 'phone', 'case', 'kids', 'garden', 'books', 'coffee', 'lamp'];
const GARBAGE = [
  '"-" 400 0 "-" "-"',
  '"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-"',
  '"GET /" 400 157 "-" "-"',
  '"\\x00\\x00\\x00\\x00" 400 157 "-" "-"',
];

function weighted<T>(random: () => number, table: readonly [T, number][]): () => T {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  const cumulative = table.map(([value], i) => [value, table.slice(0, i + 1).reduce((sum, [, w]) => sum + w, 0) / total] as const);
  return () => {
    const r = random();
    for (const [value, upTo] of cumulative) if (r < upTo) return value;
    return table[table.length - 1]![0];
  };
}

const HEX = '0123456789abcdef';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function createLineGenerator(seed: number): () => string {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const method = weighted(random, METHODS);
  const status = weighted(random, STATUSES);
  const uuid = (): string => {
    let s = '';
    for (let i = 0; i < 32; i++) {
      s += HEX[int(16)];
      if (i === 7 || i === 11 || i === 15 || i === 19) s += '-';
    }
    return s;
  };
  const prefixed = (prefix: string): string => {
    let s = prefix;
    for (let i = 0; i < 14; i++) s += ALNUM[int(62)];
    return s;
  };
  // a skewed id: a few hot ids, a long tail
  const id = (): number => (random() < 0.3 ? 1 + int(100) : 1 + int(5_000_000));
  const date = (): string => `2026-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}`;
  const routes: (() => string)[] = [
    () => `/api/v1/users/${id()}`,
    () => `/api/v1/users/${id()}/orders`,
    () => `/api/v1/users/${id()}/orders/${id()}`,
    () => `/api/v1/users/${id()}/orders/${id()}/items/${int(20)}`,
    () => `/api/v1/orders/${uuid()}`,
    () => `/api/v1/orders/${uuid()}/status`,
    () => `/api/v1/products/${id()}`,
    () => `/api/v1/products/${pick(WORDS)}-${pick(WORDS)}-${id()}`,
    () => `/api/v1/products/${id()}/reviews`,
    () => `/api/v1/products`,
    () => `/api/v1/search`,
    () => `/api/v1/cart`,
    () => `/api/v1/cart/items/${id()}`,
    () => `/api/v1/checkout`,
    () => `/api/v1/customers/${prefixed('cus_')}`,
    () => `/api/v1/customers/${prefixed('cus_')}/payment_methods/${prefixed('pm_')}`,
    () => `/api/v1/invoices/${prefixed('in_')}.pdf`,
    () => `/api/v1/reports/${date()}`,
    () => `/api/v1/accounts/status/+1555${String(int(10_000_000)).padStart(7, '0')}`,
    () => `/api/v2/users/${uuid()}`,
    () => `/api/v2/users/${uuid()}/devices`,
    () => `/api/v2/users/${uuid()}/devices/${uuid()}`,
    () => `/api/v2/stores/${int(900)}/inventory/${id()}`,
    () => `/api/v2/categories/${pick(WORDS)}/products`,
    () => `/api/internal/metrics`,
    () => `/api/internal/debug/vars`,
    () => `/auth/login`,
    () => `/auth/token`,
    () => `/auth/refresh`,
    () => `/oauth/authorize`,
    () => `/health`,
    () => `/healthz`,
    () => `/static/js/app.${HEX[int(16)]}${HEX[int(16)]}${HEX[int(16)]}${HEX[int(16)]}.js`,
    () => `/static/img/products/${id()}_${int(4)}.jpg`,
    () => `/favicon.ico`,
    () => `/`,
    () => `/robots.txt`,
    () => `/wp-login.php`,
    () => `/.env`,
    () => `/api/v1/files/${pick(WORDS)}%20${pick(WORDS)}.txt`,
  ];
  const queries: (() => string)[] = [
    () => `page=${1 + int(50)}&per_page=${pick([10, 20, 50, 100])}`,
    () => `q=${pick(WORDS)}+${pick(WORDS)}&sort=${pick(['price', '-price', 'rating', 'new'])}`,
    () => `limit=${pick([10, 25, 100])}&offset=${int(10_000)}`,
    () => `include=items,customer&expand=payment`,
    () => `from=${date()}&to=${date()}`,
    () => `utm_source=${pick(['google', 'newsletter', 'app'])}&utm_medium=cpc&utm_campaign=${pick(WORDS)}`,
    () => `redirect_uri=https%3A%2F%2Fshop.example.com%2Fcb&state=${uuid()}&client_id=shop-web`,
    () => `fields=id,name,price&currency=${pick(['EUR', 'USD', 'GBP'])}`,
  ];
  // ~60,000 clients: 200 heavy hitters take 40 % of the traffic
  const client = (): string => {
    if (random() < 0.4) return `198.51.100.${int(200)}`;
    const n = int(60_000);
    if (n % 97 === 0) return `2001:db8:${(n % 4096).toString(16)}::${(n % 65536).toString(16)}`;
    return `${10 + (n >>> 14)}.${(n >>> 8) & 63}.${n & 255}.${(n * 7) & 255}`;
  };
  const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  let t = Date.UTC(2026, 2, 1, 0, 0, 0);
  let timeText = '';
  let timeSecond = -1;
  const clfTime = (): string => {
    const second = Math.floor(t / 1000);
    if (second !== timeSecond) {
      timeSecond = second;
      const d = new Date(t + 3_600_000); // written in +0100
      timeText = `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0100`;
    }
    return timeText;
  };

  return () => {
    t += int(3); // ~1,000 requests a second
    const head = `${client()} - ${random() < 0.05 ? 'alice' : '-'} [${clfTime()}] `;
    if (random() < 1 / 2000) return head + pick(GARBAGE);
    const m = method();
    const path = pick(routes)();
    const target = random() < 0.33 ? `${path}?${pick(queries)()}` : path;
    const s = status();
    const bytes = s === 204 || s === 304 || m === 'HEAD' ? 0 : 20 + int(40_000);
    return `${head}"${m} ${target} HTTP/${random() < 0.8 ? '1.1' : '2.0'}" ${s} ${bytes} "${pick(REFERERS)}" "${pick(USER_AGENTS)}"`;
  };
}

export async function generateLog(file: string, lines: number, seed = 42): Promise<number> {
  const next = createLineGenerator(seed);
  const out = createWriteStream(file);
  let bytes = 0;
  let block: string[] = [];
  let blockLength = 0;
  for (let i = 0; i < lines; i++) {
    const line = next();
    block.push(line);
    blockLength += line.length + 1;
    if (blockLength >= 1 << 20 || i === lines - 1) {
      const text = `${block.join('\n')}\n`;
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
      block = [];
      blockLength = 0;
    }
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: node bench/ingest/generate.ts <file> [lines] [seed]');
    process.exit(1);
  }
  const lines = Number(process.argv[3] ?? 1_000_000);
  const bytes = await generateLog(file, lines, Number(process.argv[4] ?? 42));
  console.log(`${file}: ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB`);
}
