import {
  type Ack,
  type BatchErrorCode,
  decodeMessage,
  isProtocolError,
  type ProtocolError,
  type TapBatch,
  type TerminalId,
} from '@ccus-gate/protocol';
import type { Logger } from 'pino';
import type { RecordKey } from '../records/record-queue.js';
import type { ServerStores } from '../store/server-stores.js';
import type { BatchTerminal, StoredBatch } from '../store/tap-store.js';

/** What ingest reads and writes: taps, terminals' assignments and status, refused messages. */
export type IngestStores = Pick<ServerStores, 'taps' | 'directory' | 'quarantineLog'>;

export interface IngestResult {
  ack: Ack;
  /** Taps newly stored (0 for a replay). */
  inserted: number;
  records: RecordKey[];
  /** A card enrolment waited at the terminal as the batch came (read with its assignment). */
  enrolmentWaiting: boolean;
}

function errorCode(error: ProtocolError): BatchErrorCode {
  switch (error.code) {
    case 'too_large':
      return 'too_large';
    case 'unsupported_version':
      return 'unsupported_version';
    default:
      return 'malformed';
  }
}

/**
 * One tap batch from one terminal: validate, store idempotently, answer. Anything the
 * terminal sends gets an answer with a reason; nothing it sends can throw out of here.
 */
export async function ingestTapBatch(
  deps: {
    stores: IngestStores;
    log: Logger;
    now: () => Date;
    /** How the batch is stored: by default alone; MqttIngest groups those that arrive together (tap-writer.ts). */
    write?: (terminal: BatchTerminal, batch: TapBatch) => Promise<StoredBatch> | StoredBatch;
  },
  terminalId: TerminalId,
  topic: string,
  payload: Buffer,
): Promise<IngestResult> {
  const { stores, log } = deps;
  const refuse = async (code: BatchErrorCode, message: string, batchId: string | null): Promise<IngestResult> => {
    const reason = message.slice(0, 300);
    await stores.quarantineLog.keep({ topic, clientId: terminalId, code, reason, payload });
    log.warn({ terminalId, code, reason }, 'batch refused');
    return {
      ack: {
        v: 1,
        batchId,
        accepted: null,
        rejected: [],
        error: { code, message: reason },
        serverTime: deps.now().toISOString(),
      },
      inserted: 0,
      records: [],
      enrolmentWaiting: false,
    };
  };

  let batch: ReturnType<typeof decodeMessage<'taps'>>;
  try {
    batch = decodeMessage('taps', payload);
  } catch (error) {
    if (isProtocolError(error)) return refuse(errorCode(error), error.message, null);
    return refuse('malformed', String(error), null);
  }
  if (batch.terminalId !== terminalId) {
    return refuse('wrong_terminal', `batch says terminal ${batch.terminalId} but came on ${topic}`, batch.batchId);
  }
  const terminal = await stores.directory.terminal(terminalId);
  if (terminal === null) return refuse('not_permitted', `terminal ${terminalId} is not registered`, batch.batchId);
  if (terminal.siteId === null || terminal.rule === null) {
    return refuse('not_permitted', `terminal ${terminalId} is not assigned to a site`, batch.batchId);
  }
  try {
    const write = deps.write ?? ((to: BatchTerminal, taps: TapBatch) => stores.taps.storeBatch(to, taps));
    const stored = await write({ ...terminal, siteId: terminal.siteId, rule: terminal.rule }, batch);
    log.debug({ terminalId, ...stored.accepted, inserted: stored.inserted }, 'batch stored');
    return {
      ack: {
        v: 1,
        batchId: batch.batchId,
        accepted: stored.accepted,
        rejected: stored.rejected,
        error: null,
        serverTime: deps.now().toISOString(),
      },
      inserted: stored.inserted,
      records: stored.records,
      enrolmentWaiting: terminal.enrolmentWaiting,
    };
  } catch (error) {
    // Not stored, so not acked as stored: the terminal keeps the taps and sends them again.
    log.error({ err: error, terminalId }, 'batch could not be stored');
    return {
      ack: {
        v: 1,
        batchId: batch.batchId,
        accepted: null,
        rejected: [],
        error: { code: 'server_error', message: 'the server could not store this batch; it will be sent again' },
        serverTime: deps.now().toISOString(),
      },
      inserted: 0,
      records: [],
      enrolmentWaiting: false,
    };
  }
}
