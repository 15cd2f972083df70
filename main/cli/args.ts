/**
 * Option parsing for the subcommands, on top of `node:util` parseArgs: unknown options and
 * missing values become LabErrors of kind `invalid-input` that name the option and the usage.
 */
import { parseArgs } from 'node:util';
import { LabError } from '../util/errors.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export function parseOptions<T extends OptionSpec>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new LabError('invalid-input', `${(error as Error).message}\n\n${usage}`);
  }
}

/** Reads a required string option, raising a usage error that names it when absent. */
export function requireOption(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new LabError('invalid-input', `${flag} is required.\n\n${usage}`, { field: flag });
  return value;
}

/** Parses a finite number option; `check` states the allowed range in its message. */
export function numberOption(
  value: string | undefined,
  flag: string,
  check: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  const range = [check.min === undefined ? undefined : `>= ${check.min}`, check.max === undefined ? undefined : `<= ${check.max}`]
    .filter((part) => part !== undefined)
    .join(' and ');
  const wanted = `${check.integer ? 'an integer' : 'a number'}${range === '' ? '' : ` ${range}`}`;
  if (
    value.trim() === '' ||
    !Number.isFinite(number) ||
    (check.integer && !Number.isInteger(number)) ||
    (check.min !== undefined && number < check.min) ||
    (check.max !== undefined && number > check.max)
  ) {
    throw new LabError('invalid-input', `${flag} is "${value}"; it must be ${wanted}`, { field: flag });
  }
  return number;
}
