import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:image`: the SD card image, built and booted in QEMU (firmware/README.md). The
// same settings as the rest, with only this suite (which they leave out).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/system/sd-image.test.ts'],
    exclude: ['**/node_modules/**'],
  },
});
