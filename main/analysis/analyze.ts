/**
 * The fragility analysis of one study: learning-curve cells and exponents, CMS and eCMS, value
 * shifts, trend flips, verdicts with bootstrap intervals, a summary per measure and Kendall's tau-a
 * between every measure and the target. Missing values do not raise: a cell without a valid run
 * gives null exponents, scores and intervals, an `undetermined` verdict and a stated reason.
 * Only a malformed table or option raises.
 *
 * The keys of StudyAnalysis are the snake_case names that the JSON reports and the reference
 * fixtures use.
 */
import { LabError } from '../util/errors.js';
import { bootstrapIntervals, defaultBootstrapSettings } from './bootstrap.js';
import type { BootstrapSettings, StudyIntervals } from './bootstrap.js';
import { collectCellSamples, computeCellMeans, countLeftOut, describeCells, findEmptyMeasures } from './cells.js';
import type { Cell } from './cells.js';
import { buildGrid, describeStudy } from './design.js';
import type { Grid, StudyDesign } from './design.js';
import { computeExponents, explainMissingExponents } from './exponents.js';
import { computeFragilityScores, decideVerdict, defaultThreshold, straddlesThreshold, summarizeMeasure } from './fragility.js';
import type { MeasureSummary, Verdict } from './fragility.js';
import { kendallOverRuns, rankingStatistics } from './ranking.js';
import type { KendallResult, RankingTargets } from './ranking.js';
import { targetKinds, validateRunTable } from './table.js';
import type { ConditionKind, RunTable, TargetKind } from './table.js';

export interface AnalyzeOptions {
  /** The generalization target; `test_error` by default. */
  target?: TargetKind;
  /** |eCMS| above which a measure is fragile to a perturbation; 0.1 by default. */
  threshold?: number;
  /** Name of the baseline condition; by default the one condition of kind `baseline`. */
  baseline?: string;
  /** Bootstrap settings; each defaults to `defaultBootstrapSettings`. */
  bootstrap?: Partial<BootstrapSettings>;
  /** Hyperparameter axes of the runs' settings; when given, the result has `ranking`. */
  axes?: readonly string[];
}

/** Ranking statistics over the runs' hyperparameter axes. */
export interface RankingReport {
  axes: string[];
  measures: string[];
  targets: RankingTargets;
}

export interface StudyAnalysis {
  target: TargetKind;
  baseline: string;
  threshold: number;
  measures: string[];
  sizes: number[];
  conditions: string[];
  kinds: Record<string, ConditionKind>;
  perturbations: string[];
  quantities: string[];
  /** cells[quantity][condition]: one cell per size. */
  cells: Grid<Cell[]>;
  /** alpha[quantity][condition]: learning-curve exponent. */
  alpha: Grid<number | null>;
  /** left_out[quantity][condition]: runs left out over all sizes. */
  left_out: Grid<number>;
  /** cms, ecms, vs, evs, trend_flip, verdict: [measure][perturbation]. */
  cms: Grid<number | null>;
  ecms: Grid<number | null>;
  vs: Grid<number | null>;
  evs: Grid<number | null>;
  vs_target: Record<string, number | null>;
  trend_flip: Grid<boolean | null>;
  verdict: Grid<Verdict>;
  summary: Record<string, MeasureSummary>;
  kendall_tau_a: Record<string, KendallResult>;
  intervals: StudyIntervals;
  bootstrap: BootstrapSettings;
  /** alpha_missing[quantity][condition]: why the exponent is null; only null exponents appear. */
  alpha_missing: Grid<string>;
  /** undetermined_reasons[measure][perturbation]: why the verdict is undetermined; only such cells appear. */
  undetermined_reasons: Grid<string>;
  /** Measures without a valid value in any run. */
  empty_measures: string[];
  ranking?: RankingReport;
}

function resolveOptions(options: AnalyzeOptions): { target: TargetKind; threshold: number; bootstrap: BootstrapSettings } {
  const target = options.target ?? 'test_error';
  if (!targetKinds.includes(target)) {
    throw new LabError('invalid-input', `Target "${String(target)}" is not supported; use test_error or gap`, { field: 'target' });
  }
  const threshold = options.threshold ?? defaultThreshold;
  if (!Number.isFinite(threshold) || threshold <= 0) {
    throw new LabError('invalid-input', `Threshold ${threshold} is invalid; use a positive number such as 0.1`, { field: 'threshold' });
  }
  const bootstrap = { ...defaultBootstrapSettings, ...options.bootstrap };
  if (!Number.isSafeInteger(bootstrap.resamples) || bootstrap.resamples < 0) {
    throw new LabError('invalid-input', `Bootstrap resamples ${bootstrap.resamples} is invalid; use an integer >= 0 (0 computes no interval)`, {
      field: 'bootstrap.resamples',
    });
  }
  if (!Number.isSafeInteger(bootstrap.seed)) {
    throw new LabError('invalid-input', `Bootstrap seed ${bootstrap.seed} is invalid; use an integer`, { field: 'bootstrap.seed' });
  }
  if (!(bootstrap.confidence > 0 && bootstrap.confidence < 1)) {
    throw new LabError('invalid-input', `Bootstrap confidence ${bootstrap.confidence} is invalid; use a level in (0, 1) such as 0.95`, {
      field: 'bootstrap.confidence',
    });
  }
  return { target, threshold, bootstrap };
}

