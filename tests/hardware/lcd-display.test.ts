import { createRequire } from 'node:module';
import {
  createHardware,
  fitLines,
  fromLcdByte,
  lcdCanShow,
  parseHardwareProfile,
  SimulatedDisplay,
  toLcdText,
} from '@ccus-gate/hardware';
import { FakeFirmataBoard } from '@ccus-gate/hardware/testing';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';

const require = createRequire(import.meta.url);
const { Firmata } = require('firmata-io') as { Firmata: new (port: object, options?: object) => object };

const asShown = (text: string): string => Array.from(toLcdText(text), (ch) => fromLcdByte(ch.charCodeAt(0))).join('');

describe('text for a character LCD', () => {
  it('shows katakana as the ROM has it, voiced marks as their own character', () => {
    expect(asShown('ニュウジョウ 08:01')).toBe('ﾆｭｳｼﾞｮｳ 08:01');
    expect(asShown('たいじょう')).toBe('ﾀｲｼﾞｮｳ');
    expect(asShown('パス')).toBe('ﾊﾟｽ');
  });

  it('shows Vietnamese and Indonesian without accents, and says what it cannot show', () => {
    expect(asShown('Vào 08:01 · Đã ghi')).toBe('Vao 08:01 ? Da ghi');
    expect(asShown('Masuk 08:01')).toBe('Masuk 08:01');
    expect(lcdCanShow('Đã ghi nhận')).toBe(true);
    expect(lcdCanShow('入場')).toBe(false);
    expect(asShown('入場\\~')).toBe('????');
  });

  it('fits lines to the display, cutting and padding by character', () => {
    expect(fitLines(['a'.repeat(20)], 16, 2)).toEqual(['a'.repeat(16), ' '.repeat(16)]);
    expect(fitLines(['Vào'], 4, 1)).toEqual(['Vào ']);
  });
});

describe('a 16×2 LCD on the Firmata board, through johnny-five', () => {
  it('shows what it is told, byte for byte through Firmata, I2C, the backpack and the HD44780', async () => {
    const board = new FakeFirmataBoard('/dev/fake-firmata-lcd');
    const io = new Firmata(board.port());
    const profile = parseHardwareProfile({
      name: 'uno with lcd',
      readers: [{ driver: 'simulated', input: 'none' }],
      outputs: {
        driver: 'johnny-five',
        io: { kind: 'firmata', path: board.path },
        pins: { green: 5, red: 6, buzzer: 7 },
      },
      display: { driver: 'lcd-pcf8574' },
    });
    const hardware = await createHardware(profile, { j5Io: io });
    const display = hardware.display;
    if (display === undefined) throw new Error('no display built');
    await waitFor('the LCD set up', () => board.lcd.displayOn && board.lcd.backlight);

    display.show(['ニュウジョウ 08:01', 'ID ...1234']);
    await waitFor('the first screen', () => board.lcd.text()[1] === 'ID ...1234      ');
    expect(board.lcd.text()).toEqual(['ﾆｭｳｼﾞｮｳ 08:01   ', 'ID ...1234      ']);

    // A shorter line leaves nothing of the longer one behind; an unchanged line is not sent again.
    const before = board.lcd.stats.characters;
    display.show(['Vào 17:30', 'ID ...1234']);
    await waitFor('the second screen', () => board.lcd.text()[0] === 'Vao 17:30       ');
    expect(board.lcd.stats.characters - before).toBe(16);
    expect(board.lcd.stats.clears).toBe(1); // johnny-five's own, at start-up only

    hardware.outputs.green.set(true);
    await waitFor('the green LED', () => board.pins.get(5) === 1);
    hardware.close();
    await waitFor('the screen blank and dark', () => board.lcd.text()[0]?.trim() === '' && !board.lcd.backlight);
  });

  it('is refused in a profile whose outputs have no Firmata board to carry its I2C', () => {
    expect(() =>
      parseHardwareProfile({
        name: 'gpio with lcd',
        readers: [{ driver: 'simulated' }],
        outputs: { driver: 'gpio', pins: { green: 17, red: 27, buzzer: 22 } },
        display: { driver: 'lcd-pcf8574' },
      }),
    ).toThrow(/display: an lcd-pcf8574 goes through johnny-five/);
  });

  it('has a simulated twin that keeps each screen', () => {
    const shown: string[][] = [];
    const display = new SimulatedDisplay({ onShow: (lines) => shown.push(lines) });
    display.show(['入場 08:01', 'ID …1234']);
    display.show(['入場 08:01', 'ID …1234']);
    expect(display.screens).toHaveLength(1);
    expect(display.current).toEqual(['入場 08:01', 'ID …1234']);
    expect(shown).toEqual([['入場 08:01', 'ID …1234']]);
  });
});
