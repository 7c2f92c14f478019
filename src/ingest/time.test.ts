import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAnyTime, parseClfTime, parseIsoTime } from './time.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

describe('parseClfTime', () => {
  test('the Apache documentation example and a UTC time', () => {
    assert.equal(parseClfTime('10/Oct/2000:13:55:36 -0700', 0), Date.UTC(2000, 9, 10, 20, 55, 36));
    assert.equal(parseClfTime('[17/May/2015:10:05:03 +0000]', 1), Date.UTC(2015, 4, 17, 10, 5, 3));
    assert.equal(parseClfTime('01/Jan/1970:05:30:00 +0530', 0), 0);
    assert.equal(parseClfTime('29/Feb/2024:23:59:59 +0000', 0), Date.UTC(2024, 1, 29, 23, 59, 59));
  });

  test('anything but the exact shape is NaN', () => {
    for (const bad of [
      '10/Oct/2000:13:55:36',
      '10/oct/2000:13:55:36 -0700',
      '10/Okt/2000:13:55:36 -0700',
      '32/Oct/2000:13:55:36 -0700',
      '10/Oct/2000:24:55:36 -0700',
      '10/Oct/2000 13:55:36 -0700',
      '10/Oct/2000:13:55:36 *0700',
      '1x/Oct/2000:13:55:36 -0700',
      '',
    ]) {
      assert.ok(Number.isNaN(parseClfTime(bad, 0)), bad);
    }
  });

  test('agrees with Date for any time and offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2200, 0, 1) }), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }), (t, offsetMinutes) => {
        const ms = Math.floor(t / 1000) * 1000;
        const local = new Date(ms + offsetMinutes * 60_000);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const text = `${pad(local.getUTCDate())}/${MONTHS[local.getUTCMonth()]}/${local.getUTCFullYear()}:${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
        assert.equal(parseClfTime(text, 0), ms, text);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseIsoTime', () => {
  test('log variants', () => {
    assert.equal(parseIsoTime('2018-07-02T22:23:00.186641Z'), Date.UTC(2018, 6, 2, 22, 23, 0, 186));
    assert.equal(parseIsoTime('2016-04-15T20:17:00.310Z'), Date.UTC(2016, 3, 15, 20, 17, 0, 310));
    assert.equal(parseIsoTime('2024-05-01T10:00:00+02:00'), Date.UTC(2024, 4, 1, 8, 0, 0));
    assert.equal(parseIsoTime('2024-05-01T10:00:00-0330'), Date.UTC(2024, 4, 1, 13, 30, 0));
    assert.equal(parseIsoTime('2024-05-01 10:00:00'), Date.UTC(2024, 4, 1, 10, 0, 0));
    assert.equal(parseIsoTime('2024-05-01T10:00:00,5Z'), Date.UTC(2024, 4, 1, 10, 0, 0, 500));
  });

  test('malformed is NaN', () => {
    for (const bad of ['-', '2024-05-01', '2024-13-01T00:00:00Z', '2024-05-01T10:00:00Q', '2024-05-01T10:00:00.Z', '2024-05-01T10:00:00+2', 'not-a-time-at-all!!']) {
      assert.ok(Number.isNaN(parseIsoTime(bad)), bad);
    }
  });

  test('agrees with Date.parse on toISOString output', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }), (t) => {
        assert.equal(parseIsoTime(new Date(t).toISOString()), t);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseAnyTime', () => {
  test('numbers in s, ms, µs and ns, numeric strings, ISO, CLF', () => {
    const t = Date.UTC(2024, 2, 12, 8, 15, 27, 123);
    assert.equal(parseAnyTime(t / 1000), t);
    assert.equal(parseAnyTime(t), t);
    assert.equal(parseAnyTime(t * 1000), t);
    assert.equal(parseAnyTime(t * 1e6), t);
    assert.equal(parseAnyTime(String(t / 1000)), t);
    assert.equal(parseAnyTime('2024-03-12T08:15:27.123Z'), t);
    assert.equal(parseAnyTime('12/Mar/2024:08:15:27 +0000'), t - 123);
    assert.equal(parseAnyTime('Tue, 12 Mar 2024 08:15:27 GMT'), t - 123);
    assert.ok(Number.isNaN(parseAnyTime('yesterday')));
    assert.ok(Number.isNaN(parseAnyTime(null)));
    assert.ok(Number.isNaN(parseAnyTime(-5)));
  });
});
