/**
 * The scenario bench's own checks: its clock, and one short scenario end to
 * end (a scanner among a thousand people, through the gateway on the fast
 * clock), so that the bench cannot rot between runs. The full table is made
 * by run.ts (bench/README.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MINUTE, scanning } from './actors.ts';
import { createScaledClock } from './clock.ts';
import { runScenario } from './run.ts';

describe('the scenario bench', () => {
  it('runs its clock at each phase\'s speed, and maps simulated times back to the wall', () => {
    const clock = createScaledClock([{ fromSimMs: 0, speed: 120 }, { fromSimMs: 10 * MINUTE, speed: 30 }], 1_000_000, 0);
    // 10 simulated minutes at 120× take 5 s; the next minute at 30× takes 2 s
    assert.equal(clock.wallAt(10 * MINUTE), 5_000);
    assert.equal(clock.wallAt(11 * MINUTE), 7_000);
    assert.equal(clock.wallAt(MINUTE), 500);
  });

  it('catches a scanner among people through the gateway within 5 simulated minutes, acting on no one else', async () => {
    const run = await runScenario(scanning(1), { peers: false, logDir: '' });
    const s = run.score;
    assert.equal(run.errors, 0);
    assert.ok(s.firstAction, 'the scanner was acted on');
    assert.equal(s.firstAction.by, 'scanning');
    assert.ok(s.firstAction.afterSimMs < 5 * MINUTE, `within 5 simulated minutes (${s.firstAction.afterSimMs} ms)`);
    assert.ok(s.decisions.some((d) => d.rule === 'scanning' && d.action === 'ban' && d.kind === 'ip'));
    assert.deepEqual(s.falsePositives, { requests: 0, decisions: [] });
  });
});
