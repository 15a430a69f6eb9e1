import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type Ack,
  type Command,
  decodeMessage,
  encodeMessage,
  isProtocolError,
  LIMITS,
  type OnlineStatus,
  type Presence,
  type Roster,
  type Tap,
  type TapBatch,
  type TerminalConfig,
  type TerminalId,
  type TopicKind,
  topicFor,
} from '@ccus-gate/protocol';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import type { SettledTap, TerminalStore } from '../store/terminal-store.js';
import { Backoff } from './backoff.js';

export interface SyncOptions {
  /** e.g. mqtt://127.0.0.1:1883 or mqtts://broker.example:8883 */
  url: string;
  terminalId: TerminalId;
  password: string;
  /** CA certificate(s) for mqtts. */
  ca?: string | Buffer;
  /** Batches awaiting an ack at once. */
  window?: number;
  /** Taps per batch, at most the protocol's limit. */
  batchSize?: number;
  /** A batch without an ack after this long is sent again. */
  ackTimeoutMs?: number;
  /** How often the status is refreshed while online. */
  statusIntervalMs?: number;
}

/** How a terminal sends when its config says nothing (the server's benchmarks load it the same way). */
export const SYNC_DEFAULTS = {
  window: 4,
  batchSize: 500,
  ackTimeoutMs: 30_000,
  statusIntervalMs: 60_000,
} as const satisfies Omit<Required<SyncOptions>, 'url' | 'terminalId' | 'password' | 'ca'>;

export interface SyncAgentEvents {
  connected: [];
  disconnected: [];
  sent: [{ batchId: string; from: number; to: number; count: number }];
  settled: [SettledTap[]];
  batchRefused: [{ batchId: string | null; code: string; message: string }];
  roster: [Roster];
  presence: [Presence];
  config: [TerminalConfig];
  command: [Command];
  /** A message from the server that was refused, with the reason. */
  refusedMessage: [{ topic: string; reason: string }];
  /** The server's clock from an ack, and when (monotonic) the batch it answers was sent. */
  serverTime: [{ serverTime: Date; sentAtMono: number }];
}

interface InFlight {
  from: number;
  to: number;
  sentAtMono: number;
}

/** The longest wait between reconnect attempts. */
export const RECONNECT_MAX_MS = 8_000;

const SUBSCRIBED: TopicKind[] = ['ack', 'roster', 'presence', 'config', 'cmd'];

/**
 * Sends the store's undelivered taps in sequence order and settles them from acks.
 * The store is the source of truth; MQTT only carries. Nothing is marked delivered
 * until the server's ack for exactly that batch arrives.
 */
export class SyncAgent extends EventEmitter<SyncAgentEvents> {
  readonly #options: Required<Omit<SyncOptions, 'ca'>> & { ca?: string | Buffer };
  readonly #store: TerminalStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #status: () => OnlineStatus;
  /**
   * Reconnects and retries: from half a second, doubling, to at most 8 s, each wait drawn at
   * random below that (full jitter). A terminal is back within seconds of the broker's return
   * after an outage of any length, and a fleet's reconnects spread over those seconds rather
   * than arriving at once (tests/system/reconnect-storm.test.ts).
   */
  readonly #backoff = new Backoff(500, RECONNECT_MAX_MS);
  readonly #inFlight = new Map<string, InFlight>();
  #client: MqttClient | null = null;
  #connected = false;
  /** Highest sequence already handed to MQTT on this connection. */
  #queuedUpTo = 0;
  #pumping = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #statusTimer: NodeJS.Timeout | null = null;
  #ackTimer: NodeJS.Timeout | null = null;
  #lastErrorCode: string | null = null;

