/**
 * The report model: everything a published report of one stored study shows, gathered once by
 * `buildStudyReport` and rendered by every format (HTML, PDF, CSV, LaTeX, JSON).
 *
 * Keys are the snake_case names of the JSON report, like those of StudyAnalysis, so that the JSON
 * format is this model as it is. Every number is finite or null. A null that hides a result has its
 * reason in the report: a `missing_reason` beside it, the run's status, an entry of
 * `analysis.alpha_missing` or `analysis.undetermined_reasons`, or a gap.
 */
import type { RunStatus } from '../../db/store.js';
import type { BootstrapSettings, ConditionKind, Interval, StudyAnalysis, TargetKind } from '../analysis/index.js';
import type { StudySpec } from '../studies/spec.js';

/** Version of the report model; raise it when a key changes meaning or is removed. */
export const reportFormatVersion = 1;

export interface StudyReport {
  format_version: number;
  /** ISO 8601 time the report was built. */
  generated_at: string;
  study: ReportStudy;
  environment: ReportEnvironment;
  definitions: ReportDefinitions;
  /** The fragility analysis of the finished runs; null when it could not be computed. */
  analysis: StudyAnalysis | null;
  /** Reason that `analysis` is null; null when it is present. */
  analysis_missing_reason: string | null;
  curves: ReportCurves;
  /** Every run of the study in plan order, finished or not. */
  runs: ReportRun[];
  /** Everything the report lacks or that qualifies its numbers, in reading order. */
  gaps: ReportGap[];
}

export interface ReportStudy {
  id: string;
  name: string;
  description: string | null;
  spec_hash: string;
  created_at: string;
  updated_at: string;
  /** The validated spec with every default applied. */
  spec: StudySpec;
  conditions: ReportCondition[];
  /** Training-set sizes of the spec, ascending. */
  sizes: number[];
  seeds: number[];
  measures: string[];
  target: TargetKind;
  threshold: number;
  /** Key under which the study's measure values are stored (the options that change them). */
  measure_options_key: string;
}

export interface ReportCondition {
  name: string;
  kind: ConditionKind;
  description: string | null;
  /** The settings a perturbation changes relative to the baseline; null for the baseline. */
  changes: Record<string, unknown> | null;
  planned_runs: number;
  finished_runs: number;
}

/** A value seen on some runs, with the number of runs that have it. */
export interface CountedValue {
  value: string;
  runs: number;
}

export interface LibraryVersion {
  library: string;
  version: string;
  runs: number;
}

export interface ReportEnvironment {
  /** File name of the database (not its full path, which may name a user's folders). */
  database: string;
  backends: CountedValue[];
  devices: CountedValue[];
  versions: LibraryVersion[];
  /** Runs per status; every status appears, with 0 where no run has it. */
  status_counts: Record<RunStatus, number>;
  total_runs: number;
  /** Earliest start and latest end over the runs that have them. */
  first_started_at: string | null;
  last_finished_at: string | null;
  /** Sum of the training and measuring times of the runs, in ms. */
  total_duration_ms: number;
  /** Versions of the training and data code recorded in the runs' settings, ascending. */
  engine_versions: number[];
  /** Version of the training and data code of the lab that built the report. */
  current_engine_version: number;
}

export interface ReportMeasureDefinition {
  id: string;
  title: string;
  /** Equation number in Jiang et al. 2020, or null. */
  equation: number | null;
  source: string;
  /** Whether the raw value is a natural logarithm. */
  is_log: boolean;
  definition: string;
  /** The size adjustment applied to the raw value, as a formula. */
  size_adjustment: string;
  /** Quantity the learning curves plot for this measure, as a formula. */
  plotted: string;
}

/** A named quantity of the analysis with its definition. */
export interface ReportTerm {
  term: string;
  definition: string;
}

export interface ReportDefinitions {
  measures: ReportMeasureDefinition[];
  /** The size adjustment rule over all measures. */
  size_adjustment: string;
  /** The generalization target of the study and what it means. */
  target: string;
  /** Exponent, CMS, eCMS, trend flip, value shift, intervals, verdict, summary, ranking statistics. */
  terms: ReportTerm[];
  threshold: number;
  bootstrap: BootstrapSettings;
}

/** One point of a learning curve: the cell of one condition at one training-set size. */
export interface CurvePoint {
  m: number;
  log10_m: number;
  /** x = mean over the cell's valid runs of log10 X; null when the cell has no valid run. */
  log10_value: number | null;
  /** Bootstrap percentile interval of x; null without a value or without resamples. */
  interval: Interval | null;
  n_valid: number;
  n_left_out: number;
}

export interface CurveSeries {
  condition: string;
  kind: ConditionKind;
  /** Learning-curve exponent alpha of this quantity and condition. */
  alpha: number | null;
  alpha_interval: Interval | null;
  /** Reason that alpha is null; null when it is present. */
  alpha_missing: string | null;
  points: CurvePoint[];
}

export interface LearningCurve {
  /** Measure id, `test_error` or `gap`. */
  quantity: string;
  title: string;
  /** The plotted quantity X of the y axis, with its unit. */
  axis_label: string;
  is_measure: boolean;
  series: CurveSeries[];
  /** Reason that no series has a point; null when some point exists. */
  empty_reason: string | null;
}

export interface ReportCurves {
  /** The test error, shown beside every measure. */
  test_error: LearningCurve;
  /** The generalization gap, present when the study's target is the gap. */
  gap: LearningCurve | null;
  /** One curve per measure of the spec, in spec order. */
  measures: LearningCurve[];
}

export interface ReportMeasureValue {
  raw: number | null;
  adjusted: number | null;
  /** Reason that the values are null; null when they are present. */
  missing_reason: string | null;
}

export interface ReportRun {
  id: string;
  condition: string;
  kind: ConditionKind;
  m: number;
  seed: number;
  status: RunStatus;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  backend: string | null;
  device: string | null;
  versions: Record<string, string> | null;
  epochs: number | null;
  diverged_epoch: number | null;
  /** Errors are fractions in [0, 1]. Losses are the mean cross-entropy, in nats. */
  train_error: number | null;
  test_error: number | null;
  train_loss: number | null;
  test_loss: number | null;
  noisy_label_count: number | null;
  error_message: string | null;
  /** Every measure of the spec, by id. */
  measures: Record<string, ReportMeasureValue>;
}

export type GapKind =
  | 'no-analysis'
  | 'unfinished-runs'
  | 'failed-runs'
  | 'diverged-runs'
  | 'did-not-fit'
  | 'condition-without-runs'
  | 'one-size'
  | 'missing-values'
  | 'empty-measure'
  | 'missing-exponent'
  | 'no-intervals';

export interface ReportGap {
  kind: GapKind;
  /** A full sentence stating the gap and its consequence for the numbers. */
  message: string;
  measure?: string;
  condition?: string;
  run_ids?: string[];
}
