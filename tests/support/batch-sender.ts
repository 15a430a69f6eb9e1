import { randomUUID } from 'node:crypto';
import {
  type Ack,
  type CardRef,
  decodeMessage,
  encodeMessage,
  type TapFlag,
  type TerminalId,
  topicFor,
  type WorkerId,
} from '@ccus-gate/protocol';
import { connectAsync, type MqttClient } from 'mqtt';

export interface BatchTap {
  card: CardRef;
  workerId: WorkerId | null;
  direction: 'in' | 'out';
  at: string;
  clockSynced?: boolean;
  flags?: TapFlag[];
  /** Monotonic time; by default the tap's wall time less a fixed boot time (one boot, its clock right). */
  mono?: number;
  bootId?: string;
}

const BOOT = '5a1f0c3e-8d2b-4e6a-9c71-0b3d5e7f9a24';
const BOOT_AT = Date.parse('2020-01-01T00:00:00Z');

/**
 * A terminal as the server sees it on the wire: an MQTT client with the terminal's own
 * credentials that publishes tap batches on its branch and waits for each one's ack.
 */
export class BatchSender {
  readonly #client: MqttClient;
  readonly #terminalId: TerminalId;
  readonly #acks = new Map<string, (ack: Ack) => void>();
  #seq = 0;

  private constructor(client: MqttClient, terminalId: TerminalId) {
    this.#client = client;
    this.#terminalId = terminalId;
    client.on('message', (_topic, payload) => {
      const ack = decodeMessage('ack', payload);
      if (ack.batchId !== null) this.#acks.get(ack.batchId)?.(ack);
    });
  }

  static async connect(url: string, terminalId: TerminalId, password: string): Promise<BatchSender> {
    const client = await connectAsync(url, {
      username: terminalId,
      password,
      clientId: terminalId,
      reconnectPeriod: 0,
    });
    await client.subscribeAsync(topicFor(terminalId, 'ack'), { qos: 1 });
    return new BatchSender(client, terminalId);
  }

  /** Publishes the taps as one batch (numbered on from the last) and resolves with the server's ack. */
  async send(taps: BatchTap[]): Promise<Ack> {
    const batchId = randomUUID();
    const batch = {
      v: 1 as const,
      terminalId: this.#terminalId,
      batchId,
      sentAt: new Date().toISOString(),
      taps: taps.map((tap) => ({
        seq: ++this.#seq,
        card: tap.card,
        workerId: tap.workerId,
        direction: tap.direction,
        at: tap.at,
        bootId: tap.bootId ?? BOOT,
        mono: tap.mono ?? Math.max(0, Date.parse(tap.at) - BOOT_AT),
        clockSynced: tap.clockSynced ?? true,
        flags: tap.flags ?? [],
      })),
    };
    const acked = new Promise<Ack>((resolve) => this.#acks.set(batchId, resolve));
    await this.#client.publishAsync(topicFor(this.#terminalId, 'taps'), encodeMessage('taps', batch), { qos: 1 });
    const ack = await acked;
    this.#acks.delete(batchId);
    return ack;
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }
}
