import type { z } from 'zod';
import { ProtocolError, type ProtocolIssue } from './errors.js';
import { LIMITS } from './limits.js';
import { AckSchema } from './messages/ack.js';
import { CommandSchema } from './messages/command.js';
import { TerminalConfigSchema } from './messages/config.js';
import { PresenceSchema } from './messages/presence.js';
import { RosterSchema } from './messages/roster.js';
import { StatusSchema } from './messages/status.js';
import { TapBatchSchema } from './messages/tap-batch.js';
import type { TopicKind } from './topics.js';
import { SUPPORTED_VERSIONS } from './version.js';

/** The schema of the message on each topic leaf. */
export const MESSAGE_SCHEMAS = {
  taps: TapBatchSchema,
  ack: AckSchema,
  status: StatusSchema,
  roster: RosterSchema,
  presence: PresenceSchema,
  config: TerminalConfigSchema,
  cmd: CommandSchema,
} satisfies Record<TopicKind, z.ZodType>;

export type MessageOf<K extends TopicKind> = z.infer<(typeof MESSAGE_SCHEMAS)[K]>;

/** `['taps', 3, 'card', 'id']` → `taps[3].card.id` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function toIssues(error: z.ZodError): ProtocolIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys;
      return {
        field: formatPath([...issue.path, keys[0] ?? '']),
        message: `is not a field of this message (unknown: ${keys.join(', ')})`,
      };
    }
    return { field: formatPath(issue.path), message: issue.message };
  });
}

/** Validates a decoded value against the schema of `kind`; throws ProtocolError naming the field. */
export function validateMessage<K extends TopicKind>(kind: K, value: unknown): MessageOf<K> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('invalid_message', `${kind} message must be a JSON object`, {
      field: '',
      value,
      expected: 'object',
    });
  }
  const version = (value as { v?: unknown }).v;
  if (version === undefined) {
    throw new ProtocolError(
      'invalid_message',
      `${kind} message: v is missing: every message carries its schema version`,
      {
        field: 'v',
        expected: `one of ${SUPPORTED_VERSIONS.join(', ')}`,
      },
    );
  }
  if (typeof version !== 'number' || !SUPPORTED_VERSIONS.includes(version)) {
    throw new ProtocolError(
      'unsupported_version',
      `${kind} message: v ${JSON.stringify(version)} is not a schema version this side speaks (supported: ${SUPPORTED_VERSIONS.join(', ')})`,
      { field: 'v', value: version, expected: `one of ${SUPPORTED_VERSIONS.join(', ')}` },
    );
  }
  const result = MESSAGE_SCHEMAS[kind].safeParse(value);
  if (result.success) return result.data as MessageOf<K>;
  const issues = toIssues(result.error);
  const first = issues[0] ?? { field: '', message: 'is invalid' };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ProtocolError('invalid_message', `${kind} message: ${first.field || 'message'}: ${first.message}${more}`, {
    field: first.field,
    issues,
  });
}

/** Parses a payload from the wire: size limit, JSON, version, then schema. */
export function decodeMessage<K extends TopicKind>(kind: K, payload: Uint8Array | string): MessageOf<K> {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const limit = LIMITS.messageBytes[kind];
  if (bytes > limit) {
    throw new ProtocolError('too_large', `${kind} message is ${bytes} bytes, over the limit of ${limit}`, {
      field: '',
      value: bytes,
      expected: `at most ${limit} bytes`,
    });
  }
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError('malformed_json', `${kind} message is not JSON: ${(error as Error).message}`, {
      field: '',
      expected: 'a JSON object',
    });
  }
  return validateMessage(kind, value);
}

/** Validates and serialises a message; refuses one that the other side would refuse. */
export function encodeMessage<K extends TopicKind>(kind: K, message: MessageOf<K>): Buffer {
  const valid = validateMessage(kind, message);
  const payload = Buffer.from(JSON.stringify(valid));
  const limit = LIMITS.messageBytes[kind];
  if (payload.byteLength > limit) {
    throw new ProtocolError('too_large', `${kind} message is ${payload.byteLength} bytes, over the limit of ${limit}`, {
      field: '',
      value: payload.byteLength,
      expected: `at most ${limit} bytes`,
    });
  }
  return payload;
}
