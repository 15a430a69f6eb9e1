import {
  cardKey,
  ccusDeadline,
  isProtocolError,
  isValidTimeZone,
  parseCardRef,
  parseTerminalId,
  parseTopic,
  parseWorkerId,
  sharedTopicFilter,
  topicFilter,
  topicFor,
  workingDay,
  workingDayCache,
} from '@ccus-gate/protocol';
import { describe, expect, it } from 'vitest';

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('IDs', () => {
  it('accepts worker IDs of 1 to 14 digits only', () => {
    expect(parseWorkerId('12345678901234')).toBe('12345678901234');
    expect(() => parseWorkerId('123456789012345')).toThrow(/workerId "123456789012345" must be a CCUS worker ID/);
    expect(() => parseWorkerId('')).toThrow(/workerId/);
    expect(() => parseWorkerId(12345)).toThrow(/workerId/);
  });

  it('reads card identifiers as people type them and infers the technology from the length', () => {
    expect(parseCardRef('01:2e:4c:d3:a1:b2:c3:d4')).toEqual({ tech: 'felica', id: '012E4CD3A1B2C3D4' });
    expect(parseCardRef(' 04 a2 b3 c4 ')).toEqual({ tech: 'mifare', id: '04A2B3C4' });
    expect(parseCardRef('04a2b3c4d5e6f7')).toEqual({ tech: 'mifare', id: '04A2B3C4D5E6F7' });
    expect(cardKey(parseCardRef('04a2b3c4'))).toBe('mifare:04A2B3C4');
  });

  it('refuses card identifiers of the wrong length or alphabet, saying what would do', () => {
    for (const raw of ['04a2b3', 'hello', '', '0102030405', '012E4CD3A1B2C3D4']) {
      const error = errorOf(() => parseCardRef(raw, raw.length === 16 ? 'mifare' : undefined));
      expect(isProtocolError(error), raw).toBe(true);
      expect(String(error)).toMatch(/card/);
    }
  });

  it('keeps terminal IDs safe as topic levels and user names', () => {
    expect(parseTerminalId('gate-tokyo-01')).toBe('gate-tokyo-01');
    for (const bad of ['Gate', 'a/b', 'gate+', 'gate#', '-gate', 'ab', 'x'.repeat(33)]) {
      expect(() => parseTerminalId(bad), bad).toThrow(/terminalId/);
    }
  });
});

describe('topics', () => {
  const id = parseTerminalId('gate-tokyo-01');

  it('builds and parses every leaf', () => {
    for (const kind of ['taps', 'ack', 'status', 'roster', 'config', 'cmd'] as const) {
      expect(parseTopic(topicFor(id, kind))).toEqual({ terminalId: id, kind });
    }
    expect(topicFilter('taps')).toBe('ccus/v1/t/+/taps');
    expect(sharedTopicFilter('ingest', 'taps')).toBe('$share/ingest/ccus/v1/t/+/taps');
  });

  it('refuses anything but exactly ccus/v1/t/{terminalId}/{kind}', () => {
    for (const topic of [
      'ccus/v2/t/gate-tokyo-01/taps',
      'ccus/v1/t/gate-tokyo-01/taps/extra',
      'ccus/v1/t/gate-tokyo-01',
      'ccus/v1/t/GATE/taps',
      'ccus/v1/t/gate-tokyo-01/selfie',
      'ccus/v1/t/+/taps',
    ]) {
      const error = errorOf(() => parseTopic(topic));
      expect(isProtocolError(error) && error.code, topic).toBe('invalid_topic');
    }
  });
});

describe('working day', () => {
  const tokyo = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };

  it('uses the site time zone, not the machine one', () => {
    // 23:30 UTC on the 23rd is 08:30 on the 24th in Tokyo.
    expect(workingDay(new Date('2026-11-23T23:30:00Z'), tokyo)).toBe('2026-11-24');
  });

  it('keeps a night shift on the day it started until the boundary', () => {
    expect(workingDay(new Date('2026-11-25T03:59:00+09:00'), tokyo)).toBe('2026-11-24');
    expect(workingDay(new Date('2026-11-25T04:00:00+09:00'), tokyo)).toBe('2026-11-25');
    expect(workingDay(new Date('2026-11-25T00:30:00+09:00'), { ...tokyo, dayBoundary: '00:00' })).toBe('2026-11-25');
  });

  it('gives the end of the following month as the CCUS deadline', () => {
    expect(ccusDeadline('2026-11-24')).toBe('2026-12-31');
    expect(ccusDeadline('2026-12-01')).toBe('2027-01-31');
    expect(ccusDeadline('2027-01-31')).toBe('2027-02-28');
  });
});

describe('time zones', () => {
  it('accepts canonical names and the aliases ICU knows, and refuses anything else', () => {
    for (const zone of ['Asia/Tokyo', 'America/New_York', 'UTC', 'Etc/UTC', 'Asia/Calcutta', 'Japan']) {
      expect(isValidTimeZone(zone), zone).toBe(true);
    }
    for (const zone of ['Mars/Olympus_Mons', 'asia/tokyo ', '', 'Tokyo'])
      expect(isValidTimeZone(zone), zone).toBe(false);
  });
});

describe('workingDayCache', () => {
  it('agrees with workingDay minute by minute across day boundaries and odd offsets', () => {
    for (const rule of [
      { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
      { timeZone: 'Asia/Kathmandu', dayBoundary: '04:07' },
      { timeZone: 'America/New_York', dayBoundary: '00:00' },
    ]) {
      const cache = workingDayCache(rule);
      // Two days around a DST change in New York, a minute and 17 seconds at a time.
      for (let ms = Date.parse('2026-03-07T00:00:00Z'); ms < Date.parse('2026-03-09T12:00:00Z'); ms += 77_000) {
        const at = new Date(ms);
        expect(cache.of(at.toISOString())).toBe(workingDay(at, rule));
      }
    }
  });
});
