import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createScrubber, safeLog } from './logger.ts';
import type { AlertLogger } from './types.ts';

describe('alerts logging', () => {
  it('accepts a pino logger as it is', () => {
    const lines: string[] = [];
    const logger: AlertLogger = pino({ base: null }, { write: (line: string) => void lines.push(line) });
    safeLog(logger, 'error', { sink: 'pd' }, 'alert notification not delivered');
    assert.equal(lines.length, 1);
    assert.deepEqual({ ...JSON.parse(lines[0]!), time: 0 }, { level: 50, time: 0, sink: 'pd', msg: 'alert notification not delivered' });
  });

  it('scrubs secrets, their URL-encoded form, and the longest match first', () => {
    const scrub = createScrubber(['abc', 'abc/def', 'a b', '']);
    assert.equal(scrub('x abc/def y abc z a%20b'), 'x [redacted] y [redacted] z [redacted]');
    assert.equal(scrub('abc%2Fdef'), '[redacted]');
    assert.equal(createScrubber([])('unchanged'), 'unchanged');
  });
});
