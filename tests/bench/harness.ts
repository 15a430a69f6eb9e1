/** One figure a benchmark reports, next to the raw cost of the primitive beneath it. */
export interface BenchFigure {
  metric: string;
  value: number;
  unit: string;
  baseline: { metric: string; value: number; unit: string };
  /** value / baseline.value: the number that holds on a noisy machine. */
  ratio: number;
  /** What the ratio should stay under (or over), when the project has a target. */
  target?: string;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchFigure[]>;
}

export function figure(
  metric: string,
  value: number,
  unit: string,
  baseline: BenchFigure['baseline'],
  target?: string,
): BenchFigure {
  return { metric, value, unit, baseline, ratio: value / baseline.value, ...(target ? { target } : {}) };
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
