/**
 * The bench's simulated clock: it starts at the wall clock's now and runs
 * faster, at a speed that may change from one phase to the next (a quiet
 * hour of people using the app passes quickly; the attack, with far more
 * requests a second, at a pace the machine can serve). The gateway runs on
 * this clock (events, limits, detection, alerts), so its windows of minutes
 * and hours pass in seconds, while its timeouts and tarpit delays stay on
 * the wall clock.
 */
export interface Phase {
  /** simulated ms from the start at which this speed begins */
  fromSimMs: number;
  /** simulated ms per wall ms */
  speed: number;
}

export interface ScaledClock {
  /** simulated epoch ms now */
  now(): number;
  /** simulated epoch ms of the start */
  readonly startSim: number;
  /** wall ms (performance.now) at which simulated offset `simMs` comes */
  wallAt(simMs: number): number;
}

export function createScaledClock(phases: readonly Phase[], startSim = Date.now(), startWall = performance.now()): ScaledClock {
  if (phases.length === 0 || phases[0]!.fromSimMs !== 0) throw new Error('the first phase starts at 0');
  // wall offset at which each phase begins
  const wallFrom: number[] = [0];
  for (let i = 1; i < phases.length; i++) {
    const prev = phases[i - 1]!;
    wallFrom.push(wallFrom[i - 1]! + (phases[i]!.fromSimMs - prev.fromSimMs) / prev.speed);
  }
  return {
    startSim,
    now() {
      const wall = performance.now() - startWall;
      let i = phases.length - 1;
      while (i > 0 && wallFrom[i]! > wall) i--;
      return startSim + phases[i]!.fromSimMs + (wall - wallFrom[i]!) * phases[i]!.speed;
    },
    wallAt(simMs) {
      let i = phases.length - 1;
      while (i > 0 && phases[i]!.fromSimMs > simMs) i--;
      return startWall + wallFrom[i]! + (simMs - phases[i]!.fromSimMs) / phases[i]!.speed;
    },
  };
}
