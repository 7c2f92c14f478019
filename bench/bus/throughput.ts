/**
 * Throughput of the NATS event bus on this machine, in two legs:
 *
 *   publish   one publisher (src/bus/nats-publisher.ts) → JetStream, every
 *             message acknowledged: from the first publish() to flush()
 *   consume   JetStream → one analyser (src/bus/nats-consumer.ts) with a
 *             no-op handle, over the events the first leg stored
 *   spool     (private server only) the server stopped, events published
 *             into the disk spool; then the server started and the spool
 *             drained to JetStream: the rate of each half
 *
 * Events are gateway-shaped (~490 bytes of JSON), batched 500 per message.
 * The publishing loop backs off when the publisher holds more than 5,000
 * events in memory, so the figure is what JetStream sustains, not how fast
 * the spool fills (the run reports `spooled`, which should be 0).
 *
 * Besides events/s (wall) it reports CPU-seconds per million events, for the
 * Node process (process.cpuUsage) and for nats-server (from /proc/<pid>/stat,
 * when the bench starts its own server, the default): on this shared 2-vCPU
 * machine wall time depends on what else runs, CPU time much less.
 *
 *   node bench/bus/throughput.ts [--events 1000000] [--batch 500] [--fetch 8] [--spool-events 300000]
 *                                [--url nats://127.0.0.1:4222]   (an existing server instead of a private one)
 *                                [--report bench/bus/results/<file>.json]
 *
 * A private nats-server (/usr/sbin/nats-server, free port, temp store dir)
 * is started and removed; with --url, a fresh stream is created and deleted.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createNatsConsumer } from '../../src/bus/nats-consumer.ts';
import { createNatsPublisher } from '../../src/bus/nats-publisher.ts';
import { deleteStream, startPrivateNats, tempDir, testEvent, uniqueName, type PrivateNats } from '../../src/bus/test-helpers.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '500' },
    fetch: { type: 'string', default: '8' },
    url: { type: 'string' },
    report: { type: 'string' },
    'spool-events': { type: 'string', default: '300000' },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const FETCH = Number(args.fetch);

/** utime + stime of a process, in seconds (Linux /proc), or null */
function procCpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] and [12] are utime and stime (14th and 15th of the whole line), in clock ticks
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Leg {
  leg: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  nodeCpuSecondsPerMillion: number;
  serverCpuSecondsPerMillion: number | null;
  extra: Record<string, number>;
}

function leg(name: string, events: number, wall: number, nodeCpu: number, serverCpu: number | null, extra: Record<string, number>): Leg {
  return {
    leg: name,
    events,
    seconds: wall,
    eventsPerSecond: events / wall,
    nodeCpuSecondsPerMillion: (nodeCpu / events) * 1e6,
    serverCpuSecondsPerMillion: serverCpu === null ? null : (serverCpu / events) * 1e6,
    extra,
  };
}

const nats: PrivateNats | null = args.url ? null : await startPrivateNats();
const url = args.url ?? nats!.url;
const stream = uniqueName('APIWARDEN_BENCH');
const subject = `apiwarden.bench.${stream.toLowerCase()}`;
const spoolDir = tempDir('apiwarden-bench-bus-');
const serverPid = nats?.pid() ?? null;
const results: Leg[] = [];

