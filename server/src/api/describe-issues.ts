import type { z } from '@hono/zod-openapi';

/** The first validation issue as one sentence that names the field. */
export function describeIssues(target: string, issues: readonly z.core.$ZodIssue[]): { detail: string; field: string } {
  const first = issues[0];
  const field = first === undefined ? target : first.path.map(String).join('.') || target;
  let message = first?.message ?? 'is invalid';
  if (first?.code === 'unrecognized_keys') message = `has unknown fields: ${first.keys.join(', ')}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return { detail: `${target} ${field}: ${message}${more}`, field };
}
