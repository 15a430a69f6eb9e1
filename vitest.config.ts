import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources, so a change is tested without a build.
const packages = ['protocol', 'hardware', 'firmware', 'server', 'demo'];

export default defineConfig({
  resolve: {
    alias: Object.fromEntries(packages.map((name) => [`@ccus-gate/${name}`, here(`./${name}/src/index.ts`)])),
  },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real brokers, servers and SQLite files; two cores do not gain from more.
    maxWorkers: 2,
  },
});
