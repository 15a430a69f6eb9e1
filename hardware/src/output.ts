/** An LED, a buzzer or a relay: something that is on or off. */
export interface DigitalOutput {
  readonly name: string;
  set(on: boolean): void;
}

/** The outputs a terminal drives, by role. `relay` opens a gate and is optional. */
export interface Outputs {
  green: DigitalOutput;
  red: DigitalOutput;
  buzzer: DigitalOutput;
  relay?: DigitalOutput;
}

export type OutputRole = keyof Outputs;

/**
 * An output that starts off and calls `change` only when its level really changes, so a
 * pattern step that leaves an output as it was writes nothing to the hardware.
 */
export function switchOutput(name: string, change: (on: boolean) => void): DigitalOutput {
  let state = false;
  return {
    name,
    set(on) {
      if (on === state) return;
      state = on;
      change(on);
    },
  };
}
