import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { WallTimeSchema } from '../time.js';
import { SeqSchema, UuidSchema, VersionField } from './common.js';

/** Why the server refused one tap of an otherwise readable batch. */
export const TAP_REJECT_REASONS = [
  /** This sequence number is already stored with different content. */
  'conflict',
  /** The tap breaks a rule the schema cannot express (e.g. a time far in the future). */
  'invalid_tap',
] as const;
export type TapRejectReason = (typeof TAP_REJECT_REASONS)[number];

/** Why the server refused a whole batch. */
export const BATCH_ERROR_CODES = [
  'malformed',
  'unsupported_version',
  'too_large',
  'wrong_terminal',
  'not_permitted',
  'server_error',
] as const;
export type BatchErrorCode = (typeof BATCH_ERROR_CODES)[number];

const Reason = z.string().min(1).max(LIMITS.reasonChars);

/**
 * The server's answer to one tap batch. Every tap in `accepted.from..accepted.to` is
 * settled: stored (now or before) unless listed in `rejected`. A batch that could not
 * be read at all gets `error` and no range.
 */
export const AckSchema = z
  .strictObject({
    v: VersionField,
    /** The batch answered; null when the batch was unreadable. */
    batchId: UuidSchema.nullable(),
    accepted: z
      .strictObject({ from: SeqSchema, to: SeqSchema })
      .refine((range) => range.from <= range.to, { message: 'from must not be greater than to', path: ['to'] })
      .nullable(),
    rejected: z
      .array(z.strictObject({ seq: SeqSchema, reason: z.enum(TAP_REJECT_REASONS), message: Reason }))
      .max(LIMITS.tapsPerBatch),
    error: z.strictObject({ code: z.enum(BATCH_ERROR_CODES), message: Reason }).nullable(),
    /** The server's clock, so a terminal without NTP can tell whether its own is right. */
    serverTime: WallTimeSchema,
  })
  .superRefine((ack, ctx) => {
    if ((ack.accepted === null) === (ack.error === null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['accepted'],
        message: 'exactly one of accepted and error must be set',
      });
    }
    for (const [i, rejection] of ack.rejected.entries()) {
      if (ack.accepted === null || rejection.seq < ack.accepted.from || rejection.seq > ack.accepted.to) {
        ctx.addIssue({
          code: 'custom',
          path: ['rejected', i, 'seq'],
          message: 'must lie within the accepted range',
        });
      }
    }
  });
export type Ack = z.infer<typeof AckSchema>;
