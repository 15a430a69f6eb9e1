import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics read from the rest of the server when Prometheus asks. */
export interface MetricsSources {
  /** Work records waiting to be built (the record builder's lag). */
  queuedRecords(): number | Promise<number>;
  /** Whether the server's own connection to the broker is up. */
  brokerConnected(): boolean;
  /** Connections to the embedded broker now; absent with an external broker (Mosquitto reports its own). */
  brokerConnections?: () => number;
}

/**
 * The sync server's Prometheus metrics (prom-client), served to the operator at
 * GET /api/v1/fleet/metrics. Names and meanings are in server/README.md, "Metrics".
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly tapsStored: Counter;
  readonly batches: Counter<'outcome'>;
  readonly ackSeconds: Histogram;
  readonly ccusSubmissions: Counter<'outcome'>;
  readonly terminalQueueDepth: Gauge<'terminal'>;
  readonly terminalsOnline: Gauge;
  readonly #online = new Set<string>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ccus_gate_server_' });
    this.tapsStored = new Counter({
      name: 'ccus_gate_taps_stored_total',
      help: 'Taps stored for the first time (replays not counted)',
      registers,
    });
    this.batches = new Counter({
      name: 'ccus_gate_tap_batches_total',
      help: 'Tap batches answered, by outcome: stored (acked) or refused (quarantined)',
      labelNames: ['outcome'],
      registers,
    });
    this.ackSeconds = new Histogram({
      name: 'ccus_gate_ack_seconds',
      help: 'From a tap batch reaching the server to its ack being sent',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.ccusSubmissions = new Counter({
      name: 'ccus_gate_ccus_submissions_total',
      help: 'Work records offered to CCUS, by outcome: accepted, refused (for good) or retrying',
      labelNames: ['outcome'],
      registers,
    });
    this.terminalQueueDepth = new Gauge({
      name: 'ccus_gate_terminal_queue_depth',
      help: 'Taps waiting on each terminal, as its last status said',
      labelNames: ['terminal'],
      registers,
    });
    const online = this.#online;
    this.terminalsOnline = new Gauge({
      name: 'ccus_gate_terminals_online',
      help: 'Terminals whose last status is online',
      registers,
      collect() {
        this.set(online.size);
      },
    });
    new Gauge({
      name: 'ccus_gate_records_queued',
      help: 'Work records waiting to be built (the record builder behind)',
      registers,
      async collect() {
        this.set(await sources.queuedRecords());
      },
    });
    new Gauge({
      name: 'ccus_gate_broker_connected',
      help: "1 while this server's own connection to the broker is up, 0 while it waits for it",
      registers,
      collect() {
        this.set(sources.brokerConnected() ? 1 : 0);
      },
    });
    const connections = sources.brokerConnections;
    if (connections !== undefined) {
      new Gauge({
        name: 'ccus_gate_broker_connections',
        help: 'MQTT connections to the embedded broker (terminals and the server itself)',
        registers,
        collect() {
          this.set(connections());
        },
      });
    }
  }

  /** A terminal's status: its queue and whether it is online. */
  status(terminalId: string, status: { state: string; queueDepth?: number }): void {
    if (status.state === 'online') {
      this.#online.add(terminalId);
      this.terminalQueueDepth.set({ terminal: terminalId }, status.queueDepth ?? 0);
    } else {
      this.#online.delete(terminalId);
    }
  }

  /** The text Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