  constructor(
    options: SyncOptions,
    deps: { store: TerminalStore; clock: Clock; log: Logger; status: () => OnlineStatus },
  ) {
    super();
    this.#options = { ...SYNC_DEFAULTS, ...options };
    if (this.#options.batchSize > LIMITS.tapsPerBatch) {
      throw new Error(
        `sync: batchSize ${this.#options.batchSize} is over the protocol limit of ${LIMITS.tapsPerBatch}`,
      );
    }
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#status = deps.status;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    const { terminalId } = this.#options;
    const clientOptions: IClientOptions = {
      clientId: terminalId,
      username: terminalId,
      password: this.#options.password,
      // A persistent session: the broker keeps our subscriptions and queued acks while we are away.
      clean: false,
      protocolVersion: 4,
      keepalive: 30,
      reconnectPeriod: this.#backoff.next(),
      connectTimeout: 10_000,
      will: { ...this.#offlineStatus(), qos: 1, retain: true },
      // mqtt-packet otherwise keeps 65,536 pre-made two-byte Buffers (about 6 MiB of heap on a Pi).
      writeCache: false,
    };
    if (this.#options.ca !== undefined) clientOptions.ca = this.#options.ca;
    const client = connect(this.#options.url, clientOptions);
    this.#client = client;

    client.on('connect', () => {
      // MQTT.js leaves Nagle on; acks are small and latency-bound.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.#connected = true;
      this.#lastErrorCode = null;
      this.#backoff.reset();
      client.options.reconnectPeriod = this.#backoff.next();
      this.#inFlight.clear();
      this.#queuedUpTo = 0;
      this.#log.info({ url: this.#options.url }, 'connected to broker');
      client.subscribe(
        SUBSCRIBED.map((kind) => topicFor(terminalId, kind)),
        { qos: 1 },
        (error) => {
          if (error) this.#log.warn({ err: error }, 'subscribe failed');
        },
      );
      this.publishStatus();
      this.emit('connected');
      this.kick();
    });
    client.on('close', () => {
      if (this.#connected) {
        this.#log.info('disconnected from broker');
        this.emit('disconnected');
      }
      this.#connected = false;
      // Once connected again the agent resends every unanswered batch in sequence order.
      // MQTT.js would first replay this connection's unacknowledged publishes from its own
      // store, ahead of those: after a server died holding batches the broker had already
      // taken, later batches would be stored before earlier ones.
      for (const messageId of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(messageId));
      client.options.reconnectPeriod = this.#backoff.next();
    });
    client.on('error', (error) => {
      // Once per outage at warn; every retry of a long outage would otherwise fill the journal.
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      if (code !== this.#lastErrorCode) this.#log.warn({ code, message: error.message }, 'broker connection error');
      else this.#log.debug({ code }, 'broker connection error again');
      this.#lastErrorCode = code;
    });
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));

    this.#statusTimer = setInterval(() => this.publishStatus(), this.#options.statusIntervalMs);
    this.#statusTimer.unref();
    // Without new taps nothing would call kick, so an unanswered batch would wait forever.
    this.#ackTimer = setInterval(() => this.kick(), Math.max(50, Math.floor(this.#options.ackTimeoutMs / 4)));
    this.#ackTimer.unref();
  }

  /** Asks the broker for the retained message on one of our topics again, e.g. the roster. */
  resubscribe(kind: Exclude<TopicKind, 'taps' | 'status'>): void {
    const client = this.#client;
    if (client === null || !this.#connected) return;
    const topic = topicFor(this.#options.terminalId, kind);
    client.unsubscribe(topic, () => {
      client.subscribe(topic, { qos: 1 }, (error) => {
        if (error) this.#log.warn({ err: error, topic }, 'resubscribe failed');
      });
    });
  }

  async stop(): Promise<void> {
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    if (this.#ackTimer) clearInterval(this.#ackTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = null;
    if (client === null) return;
    // Nothing may be sent from here on: a kick still queued must find the agent stopped.
    const wasConnected = this.#connected;
    this.#connected = false;
    if (wasConnected) {
      // A clean stop says so itself; the last will is for the unclean ones.
      const offline = this.#offlineStatus();
      await client.publishAsync(offline.topic, offline.payload, { qos: 1, retain: true }).catch(() => {});
    }
    // Disconnected, nothing can be flushed; the store still holds every tap for next time.
    await client.endAsync(!wasConnected);
  }

  /** The retained offline status: the last will, and what a clean stop publishes. */
  #offlineStatus(): { topic: string; payload: Buffer } {
    const { terminalId } = this.#options;
    return {
      topic: topicFor(terminalId, 'status'),
      payload: encodeMessage('status', { v: 1, terminalId, state: 'offline' }),
    };
  }

  publishStatus(): void {
    if (!this.#connected || this.#client === null) return;
    try {
      const payload = encodeMessage('status', this.#status());
      this.#client.publish(topicFor(this.#options.terminalId, 'status'), payload, { qos: 1, retain: true });
    } catch (error) {
      this.#log.error({ err: error }, 'could not build status');
    }
  }

  /** Sends what is pending, up to the in-flight window. Cheap to call often. */
  kick(): void {
    if (this.#pumping || !this.#connected) return;
    this.#pumping = true;
    try {
      this.#expireStaleBatches();
      while (this.#connected && this.#client !== null && this.#inFlight.size < this.#options.window) {
        const taps = this.#store.pendingAfter(this.#queuedUpTo, this.#options.batchSize);
        if (taps.length === 0) break;
        this.#send(taps);
      }
    } catch (error) {
      this.#log.error({ err: error }, 'could not send pending taps');
      this.#scheduleRetry();
    } finally {
      this.#pumping = false;
    }
  }

  #send(taps: Tap[]): void {
    const client = this.#client;
    if (client === null) return;
    const batch: TapBatch = {
      v: 1,
      terminalId: this.#options.terminalId,
      batchId: randomUUID(),
      sentAt: this.#clock.now().toISOString(),
      taps,
    };
    let payload: Buffer;
    try {
      payload = encodeMessage('taps', batch);
    } catch (error) {
      if (isProtocolError(error) && error.code === 'too_large' && taps.length > 1) {
        this.#send(taps.slice(0, Math.ceil(taps.length / 2)));
        return;
      }
      throw error;
    }
    const first = taps[0] as Tap;
    const last = taps[taps.length - 1] as Tap;
    this.#inFlight.set(batch.batchId, { from: first.seq, to: last.seq, sentAtMono: this.#clock.monotonicMs() });
    this.#queuedUpTo = last.seq;
    client.publish(topicFor(this.#options.terminalId, 'taps'), payload, { qos: 1 });
    this.#log.debug({ batchId: batch.batchId, from: first.seq, to: last.seq }, 'batch sent');
    this.emit('sent', { batchId: batch.batchId, from: first.seq, to: last.seq, count: taps.length });
  }

  /** Batches unanswered for too long are forgotten, so the next pass sends their taps again. */
  #expireStaleBatches(): void {
    const now = this.#clock.monotonicMs();
    let expired = false;
    for (const [id, batch] of this.#inFlight) {
      if (now - batch.sentAtMono > this.#options.ackTimeoutMs) {
        this.#inFlight.delete(id);
        expired = true;
      }
    }
    if (expired) this.#queuedUpTo = 0;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== null) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#queuedUpTo = 0;
      this.#inFlight.clear();
      this.kick();
    }, this.#backoff.next());
    this.#retryTimer.unref();
  }

  #onMessage(topic: string, payload: Buffer): void {
    const terminalId = this.#options.terminalId;
    // A retained message the server cleared (its lease ended): nothing to apply.
    if (payload.length === 0) return;
    try {
      if (topic === topicFor(terminalId, 'ack')) this.#onAck(decodeMessage('ack', payload));
      else if (topic === topicFor(terminalId, 'roster')) this.emit('roster', decodeMessage('roster', payload));
      else if (topic === topicFor(terminalId, 'presence')) this.emit('presence', decodeMessage('presence', payload));
      else if (topic === topicFor(terminalId, 'config')) this.emit('config', decodeMessage('config', payload));
      else if (topic === topicFor(terminalId, 'cmd')) this.emit('command', decodeMessage('cmd', payload));
      else this.#refuse(topic, 'not a topic this terminal subscribes to');
    } catch (error) {
      this.#refuse(topic, (error as Error).message);
    }
  }

  #refuse(topic: string, reason: string): void {
    this.#log.warn({ topic, reason }, 'refused a message from the server');
    this.emit('refusedMessage', { topic, reason });
  }

  #onAck(ack: Ack): void {
    const batch = ack.batchId === null ? undefined : this.#inFlight.get(ack.batchId);
    if (batch === undefined) {
      // A late or duplicate ack: the batch it answers was re-sent or already settled. Its taps
      // are settled only by the ack for the batch that carries them now.
      this.#refuse(
        topicFor(this.#options.terminalId, 'ack'),
        ack.batchId === null
          ? `ack without a batch id: ${ack.error?.code ?? 'no error'}: ${ack.error?.message ?? ''}`
          : `ack for batch ${ack.batchId}, which is not in flight (a duplicate or late ack)`,
      );
      return;
    }
    this.#inFlight.delete(ack.batchId as string);
    this.emit('serverTime', { serverTime: new Date(ack.serverTime), sentAtMono: batch.sentAtMono });
    if (ack.error !== null) {
      this.#log.warn({ batchId: ack.batchId, error: ack.error }, 'server refused a batch');
      this.emit('batchRefused', { batchId: ack.batchId, code: ack.error.code, message: ack.error.message });
      this.#scheduleRetry();
      return;
    }
    const accepted = ack.accepted as { from: number; to: number };
    if (accepted.from < batch.from || accepted.to > batch.to) {
      this.#refuse(
        topicFor(this.#options.terminalId, 'ack'),
        `ack range ${accepted.from}..${accepted.to} is outside the batch sent (${batch.from}..${batch.to})`,
      );
      this.#queuedUpTo = Math.min(this.#queuedUpTo, batch.from - 1);
      this.kick();
      return;
    }
    // Taps of the batch the ack does not cover stay pending and go out again.
    if (accepted.from > batch.from || accepted.to < batch.to) {
      this.#queuedUpTo = Math.min(this.#queuedUpTo, batch.from - 1);
    }
    const settled = this.#store.settle(accepted, ack.rejected, this.#clock.now());
    if (settled.length > 0) this.emit('settled', settled);
    this.kick();
  }
}
