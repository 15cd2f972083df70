/**
 * The layout of a study read from its run table: the baseline, the perturbations, the training-set
 * sizes and the quantities (the target first, then the measures) that every analysis iterates over.
 */
import { LabError } from '../util/errors.js';
import type { ConditionKind, RunTable, TargetKind } from './table.js';

/** Values by first key, then second key: quantity then condition, or measure then perturbation. */
export type Grid<T> = Record<string, Record<string, T>>;

export interface StudyDesign {
  target: TargetKind;
  baseline: string;
  /** Measure ids in table order. */
  measures: string[];
  /** The target followed by the measures. */
  quantities: string[];
  /** Every training-set size of the study, ascending. */
  sizes: number[];
  /** Conditions in order of first appearance in the table. */
  conditions: string[];
  kinds: Record<string, ConditionKind>;
  /** Conditions other than the baseline, in table order. */
  perturbations: string[];
}

/**
 * Reads the design of a study. The baseline is `baseline` when given, else the one condition of
 * kind `baseline`. Raises a LabError of kind `invalid-input` when no such condition exists, when
 * two conditions have kind `baseline` and none is named, or when the named one is absent.
 */
export function describeStudy(table: RunTable, target: TargetKind, baseline?: string): StudyDesign {
  const conditions: string[] = [];
  const kinds: Record<string, ConditionKind> = {};
  const sizeSet = new Set<number>();
  for (const run of table.runs) {
    if (!(run.condition in kinds)) {
      conditions.push(run.condition);
      kinds[run.condition] = run.kind;
    }
    sizeSet.add(run.m);
  }

  const baselineName = baseline ?? findBaseline(conditions, kinds);
  if (!(baselineName in kinds)) {
    throw new LabError('invalid-input', `Baseline "${baselineName}" is not a condition of the table (conditions: ${conditions.join(', ')}); name one of them`, {
      field: 'baseline',
    });
  }

  return {
    target,
    baseline: baselineName,
    measures: [...table.measures],
    quantities: [target, ...table.measures],
    sizes: [...sizeSet].sort((a, b) => a - b),
    conditions,
    kinds,
    perturbations: conditions.filter((condition) => condition !== baselineName),
  };
}

function findBaseline(conditions: readonly string[], kinds: Record<string, ConditionKind>): string {
  const candidates = conditions.filter((condition) => kinds[condition] === 'baseline');
  if (candidates.length === 0) {
    throw new LabError('invalid-input', `No condition has kind "baseline" (conditions: ${conditions.join(', ')}); mark the reference condition as baseline`, {
      field: 'baseline',
    });
  }
  if (candidates.length > 1) {
    throw new LabError('invalid-input', `Conditions ${candidates.join(' and ')} all have kind "baseline"; keep one baseline or name it explicitly`, {
      field: 'baseline',
    });
  }
  return candidates[0]!;
}

/** Builds a grid with one entry per (first, second) key pair. */
export function buildGrid<T>(firstKeys: readonly string[], secondKeys: readonly string[], value: (first: string, second: string) => T): Grid<T> {
  const grid: Grid<T> = {};
  for (const first of firstKeys) {
    const row: Record<string, T> = {};
    for (const second of secondKeys) row[second] = value(first, second);
    grid[first] = row;
  }
  return grid;
}
