/**
 * A failed zod parse as the one 400 a caller can act on: `parameter_unknown`, `parameter_missing` or
 * `parameter_invalid`, with `param` the dotted path of the field at fault.
 */
import type { z } from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { redactCardText } from '../observability/logger.ts';

type Issue = z.core.$ZodIssue;

/**
 * An unknown field is reported before anything else: a misspelt name (`emial`) also shows up as a missing
 * field, and naming the misspelling is what tells the caller how to fix it.
 */
function firstIssue(issues: readonly Issue[]): Issue | undefined {
  return issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0];
}

const MAX_PARAM_LENGTH = 100;

/** The path as the caller wrote it, except that a caller-chosen key is echoed short and never as a card number. */
function dotted(path: readonly PropertyKey[]): string {
  return redactCardText(path.map(String).join('.')).slice(0, MAX_PARAM_LENGTH);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

export function validationError(error: z.ZodError, input: unknown): InvalidRequestError {
  const issue = firstIssue(error.issues);
  if (issue === undefined) return new InvalidRequestError('parameter_invalid', 'The request is invalid.');
  if (issue.code === 'unrecognized_keys') {
    const param = dotted([...issue.path, issue.keys[0] ?? '']);
    return new InvalidRequestError('parameter_unknown', `Received unknown parameter: '${param}'.`, { param });
  }
  const param = dotted(issue.path);
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
    return new InvalidRequestError('parameter_missing', `Missing required parameter: '${param}'.`, { param });
  }
  const subject = param === '' ? 'The request' : `Invalid parameter '${param}'`;
  return new InvalidRequestError('parameter_invalid', `${subject}: ${issue.message}.`, param === '' ? {} : { param });
}
