export type HardwareErrorCode =
  /** The hardware profile is not valid. */
  | 'bad_profile'
  | 'bad_pin'
  /** No GPIO on this machine, or not the kind we know. */
  | 'gpio_unavailable'
  /** GPIO is there but this user may not use it. */
  | 'gpio_denied'
  /** A driver's library could not be loaded on this machine. */
  | 'driver_unavailable';

/** Building or driving outputs and readers failed; says which part and why. */
export class HardwareError extends Error {
  override readonly name = 'HardwareError';
  readonly code: HardwareErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: HardwareErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.context = context;
  }
}
