import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type CommandName,
  decodeMessage,
  encodeMessage,
  isProtocolError,
  parseTopic,
  type SiteId,
  sharedTopicFilter,
  type TerminalId,
  topicFilter,
  topicFor,
} from '@ccus-gate/protocol';
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { urlWithoutPassword } from '../credentials.js';
import type { RecordKey } from '../records/record-queue.js';
import { StoreError } from '../store/store-error.js';
import { type IngestResult, type IngestStores, ingestTapBatch } from './tap-ingest.js';
import { TapWriter } from './tap-writer.js';

/** How long a stopping server waits for the broker to acknowledge what it published. */
const STOP_GRACE_MS = 5_000;
/** How long the rosters published at a start may take before the log says they are still going. */
const REPUBLISH_SAY_AFTER_MS = 60_000;

/** Rosters encoded in one publishing pass, by site and whether its terminal reads QR codes. */
type RosterPass = Map<string, Buffer>;

export interface MqttIngestOptions {
  url: string;
  username: string;
  password: string;
  clientId?: string;
  ca?: string | Buffer;
  /** The name the broker's certificate carries, when it differs from the host in `url`. */
  servername?: string;
  /**
   * With several sync servers on one broker: each takes a share of the terminals' messages
   * through an MQTT 5 shared subscription in this group, instead of every server taking all.
   */
  sharedGroup?: string;
  /** How long a broker that took the connection has to answer it (MQTT.js's default: 30 s). */
  connectTimeoutMs?: number;
}

export interface MqttIngestEvents {
  /** `ackMs`: from the batch reaching the server (queued behind its terminal's earlier messages included) to its ack. */
  batch: [{ terminalId: TerminalId; result: IngestResult; ackMs: number }];
  records: [RecordKey[]];
  status: [{ terminalId: TerminalId; state: string; queueDepth?: number }];
}

/**
 * The server's side of the broker: takes tap batches and status from every terminal,
 * acks each batch after its transaction, and publishes retained rosters.
 */
export class MqttIngest extends EventEmitter<MqttIngestEvents> {
  readonly #options: MqttIngestOptions;
  readonly #stores: IngestStores;
  readonly #log: Logger;
  readonly #now: () => Date;
  #client: MqttClient | null = null;
  /** Per terminal: the handling of its latest message, which the next one waits for. */
  readonly #lanes = new Map<string, Promise<void>>();
  readonly #writer: TapWriter;

