import { isProtocolError, parseTopic, TOPIC_KINDS, TOPIC_PUBLISHER, TOPIC_ROOT, topicFor } from '@ccus-gate/protocol';

/** Who a broker connection is: the sync server's service account, or one terminal. */
export type Principal = { kind: 'service' } | { kind: 'terminal'; terminalId: string };

/**
 * The one ACL rule, for any broker we embed or configure: a terminal publishes only its
 * own `taps` and `status`, and subscribes only to its own `ack`, `roster`, `config` and
 * `cmd`, by exact topic (no wildcards). The service account works under the root.
 */
export function mayPublish(who: Principal, topic: string): string | null {
  if (who.kind === 'service') return topic.startsWith(`${TOPIC_ROOT}/`) ? null : `outside ${TOPIC_ROOT}/`;
  try {
    const { terminalId, kind } = parseTopic(topic);
    if (terminalId !== who.terminalId) return `terminal ${who.terminalId} may not publish for ${terminalId}`;
    if (TOPIC_PUBLISHER[kind] !== 'terminal') return `terminals may not publish on ${kind}`;
    return null;
  } catch (error) {
    return isProtocolError(error) ? error.message : String(error);
  }
}

export function maySubscribe(who: Principal, filter: string): string | null {
  if (who.kind === 'service') {
    return filter.startsWith(`${TOPIC_ROOT}/`) || filter.startsWith(`$share/`) ? null : `outside ${TOPIC_ROOT}/`;
  }
  const allowed = TOPIC_KINDS.filter((kind) => TOPIC_PUBLISHER[kind] === 'server');
  const own = allowed.map((kind) => topicFor(who.terminalId as never, kind));
  return own.includes(filter) ? null : `terminal ${who.terminalId} may subscribe only to ${own.join(', ')}`;
}
