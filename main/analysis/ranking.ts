/**
 * Ranking statistics between a measure mu and the generalization target g over runs, computed
 * beside CMS and eCMS. Values are used as they are: zero and negative values count, and a run
 * enters a statistic only when both its measure and its target are present.
 *
 * - Kendall's tau-a: tau = (1 / (n (n - 1))) sum over ordered pairs i != j of
 *   sign(mu_i - mu_j) sign(g_i - g_j), with sign(0) = 0. Ties count as 0 and the denominator is
 *   not corrected for them (this is not tau-b).
 * - Granulated Kendall (Jiang et al. 2020, "Fantastic generalization measures and where to find
 *   them"): for an axis, psi is the mean of tau-a over the groups of runs that share the values of
 *   every other axis, skipping groups of fewer than two runs; Psi is the mean of psi over the axes.
 * - Sign error (Dziugaite et al. 2020, "In search of robust measures of generalization"): over the
 *   unordered pairs of runs that differ in one axis and agree on every other,
 *   (1 - sign(mu_1 - mu_2) sign(g_1 - g_2)) / 2, with its mean, worst case and number of pairs.
 */
import { LabError } from '../util/errors.js';
import { mean, sign } from './statistics.js';
import { targetKinds, targetValue } from './table.js';
import type { RunValues, SettingValue, TargetKind } from './table.js';

/** One run of a ranking grid. */
export interface RankingRun extends RunValues {
  id: string;
  settings: Record<string, SettingValue>;
}

/** A grid of runs over hyperparameter axes, one setting per axis for every run. */
export interface RankingTable {
  axes: string[];
  measures: string[];
  runs: RankingRun[];
}

export interface SignError {
  /** Mean over the pairs; null without a pair. */
  mean: number | null;
  /** Largest value over the pairs (1 when some pair is ranked the wrong way); null without a pair. */
  worst: number | null;
  pairs: number;
}

export interface MeasureRanking {
  kendall_tau_a: number | null;
  /** Granulated Kendall per axis; null when the axis has no group of two or more runs. */
  psi: Record<string, number | null>;
  /** Mean of psi over the axes that have one; null when none has. */
  Psi: number | null;
  sign_error: Record<string, SignError>;
}

/** Ranking statistics by target, then by measure. */
export type RankingTargets = Partial<Record<TargetKind, Record<string, MeasureRanking>>>;

export interface KendallResult {
  tau: number | null;
  n_runs: number;
}

/** Returns Kendall's tau-a of paired samples; null for fewer than two pairs. */
export function kendallTauA(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new RangeError(`kendallTauA expects samples of equal length, received ${x.length} and ${y.length}`);
  const n = x.length;
  if (n < 2) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) sum += sign(x[i]! - x[j]!) * sign(y[i]! - y[j]!);
  }
  // Each unordered pair stands for its two ordered pairs, which have the same product.
  return (2 * sum) / (n * (n - 1));
}

interface PairedRun<T> {
  run: T;
  measure: number;
  target: number;
}

function pairValues<T extends RunValues>(runs: readonly T[], measure: string, target: TargetKind): PairedRun<T>[] {
  const paired: PairedRun<T>[] = [];
  for (const run of runs) {
    const measureValue = run.measures[measure] ?? null;
    const targetRunValue = targetValue(run, target);
    if (measureValue !== null && targetRunValue !== null) paired.push({ run, measure: measureValue, target: targetRunValue });
  }
  return paired;
}

function tauOfPairs(paired: readonly PairedRun<unknown>[]): number | null {
  return kendallTauA(
    paired.map((pair) => pair.measure),
    paired.map((pair) => pair.target),
  );
}

/** Returns tau-a between a measure and the target over the runs that have both, with their count. */
export function kendallOverRuns(runs: readonly RunValues[], measure: string, target: TargetKind): KendallResult {
  const paired = pairValues(runs, measure, target);
  return { tau: tauOfPairs(paired), n_runs: paired.length };
}

function settingKey(value: SettingValue): string {
  return `${typeof value}:${String(value)}`;
}

