import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createNatsConsumer, type NatsConsumer, type NatsConsumerOptions } from './nats-consumer.ts';
import { createNatsPublisher } from './nats-publisher.ts';
import { ensureStream } from './stream.ts';
import { collector, deleteStream, publishSome, SHARED_NATS_URL, sharedNatsSkipReason, tempDir, testEvent, testLog, uniqueName, waitFor } from './test-helpers.ts';

const skip = await sharedNatsSkipReason();
if (skip) console.log(`# skipping NATS consumer tests: ${skip}`);

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

function names(): { stream: string; subject: string } {
  const stream = uniqueName('APIWARDEN_TEST');
  cleanups.push(() => deleteStream(SHARED_NATS_URL, stream));
  return { stream, subject: `apiwarden.test.${stream.toLowerCase()}` };
}

async function consumer(options: Omit<NatsConsumerOptions, 'servers'> & { servers?: string[] }): Promise<NatsConsumer> {
  const c = await createNatsConsumer({ servers: [SHARED_NATS_URL], fetchExpiresMs: 1000, log: testLog('consumer'), ...options });
  cleanups.push(() => c.close());
  return c;
}

/** Publishes `count` events in messages of `perMessage`, and waits for their acks. */
async function publishEvents(stream: string, subject: string, prefix: string, count: number, perMessage: number): Promise<string[]> {
  const spoolDir = tempDir('apiwarden-bus-spool-');
  const p = await createNatsPublisher({ servers: [SHARED_NATS_URL], stream, subject, spoolDir, batchMaxEvents: perMessage });
  const ids: string[] = [];
  await publishSome((e) => p.publish(e), ids, prefix, count);
  await p.close();
  rmSync(spoolDir, { recursive: true, force: true });
  assert.equal(p.stats().acked, count);
  return ids;
}

// an analyser in its own process, to be killed with SIGKILL while it holds a batch
const CRASHING_ANALYSER = `
const { createNatsConsumer } = await import(process.env.BUS_CONSUMER_MODULE);
const o = JSON.parse(process.env.BUS_OPTIONS);
await createNatsConsumer({ ...o, handle: async (events) => {
  process.stdout.write('got ' + events.length + '\\n');
  await new Promise(() => {}); // dies before it acks
} });
`;

describe('NATS consumer group', () => {
  test('an analyser killed before acking: its batch is redelivered to another member of the group; nothing lost', { skip, timeout: 30_000 }, async (t) => {
    const { stream, subject } = names();
    const ids = await publishEvents(stream, subject, 'e', 2000, 100);
    const group = { servers: [SHARED_NATS_URL], stream, subject, durable: 'analysers', ackWaitMs: 1500, batchSize: 4, fetchExpiresMs: 1000 };

    const child = spawn(process.execPath, ['--input-type=module', '-e', CRASHING_ANALYSER], {
      env: { ...process.env, BUS_CONSUMER_MODULE: fileURLToPath(new URL('./nats-consumer.ts', import.meta.url)), BUS_OPTIONS: JSON.stringify(group) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the doomed analyser to receive a batch', () => out.includes('got 100'), 15_000);
    child.kill('SIGKILL');
    await exited;

    const c = collector();
    const survivor = await consumer({ ...group, handle: c.handle });
    await waitFor('every event at the surviving analyser', () => c.deliveries.size >= ids.length, 15_000);
    await sleep(300);
    assert.deepEqual(c.duplicates(), []);
    assert.equal(c.deliveries.size, ids.length);
    assert.ok(survivor.stats().redelivered >= 1, 'the killed analyser’s batch came back');
    t.diagnostic(`redelivered to the survivor: ${survivor.stats().redelivered} messages`);
  });

  test('handle() fails: the message is nak’ed with a delay and handled again (here or by another analyser); nothing lost', { skip, timeout: 30_000 }, async () => {
    const { stream, subject } = names();
    const ids = await publishEvents(stream, subject, 'e', 3000, 100);
    const handled = collector();
    let failures = 0;
    const flaky = await consumer({
      stream,
      subject,
      durable: 'analysers',
      nakDelayMs: 200,
      batchSize: 2,
      async handle(events) {
        // the store is down for the first two batches
        if (failures < 2) {
          failures++;
          throw new Error('store unavailable');
        }
        await handled.handle(events);
      },
    });
    await waitFor('two failed batches', () => flaky.stats().handleErrors >= 2, 10_000);
    const steady = await consumer({ stream, subject, durable: 'analysers', batchSize: 2, handle: handled.handle });
    await waitFor('every event handled', () => handled.deliveries.size >= ids.length, 15_000);
    await sleep(300);
    assert.deepEqual(handled.duplicates(), []);
    assert.equal(handled.deliveries.size, ids.length);
    assert.equal(flaky.stats().handleErrors, 2);
    assert.ok(flaky.stats().nakked >= 2);
    assert.equal(flaky.stats().events + steady.stats().events, ids.length);
  });

  test('two analysers of one group split the messages, each event handled once', { skip, timeout: 20_000 }, async () => {
    const { stream, subject } = names();
    const handled = collector();
    const slowly = async (events: Parameters<typeof handled.handle>[0]): Promise<void> => {
      await sleep(5); // a store write, so that both members have work
      await handled.handle(events);
    };
    const a = await consumer({ stream, subject, durable: 'analysers', batchSize: 1, handle: slowly });
    const b = await consumer({ stream, subject, durable: 'analysers', batchSize: 1, handle: slowly });
    await waitFor('both analysers', () => a.stats().connected && b.stats().connected, 5000);
    await sleep(300); // both have a pull waiting
    const ids = await publishEvents(stream, subject, 'e', 4000, 100);
    await waitFor('every event handled', () => handled.deliveries.size >= ids.length, 15_000);
    await sleep(200);
    assert.deepEqual(handled.duplicates(), []);
    assert.equal(handled.deliveries.size, ids.length);
    assert.ok(a.stats().events > 0 && b.stats().events > 0, `split ${a.stats().events} / ${b.stats().events}`);
    assert.equal(a.stats().events + b.stats().events, ids.length);
  });

  test('malformed messages are terminated and counted; bad lines in a good message are skipped', { skip, timeout: 20_000 }, async () => {
    const { stream, subject } = names();
    const c = collector();
    const analyser = await consumer({ stream, subject, durable: 'analysers', handle: c.handle });
    const nc = await connect({ servers: [SHARED_NATS_URL] });
    cleanups.push(() => nc.close());
    await ensureStream(await jetstreamManager(nc), { stream, subject });
    const js = jetstream(nc);
    await js.publish(subject, 'not json at all');
    await js.publish(subject, new Uint8Array([0xff, 0xfe, 0x00]));
    await js.publish(subject, '{"no":"id"}\n[1,2]\n');
    await js.publish(subject, `${JSON.stringify(testEvent('good-1'))}\n{"broken\n${JSON.stringify(testEvent('good-2'))}\n`);
    await waitFor('the good events', () => c.deliveries.size >= 2, 10_000);
    await waitFor('the malformed messages', () => analyser.stats().terminated >= 3, 5000);
    assert.deepEqual(c.order, ['good-1', 'good-2']);
    const s = analyser.stats();
    assert.equal(s.terminated, 3);
    assert.equal(s.malformedEvents, 1 + 1 + 2 + 1);
    assert.equal(s.acked, 1);
  });
});
