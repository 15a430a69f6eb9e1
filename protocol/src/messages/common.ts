import { z } from 'zod';
import { SCHEMA_VERSION } from '../version.js';

/** Every message starts with the schema version it was written in. */
export const VersionField = z.literal(SCHEMA_VERSION, { error: `must be the schema version ${SCHEMA_VERSION}` });

/** A terminal-local sequence number: starts at 1, never reused. */
export const SeqSchema = z
  .int('must be a whole number')
  .min(1, 'must be 1 or more: sequence numbers start at 1')
  .max(Number.MAX_SAFE_INTEGER, 'must be a safe integer');

export const UuidSchema = z.uuid('must be a UUID');
