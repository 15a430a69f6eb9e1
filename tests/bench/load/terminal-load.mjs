// Simulated terminals for the server ingest benchmark, in their own process so that the
// load does not share the server's thread. Plain JavaScript: the child runs on bare Node.
//
// argv[2] is a file holding a JSON plan: { url, terminals: [{ id, password }], mode, ... }.
//   mode "burst":  each terminal sends `batches` batches of `batchSize` taps, `window` in flight;
//                  prints { taps, elapsedMs, ackMs: [...] } (ackMs: publish to ack, per batch).
//   mode "steady": `batchSize` taps reach each terminal every `intervalMs` for `durationMs` (starts
//                  spread over the first interval), and it sends them as the firmware's SyncAgent
//                  does: at once, at most `window` batches awaiting an ack and `maxBatch` taps a
//                  batch, the rest waiting on the terminal for the next ack. Prints { taps,
//                  ackMs: [...] (publish to ack, per batch), sentMs: [...] (when each of those
//                  batches was sent, from the load's start), tapMs: [...] (tap taken to acked,
//                  per tap), unacked }.
//   mode "online": each terminal sends one tap every `intervalMs`, `taps` times in all;
//                  prints { sent: [{ workerId, workingDay, sentAt }] }.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const BOOT = randomUUID();
/** When the load's terminals booted: monotonic time keeps step with the taps' wall times, as on a terminal. */
const BOOTED_AT = Date.parse('2026-01-01T00:00:00Z');

function connect(terminal) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(plan.url, {
      clientId: terminal.id,
      username: terminal.id,
      password: terminal.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    client.once('connect', () => {
      client.stream.setNoDelay?.(true);
      resolve(client);
    });
    client.once('error', reject);
  });
}

function tap(seq, worker, at, direction = seq % 2 === 1 ? 'in' : 'out') {
  return {
    seq,
    card: worker.card,
    workerId: worker.workerId,
    direction,
    at: new Date(at).toISOString(),
    bootId: BOOT,
    mono: at - BOOTED_AT,
    clockSynced: true,
    flags: [],
  };
}

function batchMessage(terminalId, taps, batchId = randomUUID()) {
  return JSON.stringify({ v: 1, terminalId, batchId, sentAt: new Date().toISOString(), taps });
}

/**
 * The next `plan.batchSize` taps of the terminal at `index`, numbered on after `seq`. Tap n of
 * terminal i is worker i + n × terminals (modulo the workers): every worker taps, each at one
 * terminal, equally often and spread over the load.
 */
function nextTaps(index, seq) {
  const taps = [];
  const terminals = plan.terminals.length;
  for (let i = 1; i <= plan.batchSize; i++) {
    const n = seq + i;
    taps.push(tap(n, plan.workers[(index + n * terminals) % plan.workers.length], plan.startAt + n * 1000));
  }
  return taps;
}

/** Publishes a batch; returns its id, under which its ack comes back. */
function publishBatch(client, terminalId, taps) {
  const batchId = randomUUID();
  client.publish(`ccus/v1/t/${terminalId}/taps`, batchMessage(terminalId, taps, batchId), { qos: 1 });
  return batchId;
}

async function burst(terminal, index) {
  const client = await connect(terminal);
  await client.subscribeAsync(`ccus/v1/t/${terminal.id}/ack`, { qos: 1 });
  const pending = new Map();
  const ackMs = [];
  let seq = 0;
  let sent = 0;
  let acked = 0;
  await new Promise((resolve, reject) => {
    const sendNext = () => {
      if (sent >= plan.batches) return;
      pending.set(publishBatch(client, terminal.id, nextTaps(index, seq)), performance.now());
      seq += plan.batchSize;
      sent++;
    };
    client.on('message', (_topic, payload) => {
      const ack = JSON.parse(payload.toString());
      // A batch the server could not even parse comes back with no batch id: say so, do not wait for it.
      if (ack.batchId === null) return reject(new Error(`${terminal.id}: ${ack.error?.message}`));
      const at = pending.get(ack.batchId);
      if (at === undefined) return;
      if (ack.error !== null) return reject(new Error(`${terminal.id}: ${ack.error.message}`));
      pending.delete(ack.batchId);
      ackMs.push(performance.now() - at);
      acked++;
      if (acked === plan.batches) resolve();
      else sendNext();
    });
    for (let i = 0; i < plan.window; i++) sendNext();
    // A terminal that hears nothing for a while says so: a stalled benchmark must not hang silently.
    let lastAcked = -1;
    const watch = setInterval(() => {
      if (acked === lastAcked && acked < plan.batches) {
        clearInterval(watch);
        reject(new Error(`${terminal.id}: no ack for 30 s (${acked} of ${sent} sent batches acked)`));
      }
      lastAcked = acked;
    }, 30_000);
    watch.unref();
  });
  await client.endAsync();
  return { taps: seq, ackMs };
}

