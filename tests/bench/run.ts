import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchFigure, Benchmark } from './harness.js';

/**
 * `npm run bench [-- name ...]`: runs each tests/bench/*.bench.ts (or those named),
 * prints a table and writes bench-results/<time>.json with the machine's description.
 */
const here = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (files.length === 0) {
  console.error(
    `bench: no benchmark matches ${wanted.join(', ')}; available: ${readdirSync(here)
      .filter((f) => f.endsWith('.bench.ts'))
      .join(', ')}`,
  );
  process.exit(2);
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  platform: `${platform()} ${release()} ${arch()}`,
  node: process.version,
  loadAverageAtStart: loadavg(),
};

const results: { benchmark: string; description: string; figures: BenchFigure[] }[] = [];
for (const file of files) {
  const { benchmark } = (await import(pathToFileURL(join(here, file)).href)) as { benchmark: Benchmark };
  process.stderr.write(`bench: running ${benchmark.name}...\n`);
  const figures = await benchmark.run();
  results.push({ benchmark: benchmark.name, description: benchmark.description, figures });
}

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
const rows = results.flatMap((r) =>
  r.figures.map((f) => [
    r.benchmark,
    f.metric,
    `${fmt(f.value)} ${f.unit}`,
    `${f.baseline.metric} ${fmt(f.baseline.value)} ${f.baseline.unit}`,
    `${f.ratio.toFixed(2)}×`,
    f.target ?? '',
  ]),
);
const header = ['benchmark', 'figure', 'value', 'raw primitive (same run)', 'ratio', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));

const outDir = join(here, '..', '..', 'bench-results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, `${JSON.stringify({ at: new Date().toISOString(), machine, results }, null, 2)}\n`);
console.log(`\nwritten to ${outFile}`);
process.exit(0);
