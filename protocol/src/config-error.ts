import type { z } from 'zod';

export interface ConfigProblem {
  /** The option, as a dotted path: `pipeline.debounceSeconds`. */
  option: string;
  /** What the file says there, or undefined when it is missing. */
  value: unknown;
  /** What would be accepted. */
  accepted: string;
}

/** A config file that cannot be used, with every problem in it named. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  readonly file: string;
  readonly problems: ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[], message?: string) {
    super(
      message ??
        `${file}: ${problems.length === 1 ? 'one option is' : `${problems.length} options are`} not accepted:\n${problems
          .map((p) => `  - ${p.option}: ${p.value === undefined ? 'missing' : JSON.stringify(p.value)}; ${p.accepted}`)
          .join('\n')}`,
    );
    this.file = file;
    this.problems = problems;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function acceptedFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'invalid_type')
    return `must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`;
  return issue.message.replace(/^Invalid input: /, '');
}

/**
 * Checks a parsed config file against its schema; throws a ConfigError naming every bad
 * option, its value and what would be accepted. `docs` is where the options are described.
 */
export function checkConfig<S extends z.ZodType>(schema: S, input: unknown, file: string, docs: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          option: [...issue.path, key].map(String).join('.'),
          value: valueAt(input, [...issue.path, key]),
          accepted: `is not an option; check its spelling against ${docs}`,
        });
      }
      continue;
    }
    problems.push({
      option: issue.path.map(String).join('.') || '(the whole file)',
      value: valueAt(input, issue.path),
      accepted: acceptedFor(issue),
    });
  }
  throw new ConfigError(file, problems);
}

/**
 * A config file's JSON, read through `readText` (this package does no I/O of its own):
 * a file that cannot be read or is not JSON is a ConfigError saying so.
 */
export function readJsonConfig(file: string, readText: (file: string) => string): unknown {
  let text: string;
  try {
    text = readText(file);
  } catch (error) {
    throw new ConfigError(
      file,
      [],
      `${file}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [], `${file}: not valid JSON: ${(error as Error).message}`);
  }
}
