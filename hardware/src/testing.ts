/**
 * Byte-level simulators for tests and benchmarks: `@ccus-gate/hardware/testing`. Kept out of
 * the main entry, which a terminal loads, because they pull in serialport's mock binding.
 */

export * from './sim/fake-firmata-board.js';
export * from './sim/fake-lcd-backpack.js';
export * from './sim/fake-mfrc522.js';
export * from './sim/fake-pn532.js';
export * from './sim/fake-qr-scanner.js';
