// Preloaded into a benchmark's terminal process (node --import): how long its event loop was
// held up. A card that arrives while the loop is busy waits that long before its tap is even
// handled, which the terminal's own answer time (card event → feedback) cannot show.
//
// Each SIGUSR2 appends the delays since the previous one to $CCUS_GATE_LOOP_DELAY_FILE as a
// JSON line { p50, p99, max } in ms, and starts over. Node's histogram holds whole intervals
// between its ticks (10 ms on an idle loop), so the tick is taken off: 0 is a loop never held.
// Plain JavaScript: it runs on bare Node.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.CCUS_GATE_LOOP_DELAY_FILE;
if (out) {
  const TICK_MS = 10;
  const delay = monitorEventLoopDelay({ resolution: TICK_MS });
  delay.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns) => Math.max(0, Math.round(ns / 1e4) / 100 - TICK_MS);
    appendFileSync(
      out,
      `${JSON.stringify({ p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) })}\n`,
    );
    delay.reset();
  });
}
