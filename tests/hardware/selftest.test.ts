import { createHardware, parseHardwareProfile, runSelftest, type SimulatedDisplay } from '@ccus-gate/hardware';
import { FakePn532 } from '@ccus-gate/hardware/testing';
import { describe, expect, it } from 'vitest';

/** A PN532 reader on the fake's serial port, with simulated outputs. */
function pn532Hardware(fake: FakePn532) {
  return createHardware(
    parseHardwareProfile({
      name: 'pn532, simulated outputs',
      readers: [{ driver: 'pn532-uart', name: 'gate', path: fake.path }],
      outputs: { driver: 'simulated' },
    }),
    { openPort: fake.openPort },
  );
}

describe('hardware self-test', () => {
  it("shows each output in turn, the reader's firmware, then the card presented", async () => {
    const fake = new FakePn532('/dev/selftest-pn532');
    const hardware = await pn532Hardware(fake);
    const lines: string[] = [];
    const ok = await runSelftest(hardware, {
      relay: false,
      cardTimeoutMs: 5_000,
      print: (line) => {
        lines.push(line);
        // The technician puts a card on the reader when asked to.
        if (line.startsWith('4. present a card')) fake.presentFelica('012E4CD3A1B2C3D4');
      },
    });
    hardware.close();
    expect(ok).toBe(true);
    expect(lines).toEqual([
      '1. lights and buzzer, in turn: green, red, buzzer',
      '  green  on',
      '  green  off',
      '  red    on',
      '  red    off',
      '  buzzer on',
      '  buzzer off',
      '2. relay: skipped (add --relay to pulse it; it opens the gate)',
      '3. readers',
      '  gate: PN532, firmware 1.6',
      '4. present a card (waiting 5 s)',
      '  felica 012E4CD3A1B2C3D4 on gate',
      'selftest passed',
    ]);
  });

  it('shows a test screen on the display, then the result', async () => {
    const fake = new FakePn532('/dev/selftest-pn532-display');
    const hardware = await createHardware(
      parseHardwareProfile({
        name: 'pn532, simulated outputs and display',
        readers: [{ driver: 'pn532-uart', name: 'gate', path: fake.path }],
        outputs: { driver: 'simulated' },
        display: { driver: 'simulated' },
      }),
      { openPort: fake.openPort },
    );
    const lines: string[] = [];
    const ok = await runSelftest(hardware, {
      relay: false,
      cardTimeoutMs: 5_000,
      print: (line) => {
        lines.push(line);
        if (line.startsWith('4. present a card')) fake.presentMifare('04A2B3C4');
      },
    });
    hardware.close();
    expect(ok).toBe(true);
    expect(lines[1]).toContain('display (16×2)');
    const screens = (hardware.display as SimulatedDisplay).screens.map((screen) => screen.map((l) => l.trimEnd()));
    expect(screens.slice(0, 2)).toEqual([
      ['SELFTEST 0123456', 'ABCxyz ｱｲｳｴｵ-+:'],
      ['SELFTEST OK', ''],
    ]);
  });

  it('fails, saying so, when no card comes within the wait', async () => {
    const fake = new FakePn532('/dev/selftest-pn532-nocard');
    const hardware = await pn532Hardware(fake);
    const lines: string[] = [];
    const ok = await runSelftest(hardware, { relay: false, cardTimeoutMs: 300, print: (line) => lines.push(line) });
    hardware.close();
    expect(ok).toBe(false);
    expect(lines.slice(-2)).toEqual(['  no card seen', 'selftest FAILED']);
  });
});