/** Analyzes one study; raises a LabError of kind `invalid-input` only for a malformed table or option. */
export function analyzeStudy(table: RunTable, options: AnalyzeOptions = {}): StudyAnalysis {
  const { target, threshold, bootstrap } = resolveOptions(options);
  validateRunTable(table);
  const design = describeStudy(table, target, options.baseline);

  const samples = collectCellSamples(table, design);
  const means = computeCellMeans(samples);
  const alpha = computeExponents(means, design);
  const scores = computeFragilityScores(design, means, alpha);
  const intervals = bootstrapIntervals(samples, design, bootstrap);
  const alphaMissing = explainMissingExponents(alpha, samples, design);

  const verdict = buildGrid(design.measures, design.perturbations, (measure, perturbation) =>
    decideVerdict(scores.ecms[measure]![perturbation]!, intervals.ecms[measure]![perturbation]!, scores.trend_flip[measure]![perturbation]!, threshold),
  );
  const summary: Record<string, MeasureSummary> = {};
  const kendall: Record<string, KendallResult> = {};
  for (const measure of design.measures) {
    summary[measure] = summarizeMeasure(scores.ecms[measure]!, verdict[measure]!);
    kendall[measure] = kendallOverRuns(table.runs, measure, target);
  }

  const analysis: StudyAnalysis = {
    target,
    baseline: design.baseline,
    threshold,
    measures: design.measures,
    sizes: design.sizes,
    conditions: design.conditions,
    kinds: design.kinds,
    perturbations: design.perturbations,
    quantities: design.quantities,
    cells: describeCells(samples, means, design),
    alpha,
    left_out: countLeftOut(samples, design),
    cms: scores.cms,
    ecms: scores.ecms,
    vs: scores.vs,
    evs: scores.evs,
    vs_target: scores.vs_target,
    trend_flip: scores.trend_flip,
    verdict,
    summary,
    kendall_tau_a: kendall,
    intervals,
    bootstrap,
    alpha_missing: alphaMissing,
    undetermined_reasons: explainUndetermined(design, alpha, alphaMissing, scores.ecms, intervals, threshold),
    empty_measures: findEmptyMeasures(samples, design),
  };
  if (options.axes !== undefined && options.axes.length > 0) {
    analysis.ranking = { axes: [...options.axes], measures: [...design.measures], targets: rankingStatistics(table.runs, options.axes, design.measures) };
  }
  return analysis;
}

function explainUndetermined(
  design: StudyDesign,
  alpha: Grid<number | null>,
  alphaMissing: Grid<string>,
  ecms: Grid<number | null>,
  intervals: StudyIntervals,
  threshold: number,
): Grid<string> {
  const reasons: Grid<string> = {};
  for (const measure of design.measures) {
    const row: Record<string, string> = {};
    for (const perturbation of design.perturbations) {
      const reason = explainOneUndetermined(design, alpha, alphaMissing, measure, perturbation, ecms, intervals, threshold);
      if (reason !== null) row[perturbation] = reason;
    }
    if (Object.keys(row).length > 0) reasons[measure] = row;
  }
  return reasons;
}

function explainOneUndetermined(
  design: StudyDesign,
  alpha: Grid<number | null>,
  alphaMissing: Grid<string>,
  measure: string,
  perturbation: string,
  ecms: Grid<number | null>,
  intervals: StudyIntervals,
  threshold: number,
): string | null {
  if (ecms[measure]![perturbation] === null) {
    const missing: string[] = [];
    for (const quantity of [measure, design.target]) {
      for (const condition of [design.baseline, perturbation]) {
        if (alpha[quantity]![condition] === null) missing.push(`alpha of ${quantity} for ${condition} is missing (${alphaMissing[quantity]![condition]})`);
      }
    }
    return `eCMS is missing: ${missing.join('; ')}`;
  }
  const interval = intervals.ecms[measure]![perturbation]!;
  if (interval !== null && straddlesThreshold(interval, threshold)) {
    const [low, high] = interval.map((bound) => bound.toPrecision(4));
    return `the interval [${low}, ${high}] of eCMS contains the threshold ${threshold} or its negative`;
  }
  return null;
}