/** Returns the settings of every axis but one as a key, so runs with equal keys differ at most in that axis. */
function otherAxesKey(settings: Record<string, SettingValue>, axes: readonly string[], axis: string): string {
  return axes
    .filter((other) => other !== axis)
    .map((other) => settingKey(settings[other]!))
    .join('\u0000');
}

/** Returns psi for one axis: the mean tau-a over groups that share every other axis. */
function granulatedKendall(paired: readonly PairedRun<RunValues>[], axes: readonly string[], axis: string): number | null {
  const groups = new Map<string, PairedRun<RunValues>[]>();
  for (const pair of paired) {
    const key = otherAxesKey(pair.run.settings!, axes, axis);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [pair]);
    else group.push(pair);
  }
  const taus: number[] = [];
  for (const group of groups.values()) {
    const tau = tauOfPairs(group);
    if (tau !== null) taus.push(tau);
  }
  return taus.length === 0 ? null : mean(taus);
}

/** Returns the sign error for one axis over the pairs of runs that differ in that axis only. */
function signError(paired: readonly PairedRun<RunValues>[], axes: readonly string[], axis: string): SignError {
  const errors: number[] = [];
  for (let i = 0; i < paired.length; i++) {
    for (let j = i + 1; j < paired.length; j++) {
      const first = paired[i]!;
      const second = paired[j]!;
      const settingsFirst = first.run.settings!;
      const settingsSecond = second.run.settings!;
      if (settingKey(settingsFirst[axis]!) === settingKey(settingsSecond[axis]!)) continue;
      if (otherAxesKey(settingsFirst, axes, axis) !== otherAxesKey(settingsSecond, axes, axis)) continue;
      errors.push((1 - sign(first.measure - second.measure) * sign(first.target - second.target)) / 2);
    }
  }
  if (errors.length === 0) return { mean: null, worst: null, pairs: 0 };
  return { mean: mean(errors), worst: Math.max(...errors), pairs: errors.length };
}

function validateRankingInput(runs: readonly RunValues[], axes: readonly string[], measures: readonly string[]): void {
  if (axes.length === 0) throw new LabError('invalid-input', 'The ranking statistics need at least one axis; name the hyperparameters the runs vary');
  if (new Set(axes).size !== axes.length) throw new LabError('invalid-input', `The axes ${axes.join(', ')} repeat a name; list each axis once`);
  for (const measure of measures) {
    if ((targetKinds as readonly string[]).includes(measure)) {
      throw new LabError('invalid-input', `Measure id "${measure}" clashes with the target of the same name; rename the measure`);
    }
  }
  runs.forEach((run, index) => {
    for (const axis of axes) {
      if (run.settings?.[axis] === undefined) {
        throw new LabError('invalid-input', `Run ${index + 1} has no setting for axis "${axis}"; give every run a value on each axis`, { field: axis });
      }
    }
  });
}

/**
 * Computes tau-a, psi per axis, Psi and the sign error per axis for every measure and target.
 * Every run must have a setting on every axis.
 */
export function rankingStatistics(
  runs: readonly RunValues[],
  axes: readonly string[],
  measures: readonly string[],
  targets: readonly TargetKind[] = targetKinds,
): RankingTargets {
  validateRankingInput(runs, axes, measures);
  const result: RankingTargets = {};
  for (const target of targets) {
    const byMeasure: Record<string, MeasureRanking> = {};
    for (const measure of measures) {
      const paired = pairValues(runs, measure, target);
      const psi: Record<string, number | null> = {};
      const sign_error: Record<string, SignError> = {};
      for (const axis of axes) {
        psi[axis] = granulatedKendall(paired, axes, axis);
        sign_error[axis] = signError(paired, axes, axis);
      }
      const psiValues = Object.values(psi).filter((value): value is number => value !== null);
      byMeasure[measure] = {
        kendall_tau_a: tauOfPairs(paired),
        psi,
        Psi: psiValues.length === 0 ? null : mean(psiValues),
        sign_error,
      };
    }
    result[target] = byMeasure;
  }
  return result;
}
