import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources, so a change is tested without a build.
const packages = ['protocol', 'hardware', 'firmware', 'server', 'demo'];

export default defineConfig({
  resolve: {
    alias: [
      // Byte-level simulators live apart from the package's main entry, so a terminal never loads them.
      { find: /^@ccus-gate\/hardware\/testing$/, replacement: here('./hardware/src/testing.ts') },
      ...packages.map((name) => ({
        find: new RegExp(`^@ccus-gate/${name}$`),
        replacement: here(`./${name}/src/index.ts`),
      })),
    ],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    // The SD card image builds and boots an arm64 machine under emulation: it runs alone,
    // after the rest (vitest.image.config.ts, `npm run test:image`), so neither slows the other.
    exclude: ['tests/system/sd-image.test.ts', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real brokers, servers and SQLite files; two cores do not gain from more.
    maxWorkers: 2,
  },
});
