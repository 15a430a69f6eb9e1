import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

/** Sequence numbers reserved ahead in the floor file; one small write per this many taps. */
export const SEQUENCE_RESERVATION = 1000;

/**
 * A file beside the store that always holds a number above every sequence number given out.
 * If the store ever has to be replaced (a corrupt file moved aside), the new one starts
 * there, so the server never sees a sequence number twice with different taps.
 */
export class SequenceFloor {
  readonly path: string;
  #reservedUpTo: number;

  constructor(path: string) {
    this.path = path;
    this.#reservedUpTo = SequenceFloor.read(path) ?? 0;
  }

  static read(path: string): number | null {
    try {
      const value = Number(JSON.parse(readFileSync(path, 'utf8')).reservedUpTo);
      return Number.isSafeInteger(value) && value > 0 ? value : null;
    } catch {
      return null;
    }
  }

  get reservedUpTo(): number {
    return this.#reservedUpTo;
  }

  /** Called with each new sequence number; writes (durably) only when the reservation runs out. */
  cover(seq: number): void {
    if (seq < this.#reservedUpTo) return;
    const next = seq + SEQUENCE_RESERVATION;
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify({ reservedUpTo: next }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    this.#reservedUpTo = next;
  }
}
