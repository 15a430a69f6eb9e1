import type { Stack } from './stack.js';

const FEEDBACK: Record<string, string> = {
  entry: 'ENTRY recorded (green light, one beep, gate opens)',
  exit: 'EXIT recorded (green light, two beeps, gate opens)',
  offline: 'recorded while OFFLINE (green and red, one beep): it will be sent when the server is back',
  already: 'ALREADY recorded (two green blinks): the same card within the debounce window',
  unknown: 'UNKNOWN card (red light, long beep): recorded and flagged for a person',
  refused: 'REFUSED: card not in the roster (red light, long beep)',
  readError: 'READ ERROR (red light, short beeps): tap again',
  fault: 'TERMINAL FAULT (red blinking): the tap could not be stored',
};

/** Prints one line for each stage a tap reaches, naming the card. */
export function narrate(stack: Stack, print: (line: string) => void): void {
  const cardOfWorker = new Map<string, string>(stack.demo.workers.map((w) => [w.workerId, w.card.id]));
  const time = (iso: string | null): string =>
    iso === null ? '-' : new Date(iso).toLocaleTimeString('ja-JP', { timeZone: stack.demo.timeZone });
  const cardOfSeq = new Map<number, string>();

  stack.terminal.on('outcome', (outcome) => {
    if ('tap' in outcome) {
      const { tap } = outcome;
      const id = tap.card.id;
      cardOfSeq.set(tap.seq, id);
      if (tap.workerId !== null) cardOfWorker.set(tap.workerId, id);
      print(`[${id}] stored on the terminal as seq ${tap.seq} (${tap.direction}, worker ${tap.workerId ?? 'unknown'})`);
      print(`[${id}] feedback: ${FEEDBACK[outcome.offline ? 'offline' : outcome.kind]}`);
    } else if (outcome.kind === 'readError') {
      print(`[?] feedback: ${FEEDBACK.readError}: ${outcome.error.message}`);
    } else {
      print(
        `[${outcome.card.id}] feedback: ${FEEDBACK[outcome.kind]}${outcome.kind === 'fault' ? `: ${outcome.error.message}` : ''}`,
      );
    }
  });
  stack.display.onShow((lines) => {
    const shown = lines.map((line) => line.trim()).filter((line) => line !== '');
    if (shown.length > 0) print(`[display] ${shown.join(' | ')}`);
  });
  stack.terminal.on('settled', (taps) => {
    for (const tap of taps) {
      cardOfSeq.delete(tap.seq);
      print(
        tap.state === 'delivered'
          ? `[${tap.card.id}] delivered: the server acked seq ${tap.seq}`
          : `[${tap.card.id}] rejected by the server: ${tap.reason}`,
      );
    }
  });
  stack.server.on('records', (records) => {
    for (const record of records) {
      const id = cardOfWorker.get(record.workerId) ?? '?';
      const detail = stack.serverStore.queries.recordByKey(record);
      const times = detail
        ? `in ${time(detail.firstIn)}, out ${time(detail.lastOut)}${detail.flags.length ? `, flags: ${detail.flags.join(', ')}` : ''}`
        : '';
      print(`[${id}] work record for worker ${record.workerId} on ${record.workingDay}: ${times}`);
    }
  });
  stack.server.on('accepted', ({ item, receipt }) => {
    const id = cardOfWorker.get(item.workerId) ?? '?';
    print(`[${id}] accepted by the CCUS simulator: worker ${item.workerId}, ${item.workingDay} (receipt ${receipt})`);
  });
  stack.server.on('refused', ({ item, reason }) => {
    const id = cardOfWorker.get(item.workerId) ?? '?';
    print(`[${id}] REFUSED by the CCUS simulator, waits for a person: ${reason}`);
  });
  stack.server.on('retrying', ({ item, reason, inMs }) => {
    const id = cardOfWorker.get(item.workerId) ?? '?';
    print(`[${id}] CCUS not reached (${reason}); retrying in ${Math.round(inMs / 1000)} s`);
  });
}