  constructor(options: MqttIngestOptions, deps: { stores: IngestStores; log: Logger; now: () => Date }) {
    super();
    this.#options = options;
    this.#stores = deps.stores;
    this.#log = deps.log;
    this.#now = deps.now;
    const { connections } = deps.stores.taps;
    this.#writer = new TapWriter(
      deps.stores.taps,
      deps.log,
      connections === 1
        ? // One connection (SQLite): transactions run one after another anyway, so grouping only saves.
          { inFlight: 1 }
        : // A pool (PostgreSQL): transactions run side by side, and a group holding many record-queue
          // rows makes the others wait; measured through Mosquitto, grouping took one server from
          // 9,300 taps/s to 6,800 and three from 5,100 to 2,500. Each batch alone, then, on half the
          // pool: the pages, the record builder and the forwarder need connections too.
          { inFlight: Math.max(1, Math.floor(connections / 2)), maxTaps: 0 },
    );
  }

  async start(): Promise<void> {
    const client = connect(this.#options.url, {
      clientId: this.#options.clientId ?? `ccus-gate-server-${process.pid}`,
      username: this.#options.username,
      password: this.#options.password,
      clean: false,
      protocolVersion: this.#options.sharedGroup === undefined ? 4 : 5,
      // MQTT 5 ends a session at disconnect unless told to keep it; a week covers any restart.
      ...(this.#options.sharedGroup === undefined ? {} : { properties: { sessionExpiryInterval: 7 * 86_400 } }),
      reconnectPeriod: 1000,
      ...(this.#options.connectTimeoutMs === undefined ? {} : { connectTimeout: this.#options.connectTimeoutMs }),
      ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
      ...(this.#options.servername === undefined ? {} : { servername: this.#options.servername }),
    });
    this.#client = client;
    // MQTT.js leaves Nagle on; acks are small and latency-bound.
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    const broker = urlWithoutPassword(this.#options.url);
    // An outage is said once, at its start, not at every retry each second.
    let away = false;
    client.on('error', (error) => {
      const message = notReachableYet(error) ? 'broker not reachable' : 'broker connection failed';
      this.#log[away ? 'debug' : 'warn']({ err: error, broker }, `${message}; trying again every second`);
      away = true;
    });
    client.on('connect', () => {
      if (away) this.#log.info({ broker }, 'connected to the broker');
      away = false;
    });
    const subscribed = new Promise<void>((resolve, reject) => {
      // A broker that is not up yet (at boot, or being restarted) does not stop the server: it
      // serves its pages and API meanwhile and joins the broker when it comes, terminals keeping
      // their taps until then. A broker that refuses the server's account, or whose certificate
      // does not verify, is a fault to mend: `serve` stops, naming it.
      client.once('error', (error) => (notReachableYet(error) ? resolve() : reject(error)));
      client.on('connect', (connack) => {
        (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
        if (connack.sessionPresent) return resolve();
        // A broker that lost our session (restarted without persistence) has lost our subscriptions
        // too, and MQTT.js renews them only for clean sessions: without this, ingest would go deaf.
        client
          .subscribeAsync(
            (['taps', 'status'] as const).map((kind) =>
              this.#options.sharedGroup === undefined
                ? topicFilter(kind)
                : sharedTopicFilter(this.#options.sharedGroup, kind),
            ),
            { qos: 1 },
          )
          .then(() => {
            this.#log.info('subscribed to terminal topics');
            // Retained rosters and configs are gone with the broker's memory too.
            return this.#republishAll().then(resolve);
          })
          .catch((error: unknown) => {
            this.#log.error({ err: error }, 'could not subscribe to terminal topics');
            reject(error);
          });
      });
    });
    try {
      await subscribed;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Whether the server's own connection to the broker is up (for the metrics). */
  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client === null) return;
    // What is in flight (acks, rosters) gets a moment to be acknowledged. mqtt.js's own graceful
    // end waits for every acknowledgement, forever for one that never comes (mqttjs/MQTT.js#952),
    // which kept a stopping server from ever exiting: past the moment, the end is forced.
    await acknowledged(client, STOP_GRACE_MS);
    await client.endAsync(!client.connected || Object.keys(client.outgoing).length > 0);
  }

  async #republishAll(): Promise<void> {
    const started = performance.now();
    const sites = new Set<SiteId>();
    const rosters: RosterPass = new Map();
    const terminals = await this.#stores.directory.allTerminals();
    for (const terminalId of terminals) {
      await this.publishConfig(terminalId);
      const siteId = await this.publishRoster(terminalId, rosters);
      if (siteId !== null) sites.add(siteId);
    }
    for (const siteId of sites) await this.publishSitePresence(siteId);
    // A big fleet's rosters are hundreds of megabytes, and acks sent meanwhile wait behind them
    // on the one connection: say when the broker has them all, and how long that took.
    const client = this.#client;
    if (client === null) return;
    void acknowledged(client, REPUBLISH_SAY_AFTER_MS).then((done) =>
      this.#log.info(
        { terminals: terminals.length, sites: sites.size, ms: Math.round(performance.now() - started) },
        done ? 'rosters and configs published' : 'rosters and configs still being sent',
      ),
    );
  }

  /**
   * Publishes the terminal's site roster, retained, so it arrives whenever the terminal connects.
   * Within one `pass` (a site's terminals, or all of them after the broker lost them) each
   * site's roster is read and encoded once: a big site's roster is tens of thousands of rows.
   * Answers the site whose roster it published, or null when it published none.
   */
  async publishRoster(terminalId: TerminalId, pass: RosterPass = new Map()): Promise<SiteId | null> {
    const terminal = await this.#stores.directory.terminal(terminalId);
    if (terminal?.siteId == null || this.#client === null) return null;
    const qrCodes = await this.#stores.directory.readsQrCodes(terminalId);
    const key = `${terminal.siteId}/${qrCodes}`;
    let message = pass.get(key);
    if (message === undefined) {
      message = encodeMessage('roster', await this.#stores.directory.rosterFor(terminal.siteId, { qrCodes }));
      pass.set(key, message);
    }
    this.#client?.publish(topicFor(terminalId, 'roster'), message, { qos: 1, retain: true });
    return terminal.siteId;
  }

  /**
   * Publishes the terminal's config, retained. A terminal with no lease gets its retained
   * config and roster cleared, so nothing of its last tenant waits for it on the broker.
   */
  async publishConfig(terminalId: TerminalId): Promise<void> {
    if (this.#client === null) return;
    const config = await this.#stores.directory.configFor(terminalId);
    if (this.#client === null) return;
    if (config === null) {
      this.#client.publish(topicFor(terminalId, 'config'), Buffer.alloc(0), { qos: 1, retain: true });
      this.#client.publish(topicFor(terminalId, 'roster'), Buffer.alloc(0), { qos: 1, retain: true });
      return;
    }
    this.#client.publish(topicFor(terminalId, 'config'), encodeMessage('config', config), { qos: 1, retain: true });
  }

  /** Sends a command (not retained: a command is for now, not for whenever the terminal returns). */
  sendCommand(terminalId: TerminalId, command: CommandName): string {
    if (this.#client === null || !this.#client.connected) {
      throw new StoreError('unavailable', 'the server is not connected to the broker; the command was not sent');
    }
    const id = randomUUID();
    this.#client.publish(
      topicFor(terminalId, 'cmd'),
      encodeMessage('cmd', { v: 1, id, command, issuedAt: this.#now().toISOString() }),
      { qos: 1 },
    );
    return id;
  }

  async publishSiteRoster(siteId: SiteId): Promise<void> {
    const pass: RosterPass = new Map();
    for (const terminalId of await this.#stores.directory.terminalsAtSite(siteId)) {
      await this.publishRoster(terminalId, pass);
    }
  }

  /** Publishes who is on site to every terminal there, retained, so a terminal that connects later has it. */
  async publishSitePresence(siteId: SiteId): Promise<void> {
    const terminals = await this.#stores.directory.terminalsAtSite(siteId);
    if (terminals.length === 0 || this.#client === null) return;
    const payload = encodeMessage('presence', await this.#stores.taps.presence(siteId));
    for (const terminalId of terminals) {
      this.#client?.publish(topicFor(terminalId, 'presence'), payload, { qos: 1, retain: true });
    }
  }

  /**
   * Each terminal's messages are handled one after the other, in the order they came, even
   * when the store answers later: an older status never overwrites a newer one.
   */
  #onMessage(topic: string, payload: Buffer): void {
    const lane = topic.split('/')[3] ?? '';
    const previous = this.#lanes.get(lane) ?? Promise.resolve();
    const arrivedAt = performance.now();
    const next = previous.then(() => this.#handle(topic, payload, arrivedAt));
    this.#lanes.set(lane, next);
    void next.finally(() => {
      if (this.#lanes.get(lane) === next) this.#lanes.delete(lane);
    });
  }

  async #handle(topic: string, payload: Buffer, arrivedAt: number): Promise<void> {
    try {
      let parsed: ReturnType<typeof parseTopic>;
      try {
        parsed = parseTopic(topic);
      } catch (error) {
        const reason = isProtocolError(error) ? error.message : String(error);
        await this.#stores.quarantineLog.keep({ topic, clientId: null, code: 'invalid_topic', reason, payload });
        return;
      }
      if (parsed.kind === 'taps') await this.#onTaps(parsed.terminalId, topic, payload, arrivedAt);
      else if (parsed.kind === 'status') await this.#onStatus(parsed.terminalId, topic, payload);
    } catch (error) {
      this.#log.error({ err: error, topic }, 'message handling failed');
    }
  }

  async #onTaps(terminalId: TerminalId, topic: string, payload: Buffer, arrivedAt: number): Promise<void> {
    const result = await ingestTapBatch(
      {
        stores: this.#stores,
        log: this.#log,
        now: this.#now,
        write: (terminal, batch) => this.#writer.store(terminal, batch),
      },
      terminalId,
      topic,
      payload,
    );
    this.#client?.publish(topicFor(terminalId, 'ack'), encodeMessage('ack', result.ack), { qos: 1 });
    this.emit('batch', { terminalId, result, ackMs: performance.now() - arrivedAt });
    if (result.records.length > 0) this.emit('records', result.records);
  }

  async #onStatus(terminalId: TerminalId, topic: string, payload: Buffer): Promise<void> {
    if (payload.length === 0) return; // a cleared retained message
    let status: ReturnType<typeof decodeMessage<'status'>>;
    try {
      status = decodeMessage('status', payload);
      if (status.terminalId !== terminalId) throw new Error(`status says ${status.terminalId} but came on ${topic}`);
    } catch (error) {
      const reason = (error as Error).message.slice(0, 300);
      await this.#stores.quarantineLog.keep({ topic, clientId: terminalId, code: 'invalid_status', reason, payload });
      return;
    }
    await this.#stores.directory.setTerminalStatus(terminalId, status);
    this.emit('status', {
      terminalId,
      state: status.state,
      ...(status.state === 'online' ? { queueDepth: status.queueDepth } : {}),
    });
  }
}

/**
 * Resolves once the broker has acknowledged what the client has in flight now (QoS 1), or once
 * `withinMs` has passed or the connection is down; says which.
 */
async function acknowledged(client: MqttClient, withinMs: number): Promise<boolean> {
  const ids = Object.keys(client.outgoing);
  const pending = (): boolean => ids.some((id) => id in client.outgoing);
  const deadline = performance.now() + withinMs;
  while (client.connected && pending() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !pending();
}

/** Socket errors of a broker that is not up or not reachable yet: waiting for it may mend them. */
const NOT_YET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether the broker is only not reachable yet. A CONNACK refusal (MQTT.js gives it a numeric
 * reason code) or a certificate that does not verify is a fault to mend, not to wait out.
 */
function notReachableYet(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  // A broker that took the connection but did not answer within connectTimeout (MQTT.js names it so).
  if (code === undefined && error.message === 'connack timeout') return true;
  return typeof code === 'string' && NOT_YET.has(code);
}