try {
  // --- publish leg
  const publisher = await createNatsPublisher({ servers: [url], stream, subject, spoolDir, batchMaxEvents: BATCH });
  const template = testEvent('x');
  let inPublish = 0;
  const cpu0 = cpuSeconds();
  const srv0 = procCpuSeconds(serverPid);
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; ) {
    while (publisher.stats().pending > 5000) await new Promise((resolve) => setImmediate(resolve));
    const n = Math.min(1000, EVENTS - i);
    const s = performance.now();
    for (let k = 0; k < n; k++, i++) publisher.publish({ ...template, id: `e-${i}`, time: Date.now() });
    inPublish += performance.now() - s;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await publisher.flush();
  const wall = (performance.now() - t0) / 1000;
  const srv1 = procCpuSeconds(serverPid);
  const ps = publisher.stats();
  results.push(
    leg('publish → JetStream (acked)', EVENTS, wall, cpuSeconds() - cpu0, srv0 === null || srv1 === null ? null : srv1 - srv0, {
      publishMicrosPerEvent: (inPublish * 1000) / EVENTS,
      acked: ps.acked,
      spooled: ps.spooled,
      dropped: ps.dropped,
    }),
  );
  await publisher.close();

  // --- consume leg
  let handled = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  const cpu1 = cpuSeconds();
  const srv2 = procCpuSeconds(serverPid);
  const t1 = performance.now();
  const consumer = await createNatsConsumer({
    servers: [url],
    stream,
    subject,
    durable: 'bench',
    batchSize: FETCH,
    handle: async (events) => {
      handled += events.length;
      if (handled >= EVENTS) done();
    },
  });
  await all;
  const wall2 = (performance.now() - t1) / 1000;
  const srv3 = procCpuSeconds(serverPid);
  const cs = consumer.stats();
  results.push(
    leg('JetStream → consumer (no-op handle)', handled, wall2, cpuSeconds() - cpu1, srv2 === null || srv3 === null ? null : srv3 - srv2, {
      messages: cs.messages,
      fetchMessages: FETCH,
    }),
  );
  await consumer.close();

  // --- spool leg: only a private server can be stopped
  const spoolEvents = Number(args['spool-events']);
  if (nats && spoolEvents > 0) {
    await nats.stop();
    const spoolDir2 = tempDir('apiwarden-bench-bus-');
    try {
      const p = await createNatsPublisher({ servers: [url], stream, subject, spoolDir: spoolDir2, batchMaxEvents: BATCH, startupWaitMs: 0 });
      const c0 = cpuSeconds();
      const w0 = performance.now();
      for (let i = 0; i < spoolEvents; ) {
        while (p.stats().pending > 5000) await new Promise((resolve) => setImmediate(resolve));
        const n = Math.min(1000, spoolEvents - i);
        for (let k = 0; k < n; k++, i++) p.publish({ ...template, id: `s-${i}`, time: Date.now() });
        await new Promise((resolve) => setImmediate(resolve));
      }
      await p.flush();
      const spooled = p.stats();
      results.push(
        leg('publish → spool (NATS down)', spoolEvents, (performance.now() - w0) / 1000, cpuSeconds() - c0, null, {
          spooled: spooled.spooled,
          spoolMiB: spooled.spoolBytes / 1048576,
          dropped: spooled.dropped,
        }),
      );
      await nats.start();
      const pid = nats.pid();
      const c1 = cpuSeconds();
      const s0 = procCpuSeconds(pid);
      const w1 = performance.now();
      while (p.stats().spoolEvents > 0 && performance.now() - w1 < 120_000) await new Promise((resolve) => setTimeout(resolve, 5));
      const s1 = procCpuSeconds(pid);
      // from the restart: includes the reconnect (up to ~0.5 s)
      results.push(
        leg('spool → JetStream (drain after restart)', p.stats().drained, (performance.now() - w1) / 1000, cpuSeconds() - c1, s0 === null || s1 === null ? null : s1 - s0, {
          drained: p.stats().drained,
        }),
      );
      await p.close();
    } finally {
      rmSync(spoolDir2, { recursive: true, force: true });
    }
  }
} finally {
  if (nats) await nats.dispose();
  else await deleteStream(url, stream);
  rmSync(spoolDir, { recursive: true, force: true });
}

const fmt = (n: number | null, digits = 2): string => (n === null ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));
console.log(`\n${EVENTS.toLocaleString('en-US')} events, ${BATCH} per message, server ${nats ? 'private nats-server' : url}, node ${process.version}\n`);
console.log('| leg | events/s | wall s | node CPU-s / 1M events | nats-server CPU-s / 1M events | notes |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
for (const r of results) {
  const notes = Object.entries(r.extra)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  console.log(`| ${r.leg} | ${fmt(r.eventsPerSecond, 0)} | ${fmt(r.seconds)} | ${fmt(r.nodeCpuSecondsPerMillion)} | ${fmt(r.serverCpuSecondsPerMillion)} | ${notes} |`);
}
if (args.report) {
  mkdirSync(dirname(args.report), { recursive: true });
  writeFileSync(args.report, `${JSON.stringify({ time: new Date().toISOString(), events: EVENTS, batch: BATCH, results }, null, 2)}\n`);
}
