/**
 * The run table: one row per trained network of a study, the input of every analysis in this
 * folder. The study engine builds it from the database and `csv.ts` builds it from a CSV file.
 *
 * Measure values are size-adjusted (see the measure registry). An id that starts with `log_` stores
 * ln of the adjusted quantity, so its plotted value log10 X = v / ln 10 exists for every v. Every
 * other quantity is plotted as log10 v, and a run with v missing or v <= 0 is left out of it.
 */
import { LabError } from '../util/errors.js';

export type ConditionKind = 'baseline' | 'hyperparameter' | 'data';

export const conditionKinds: readonly ConditionKind[] = ['baseline', 'hyperparameter', 'data'];

/** The generalization target: test error, or the gap test error - train error of each run. */
export type TargetKind = 'test_error' | 'gap';

export const targetKinds: readonly TargetKind[] = ['test_error', 'gap'];

/** A value of a hyperparameter axis (learning rate, batch size, optimizer name). */
export type SettingValue = number | string;

/** The values the ranking statistics read from a run; a study row and a ranking-grid row both have them. */
export interface RunValues {
  /** Test error as a fraction in [0, 1]; null when the run has none. */
  testError: number | null;
  /** Training error as a fraction in [0, 1]; null when the run has none. */
  trainError: number | null;
  /** Size-adjusted measure values by measure id; null when the measure could not be computed. */
  measures: Record<string, number | null>;
  /** Setting per hyperparameter axis (axis name to value), for the granulated ranking statistics. */
  settings?: Record<string, SettingValue>;
}

/** One run of a study: a condition trained at training-set size m with one seed. */
export interface RunRow extends RunValues {
  condition: string;
  kind: ConditionKind;
  /** Training-set size, a positive integer. */
  m: number;
  seed: number;
}

export interface RunTable {
  /** Measure ids in column order; every row has an entry (possibly null) for each. */
  measures: string[];
  runs: RunRow[];
}

/** Returns the run's target value: the test error, or test error - train error; null when an input is missing. */
export function targetValue(run: RunValues, target: TargetKind): number | null {
  if (run.testError === null) return null;
  if (target === 'test_error') return run.testError;
  if (run.trainError === null) return null;
  return run.testError - run.trainError;
}

/** Tells whether a measure id stores ln of the size-adjusted quantity. */
export function isLogMeasure(id: string): boolean {
  return id.startsWith('log_');
}

/**
 * Converts a stored value to the plotted log10 of its quantity: v / ln 10 for `log_` ids, log10 v
 * otherwise. Returns null for a missing value, and for a value <= 0 of an id without `log_`.
 * A run with a null result is left out of the learning curve.
 */
export function plottedLog10(id: string, value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (isLogMeasure(id)) return value / Math.LN10;
  return value > 0 ? Math.log10(value) : null;
}

/** Returns the stored value of a quantity (the target name or a measure id) for one run. */
export function quantityValue(run: RunValues, quantity: string, target: TargetKind): number | null {
  if (quantity === target) return targetValue(run, target);
  return run.measures[quantity] ?? null;
}

/**
 * Raises a LabError of kind `invalid-input` unless the table is well formed. The table needs at
 * least one run and distinct measure ids that differ from the target names. Every run needs a
 * positive integer m and an integer seed, and every value must be a finite number or null.
 * A condition keeps one kind over all its runs.
 */
export function validateRunTable(table: RunTable): void {
  if (table.runs.length === 0) {
    throw new LabError('invalid-input', 'The run table has no runs; add at least one run per condition and size');
  }
  const seen = new Set<string>();
  for (const id of table.measures) {
    if (seen.has(id)) throw new LabError('invalid-input', `Measure "${id}" appears twice in the run table; keep one column per measure`);
    if ((targetKinds as readonly string[]).includes(id)) {
      throw new LabError('invalid-input', `Measure id "${id}" clashes with the target of the same name; rename the measure`);
    }
    seen.add(id);
  }

  const kindOf = new Map<string, ConditionKind>();
  table.runs.forEach((run, index) => {
    const where = `run ${index + 1} (condition "${run.condition}", m = ${run.m}, seed ${run.seed})`;
    if (run.condition === '') throw new LabError('invalid-input', `${where} has an empty condition name; name every condition`);
    if (!conditionKinds.includes(run.kind)) {
      throw new LabError('invalid-input', `${where} has kind "${String(run.kind)}"; use baseline, hyperparameter or data`);
    }
    if (!Number.isInteger(run.m) || run.m <= 0) throw new LabError('invalid-input', `${where}: m must be a positive integer`);
    if (!Number.isInteger(run.seed)) throw new LabError('invalid-input', `${where}: the seed must be an integer`);

    const earlierKind = kindOf.get(run.condition);
    if (earlierKind !== undefined && earlierKind !== run.kind) {
      throw new LabError(
        'invalid-input',
        `${where} has kind "${run.kind}" but earlier runs of "${run.condition}" have kind "${earlierKind}"; give a condition one kind`,
      );
    }
    kindOf.set(run.condition, run.kind);

    for (const [name, value] of [['test error', run.testError], ['train error', run.trainError]] as const) {
      if (value !== null && !Number.isFinite(value)) throw new LabError('invalid-input', `${where}: the ${name} is ${value}; store a finite number or null`);
    }
    for (const id of table.measures) {
      const value = run.measures[id];
      if (value === undefined) throw new LabError('invalid-input', `${where} has no entry for measure "${id}"; store null for a missing value`);
      if (value !== null && !Number.isFinite(value)) {
        throw new LabError('invalid-input', `${where}: measure "${id}" is ${value}; store a finite number or null for a missing value`);
      }
    }
  });
}