async function steady(terminal, index) {
  const client = await connect(terminal);
  await client.subscribeAsync(`ccus/v1/t/${terminal.id}/ack`, { qos: 1 });
  /** Taps taken and not yet sent, with when; the batches awaiting an ack, with theirs. */
  const waiting = [];
  const inFlight = new Map();
  const ackMs = [];
  const sentMs = [];
  const tapMs = [];
  let seq = 0;
  const send = () => {
    while (inFlight.size < plan.window && waiting.length > 0) {
      const taken = waiting.splice(0, plan.maxBatch);
      const batchId = publishBatch(
        client,
        terminal.id,
        taken.map((t) => t.tap),
      );
      inFlight.set(batchId, { sentAt: performance.now(), takenAt: taken.map((t) => t.at) });
    }
  };
  client.on('message', (_topic, payload) => {
    const ack = JSON.parse(payload.toString());
    const batch = inFlight.get(ack.batchId);
    if (batch === undefined) return;
    inFlight.delete(ack.batchId);
    const now = performance.now();
    ackMs.push(now - batch.sentAt);
    sentMs.push(batch.sentAt - started);
    for (const at of batch.takenAt) tapMs.push(now - at);
    send();
  });
  await new Promise((resolve) => setTimeout(resolve, (index * plan.intervalMs) / plan.terminals.length));
  const until = performance.now() + plan.durationMs;
  while (performance.now() < until) {
    const at = performance.now();
    for (const tap of nextTaps(index, seq)) waiting.push({ tap, at });
    seq += plan.batchSize;
    send();
    await new Promise((resolve) => setTimeout(resolve, plan.intervalMs));
  }
  const settle = performance.now() + 10_000;
  while (inFlight.size + waiting.length > 0 && performance.now() < settle) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Servers that cannot keep up with the offered load: what is still unacked after the settling
  // time counts at its age then, a lower bound, so the figure shows the backlog instead of failing.
  // `unacked` counts taps.
  const now = performance.now();
  let unacked = waiting.length;
  for (const batch of inFlight.values()) {
    unacked += batch.takenAt.length;
    ackMs.push(now - batch.sentAt);
    sentMs.push(batch.sentAt - started);
    for (const at of batch.takenAt) tapMs.push(now - at);
  }
  for (const { at } of waiting) tapMs.push(now - at);
  await client.endAsync();
  return { taps: seq, ackMs, sentMs, tapMs, unacked };
}

async function online(terminal, index) {
  const client = await connect(terminal);
  const sent = [];
  for (let i = 0; i < plan.tapsPerTerminal; i++) {
    const worker = plan.workers[index * plan.tapsPerTerminal + i];
    const at = Date.now();
    // Each worker's first tap of the morning: their entry.
    const message = batchMessage(terminal.id, [tap(plan.firstSeq + i, worker, at, 'in')]);
    await client.publishAsync(`ccus/v1/t/${terminal.id}/taps`, message, { qos: 1 });
    sent.push({ workerId: worker.workerId, sentAt: at });
    await new Promise((resolve) => setTimeout(resolve, plan.intervalMs));
  }
  await client.endAsync();
  return sent;
}

/** Prints the result and exits once it is written: a pipe takes a large write in parts. */
function finish(result) {
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
}

const started = performance.now();
if (plan.mode === 'burst') {
  const results = await Promise.all(plan.terminals.map((t, i) => burst(t, i)));
  const elapsedMs = performance.now() - started;
  finish({
    taps: results.reduce((n, r) => n + r.taps, 0),
    elapsedMs,
    ackMs: results.flatMap((r) => r.ackMs),
  });
} else if (plan.mode === 'steady') {
  const results = await Promise.all(plan.terminals.map((t, i) => steady(t, i)));
  finish({
    taps: results.reduce((n, r) => n + r.taps, 0),
    ackMs: results.flatMap((r) => r.ackMs),
    sentMs: results.flatMap((r) => r.sentMs.map(Math.round)),
    // Whole milliseconds: one figure per tap is a long list.
    tapMs: results.flatMap((r) => r.tapMs.map(Math.round)),
    unacked: results.reduce((n, r) => n + r.unacked, 0),
  });
} else {
  const results = await Promise.all(plan.terminals.map((t, i) => online(t, i)));
  finish({ sent: results.flat() });
}
