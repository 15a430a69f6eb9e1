/** One line of `doctor`: what was checked, how it went, and what to do about it. */
export type CheckResult = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  result: CheckResult;
  detail: string;
  /** What to do about it, for warn and fail. */
  fix?: string;
}

export function check(name: string, result: CheckResult, detail: string, fix?: string): Check {
  return fix === undefined ? { name, result, detail } : { name, result, detail, fix };
}
