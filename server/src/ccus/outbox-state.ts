/** What CCUS is told of a record; a change to any of it is sent again. */
export interface SubmissionContent {
  firstIn: string | null;
  lastOut: string | null;
  trade: string | null;
  position: string | null;
}

export const contentOf = (content: SubmissionContent): string =>
  JSON.stringify({
    firstIn: content.firstIn,
    lastOut: content.lastOut,
    trade: content.trade,
    position: content.position,
  });

const lastOutOf = (content: string | null): string | null =>
  content === null ? null : ((JSON.parse(content) as Partial<SubmissionContent>).lastOut ?? null);

export type OutboxState = 'pending' | 'held' | 'sending' | 'retrying' | 'accepted' | 'refused';

/** A record's place in the outbox, as stored. */
export interface OutboxEntry {
  state: string;
  content: string | null;
  sent_content: string | null;
  held_reason: string | null;
  next_attempt_at: string;
  last_sent_at: string | null;
  accepted_at: string | null;
}

/** The earliest a changed record may go: now, or `coalesceSeconds` after it was last sent. */
export function coalescedAfter(lastSentAt: string | null, now: string, coalesceSeconds: number): string {
  if (lastSentAt === null) return now;
  const window = new Date(Date.parse(lastSentAt) + coalesceSeconds * 1000).toISOString();
  return window > now ? window : now;
}

/**
 * Where a record stands once it is offered as it now is (`content`), held for a person when
 * `held` says why:
 * - one being sent, or refused until a person sends it again, keeps its state and turn;
 * - one waiting out a retry keeps its turn;
 * - one CCUS already holds exactly so stays accepted;
 * - otherwise it is due: at once when this is its exit (the record is complete) or nothing
 *   was sent yet, else a coalescing window after it was last sent, so a record changing all
 *   day goes once per window and the last change always goes.
 */
export function offered(
  entry: OutboxEntry,
  content: string,
  held: string | null,
  now: string,
  coalesceSeconds: number,
): Pick<OutboxEntry, 'state' | 'held_reason' | 'next_attempt_at'> {
  const { state } = entry;
  if (state === 'sending' || state === 'refused') {
    return { state, held_reason: entry.held_reason, next_attempt_at: entry.next_attempt_at };
  }
  const next = ((): OutboxState => {
    if (held !== null) return 'held';
    if (state === 'retrying') return 'retrying';
    if (entry.sent_content === content && (state === 'accepted' || state === 'held') && entry.accepted_at !== null) {
      return 'accepted';
    }
    return 'pending';
  })();
  const due = ((): string => {
    if (state === 'retrying') return entry.next_attempt_at;
    if (state === 'pending' && entry.content === content) return entry.next_attempt_at;
    if (lastOutOf(content) !== null && lastOutOf(entry.sent_content) === null) return now;
    return coalescedAfter(entry.last_sent_at, now, coalesceSeconds);
  })();
  return { state: next, held_reason: held, next_attempt_at: due };
}
