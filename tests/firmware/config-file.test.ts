import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, parseConfig } from '@ccus-gate/firmware';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../firmware/deploy/terminal.example.json');
const minimal = { terminalId: 'gate-01', broker: { url: 'mqtt://127.0.0.1:1883', passwordFile: 'pw' } };

function problems(input: unknown): ConfigError['problems'] {
  try {
    parseConfig(input, '/etc/ccus-gate/terminal.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the config was accepted');
}

describe('terminal config file', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('config');
  });
  afterEach(() => dir.remove());

  it('accepts the shipped example and fills defaults into a minimal file', () => {
    expect(loadConfig(EXAMPLE).terminalId).toBe('gate-01');
    const config = parseConfig(minimal, '/etc/ccus-gate/terminal.json');
    expect(config.pipeline).toMatchObject({
      directionMode: 'toggle',
      debounceSeconds: 10,
      unknownCard: 'accept',
      timeZone: 'Asia/Tokyo',
      dayBoundary: '04:00',
      retentionDays: 90,
    });
    expect(config.store).toEqual({ path: '/var/lib/ccus-gate/terminal.db', maxMegabytes: 2048 });
    // Relative paths are relative to the config file, not to wherever systemd starts us.
    expect(config.broker.passwordFile).toBe('/etc/ccus-gate/pw');
  });

  it('names every bad option with its value and what is accepted', () => {
    const found = problems({
      ...minimal,
      broker: { ...minimal.broker, url: 'http://sync.example.jp' },
      pipeline: { debounceSeconds: 99999, directionMode: 'sideways', timeZone: 'Mars/Base', dayBoundary: '25:00' },
      hardwre: {},
    });
    expect(found).toEqual(
      expect.arrayContaining([
        {
          option: 'broker.url',
          value: 'http://sync.example.jp',
          accepted: 'must be mqtt://host:port or mqtts://host:port',
        },
        { option: 'pipeline.debounceSeconds', value: 99999, accepted: 'must be at most 3600' },
        {
          option: 'pipeline.directionMode',
          value: 'sideways',
          accepted: 'must be one of "in", "out", "toggle", "two-reader"',
        },
        { option: 'pipeline.timeZone', value: 'Mars/Base', accepted: 'must be an IANA time zone, e.g. Asia/Tokyo' },
        { option: 'pipeline.dayBoundary', value: '25:00', accepted: expect.stringContaining('HH:MM') },
        { option: 'hardwre', value: {}, accepted: expect.stringContaining('is not an option') },
      ]),
    );
    expect(found).toHaveLength(6);
    expect(problems({ broker: minimal.broker })).toEqual([
      { option: 'terminalId', value: undefined, accepted: expect.any(String) },
    ]);
  });

  it('says so when the file is missing or not JSON', () => {
    expect(() => loadConfig(join(dir.path, 'nope.json'))).toThrow(/nope\.json: cannot read the config file \(ENOENT\)/);
    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, '{ "terminalId": "gate-01", }');
    expect(() => loadConfig(bad)).toThrow(/bad\.json: not valid JSON/);
  });
});
