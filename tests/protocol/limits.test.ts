import { decodeMessage, encodeMessage, isProtocolError, LIMITS, type TapBatch } from '@ccus-gate/protocol';
import { describe, expect, it } from 'vitest';
import { onlineStatus } from '../support/terminal-status.js';

function batchOf(count: number): TapBatch {
  const taps = Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    card: { tech: 'felica', id: '012E4CD3A1B2C3D4' },
    workerId: '12345678901234',
    direction: 'in',
    at: '2026-11-24T07:42:10.125+09:00',
    bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
    mono: 1000 + i,
    clockSynced: true,
    flags: [],
  }));
  return {
    v: 1,
    terminalId: 'gate-tokyo-01',
    batchId: '0b8e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
    sentAt: '2026-11-24T07:42:14.000+09:00',
    taps,
  } as unknown as TapBatch;
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('size limits', () => {
  it('accepts a batch of exactly the maximum number of taps, within the byte limit', () => {
    const payload = encodeMessage('taps', batchOf(LIMITS.tapsPerBatch));
    expect(payload.byteLength).toBeLessThanOrEqual(LIMITS.messageBytes.taps);
    expect(decodeMessage('taps', payload).taps).toHaveLength(LIMITS.tapsPerBatch);
  });

  it('refuses one tap more, naming the taps field', () => {
    const error = errorOf(() => decodeMessage('taps', JSON.stringify(batchOf(LIMITS.tapsPerBatch + 1))));
    expect(isProtocolError(error) && error.field).toBe('taps');
  });

  it('refuses an oversize payload before parsing it', () => {
    const payload = Buffer.alloc(LIMITS.messageBytes.taps + 1, 0x20);
    const error = errorOf(() => decodeMessage('taps', payload));
    expect(isProtocolError(error) && error.code).toBe('too_large');
    expect(String(error)).toContain(String(LIMITS.messageBytes.taps));
  });

  it('refuses to encode a message that is over its byte limit', () => {
    const status = decodeMessage(
      'status',
      JSON.stringify(
        onlineStatus('gate-tokyo-01', {
          at: '2026-11-24T07:45:00.000+09:00',
          rosterVersion: null,
          reader: { state: 'ok', model: null },
        }),
      ),
    );
    expect(() => encodeMessage('status', status)).not.toThrow();
    const big = { ...status, unknown: 'x'.repeat(LIMITS.messageBytes.status) };
    expect(() => encodeMessage('status', big as never)).toThrow(/unknown/);
  });
});
