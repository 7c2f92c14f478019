/**
 * A scenario's traffic as nginx would have logged it in front of the demo
 * API without apiwarden ("combined" format, simulated timestamps, the API's
 * own answers): the input of the peers (CrowdSec, fail2ban), which read logs.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { CLIENTS } from '../../test/fixtures/detect/scenarios.ts';
import type { Planned } from './actors.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** nginx's $time_local in UTC: 07/Jan/2030:10:00:01 +0000 */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function userAgentOf(r: Planned): string {
  const headers = CLIENTS[r.client];
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === 'user-agent') return headers[i + 1]!;
  return '-';
}

/** a body size per answer, as the demo API sends them */
const bytesOf = (status: number): number => (status === 200 ? 96 : status === 201 ? 28 : status === 401 ? 31 : 27);

export function combinedLine(r: Planned, startSim: number): string {
  return `${r.ip} - - [${timeLocal(startSim + r.at)}] "${r.method} ${r.path} HTTP/1.1" ${r.status} ${bytesOf(r.status)} "-" "${userAgentOf(r)}"`;
}

export async function writeAccessLog(file: string, requests: readonly Planned[], startSim: number): Promise<void> {
  const out = createWriteStream(file);
  for (const r of requests) if (!out.write(`${combinedLine(r, startSim)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}
