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
