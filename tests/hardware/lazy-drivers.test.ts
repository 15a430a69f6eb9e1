import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../support/terminal-process.js';

const HARDWARE = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../hardware/dist/index.js')).href;

describe('createHardware on a machine without the hardware', () => {
  beforeAll(() => buildOnce());

  it('loads no native driver for a simulated profile', () => {
    // A fresh process: which shared objects are mapped after building simulated hardware?
    const script = `
      const h = await import(${JSON.stringify(HARDWARE)});
      const hw = await h.createHardware(h.parseHardwareProfile({
        name: 'simulated', readers: [{ driver: 'simulated', input: 'none' }], outputs: { driver: 'simulated' } }));
      hw.outputs.green.set(true);
      hw.close();
      console.log(JSON.stringify(process.report.getReport().sharedObjects.filter((o) => o.endsWith('.node'))));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim())).toEqual([]);
  });
});
