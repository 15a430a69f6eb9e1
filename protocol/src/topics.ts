import { ProtocolError } from './errors.js';
import { type TerminalId, TerminalIdSchema } from './ids.js';

export const TOPIC_ROOT = 'ccus/v1/t';

/** One branch per terminal; the leaf says what travels there. */
export const TOPIC_KINDS = ['taps', 'ack', 'status', 'roster', 'presence', 'config', 'cmd'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** Who may publish on each leaf. Brokers' ACLs and the server's checks follow this table. */
export const TOPIC_PUBLISHER: Record<TopicKind, 'terminal' | 'server'> = {
  taps: 'terminal',
  status: 'terminal',
  ack: 'server',
  roster: 'server',
  presence: 'server',
  config: 'server',
  cmd: 'server',
};

export function topicFor(terminalId: TerminalId, kind: TopicKind): string {
  return `${TOPIC_ROOT}/${terminalId}/${kind}`;
}

/** Subscription filter for one leaf across all terminals, e.g. `ccus/v1/t/+/taps`. */
export function topicFilter(kind: TopicKind): string {
  return `${TOPIC_ROOT}/+/${kind}`;
}

/** MQTT 5 shared subscription so that several sync servers split the ingest. */
export function sharedTopicFilter(group: string, kind: TopicKind): string {
  return `$share/${group}/${topicFilter(kind)}`;
}

export interface ParsedTopic {
  terminalId: TerminalId;
  kind: TopicKind;
}

/** Strict: exactly `ccus/v1/t/{terminalId}/{kind}`, nothing more, nothing less. */
export function parseTopic(topic: string): ParsedTopic {
  const prefix = `${TOPIC_ROOT}/`;
  const refuse = (why: string, field: string, value: unknown): never => {
    throw new ProtocolError('invalid_topic', `topic ${JSON.stringify(topic)} ${why}`, { field, value });
  };
  if (!topic.startsWith(prefix)) refuse(`is not under ${prefix}`, 'topic', topic);
  const rest = topic.slice(prefix.length).split('/');
  if (rest.length !== 2) refuse(`must be ${TOPIC_ROOT}/{terminalId}/{kind}`, 'topic', topic);
  const [terminalId, kind] = rest as [string, string];
  const id = TerminalIdSchema.safeParse(terminalId);
  if (!id.success) refuse(`has an invalid terminal ID: ${id.error.issues[0]?.message}`, 'terminalId', terminalId);
  if (!(TOPIC_KINDS as readonly string[]).includes(kind)) {
    refuse(`has an unknown leaf ${JSON.stringify(kind)}: expected one of ${TOPIC_KINDS.join(', ')}`, 'kind', kind);
  }
  return { terminalId: terminalId as TerminalId, kind: kind as TopicKind };
}
