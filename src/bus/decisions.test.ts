import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import type { Decision } from '../detect/types.ts';
import { createDecisionChannel, isDecision, type DecisionChannel } from './decisions.ts';
import { privateNatsSkipReason, SHARED_NATS_URL, sharedNatsSkipReason, startPrivateNats, testLog, uniqueName, waitFor } from './test-helpers.ts';

const sharedSkip = await sharedNatsSkipReason();
const privateSkip = privateNatsSkipReason();
if (sharedSkip) console.log(`# skipping decision bus tests: ${sharedSkip}`);

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function channel(servers: string[], subject: string): Promise<DecisionChannel> {
  const c = await createDecisionChannel({ servers, subject, log: testLog('decisions') });
  cleanups.push(() => c.close());
  return c;
}

function ban(ip: string, now = Date.now()): Decision {
  return {
    rule: 'enumeration',
    action: 'ban',
    identity: { kind: 'ip', value: ip },
    banKey: `ip:${ip}`,
    durationMs: 600_000,
    delayMs: 0,
    dryRun: false,
    reason: `ip ${ip} looked up 400 distinct ids in 60 s`,
    evidence: { windowMs: 60_000, operation: 'getUser', features: { distinctIds: 400 } },
    level: 1,
    time: now,
    until: now + 600_000,
  };
}

describe('decision channel', () => {
  test('a decision published by an analyser reaches every gateway; junk is counted; a throwing handler does not stop the others', { skip: sharedSkip, timeout: 15_000 }, async () => {
    const subject = `apiwarden.test.decisions.${uniqueName('d').toLowerCase()}`;
    const analyser = await channel([SHARED_NATS_URL], subject);
    const gateways = [await channel([SHARED_NATS_URL], subject), await channel([SHARED_NATS_URL], subject)];
    const received: Decision[][] = [[], []];
    gateways.forEach((g, i) => {
      g.subscribeDecisions(() => {
        throw new Error('a broken listener');
      });
      g.subscribeDecisions((d) => received[i]!.push(d));
    });
    await waitFor('connections', () => [analyser, ...gateways].every((c) => c.stats().connected), 5000);
    await sleep(100); // subscriptions reach the server

    const nc = await connect({ servers: [SHARED_NATS_URL] });
    cleanups.push(() => nc.close());
    nc.publish(subject, 'not json');
    nc.publish(subject, JSON.stringify({ rule: 'x', action: 'nuke' }));
    const decision = ban('203.0.113.7');
    analyser.publishDecision(decision);

    await waitFor('both gateways', () => received.every((r) => r.length === 1), 5000);
    assert.deepEqual(received[0]![0], decision);
    assert.deepEqual(received[1]![0], decision);
    await waitFor('the junk counted', () => gateways.every((g) => g.stats().malformed === 2), 2000);
    assert.equal(analyser.stats().published, 1);
  });

  test('decided while NATS is down: queued, sent on reconnect; expired ones are dropped', { skip: privateSkip, timeout: 20_000 }, async () => {
    const nats = await startPrivateNats();
    cleanups.push(() => nats.dispose());
    const subject = 'apiwarden.decisions';
    const analyser = await channel([nats.url], subject);
    const gateway = await channel([nats.url], subject);
    const received: Decision[] = [];
    gateway.subscribeDecisions((d) => received.push(d));
    await waitFor('connections', () => analyser.stats().connected && gateway.stats().connected, 5000);

    await nats.stop();
    await waitFor('the disconnect', () => !analyser.stats().connected, 5000);
    const live = ban('198.51.100.1');
    const expired = { ...ban('198.51.100.2', Date.now() - 700_000) };
    analyser.publishDecision(expired);
    analyser.publishDecision(live);
    assert.equal(analyser.stats().queued, 2);

    await nats.start();
    await waitFor('the queued decision at the gateway', () => received.length >= 1, 10_000);
    await sleep(200);
    assert.deepEqual(received, [live]);
    assert.deepEqual([analyser.stats().queued, analyser.stats().dropped], [0, 1]);
  });

  test('isDecision', () => {
    assert.equal(isDecision(ban('192.0.2.1')), true);
    assert.equal(isDecision({ ...ban('192.0.2.1'), action: 'explode' }), false);
    assert.equal(isDecision({ ...ban('192.0.2.1'), identity: null }), false);
    assert.equal(isDecision(null), false);
  });
});
