/**
 * The shapes of the `study-results` and `studies-compare` responses, which the API map types as
 * `unknown`. They mirror StudyAnalysis and StudyComparison of the engine's analysis module (the
 * renderer may import only main/api/types.ts), restricted to the fields the app reads.
 *
 * NOTE: these types are a hand-kept copy; a change of the analysis keys must be repeated here.
 */
import type { ConditionKind } from '../../../main/api/types.js';

export type Grid<T> = Record<string, Record<string, T>>;
export type Interval = [number, number];
export type Verdict = 'fragile' | 'robust' | 'undetermined';
export type TargetKind = 'test_error' | 'gap';

/** One learning-curve point: x is the mean over seeds of log10 of the quantity at size m. */
export interface AnalysisCell {
  m: number;
  x: number | null;
  n_valid: number;
  n_left_out: number;
}

export interface MeasureSummary {
  worst_abs_ecms: number | null;
  fragile_count: number;
}

export interface KendallResult {
  tau: number | null;
  n_runs: number;
}

export interface SignError {
  mean: number | null;
  worst: number | null;
  pairs: number;
}

export interface MeasureRanking {
  kendall_tau_a: number | null;
  psi: Record<string, number | null>;
  Psi: number | null;
  sign_error: Record<string, SignError>;
}

export interface RankingReport {
  axes: string[];
  measures: string[];
  targets: Partial<Record<TargetKind, Record<string, MeasureRanking>>>;
}

export interface StudyIntervals {
  cells: Grid<(Interval | null)[]>;
  alpha: Grid<Interval | null>;
  cms: Grid<Interval | null>;
  ecms: Grid<Interval | null>;
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
  cells: Grid<AnalysisCell[]>;
  alpha: Grid<number | null>;
  left_out: Grid<number>;
  cms: Grid<number | null>;
  ecms: Grid<number | null>;
  trend_flip: Grid<boolean | null>;
  verdict: Grid<Verdict>;
  summary: Record<string, MeasureSummary>;
  kendall_tau_a: Record<string, KendallResult>;
  intervals: StudyIntervals;
  bootstrap: { resamples: number; seed: number; confidence: number };
  alpha_missing: Grid<string>;
  undetermined_reasons: Grid<string>;
  empty_measures: string[];
  ranking?: RankingReport;
}

/** The `study-results` response. */
export interface StudyResults {
  studyId: string;
  analysis: StudyAnalysis;
}

export interface ComparisonCell {
  condition: string;
  cms: number | null;
  ecms: number | null;
  ecms_interval: Interval | null;
  trend_flip: boolean | null;
  verdict: Verdict;
}

export interface StudyComparison {
  studies: string[];
  targets: Record<string, TargetKind>;
  thresholds: Record<string, number>;
  measures: string[];
  perturbations: string[];
  kinds: Grid<ConditionKind>;
  baseline_alpha_target: Record<string, number | null>;
  alpha_target: Grid<number | null>;
  /** cells[measure][perturbation][study], for the studies that have both. */
  cells: Record<string, Grid<ComparisonCell>>;
  verdicts_agree: Grid<boolean | null>;
  summary: Grid<MeasureSummary>;
  missing: { measures: Record<string, string[]>; perturbations: Record<string, string[]> };
  kind_conflicts: Grid<ConditionKind>;
  notes: string[];
}

/** One setting that differs between compared studies, with each study's value. */
export interface SpecDifference {
  field: string;
  values: Record<string, unknown>;
}

/** The `studies-compare` response. */
export interface StudiesComparison {
  comparison: StudyComparison;
  specDiff: SpecDifference[];
}
