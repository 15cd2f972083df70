/**
 * Builds the report model of a stored study: the spec and environment, the definitions, the
 * fragility analysis, the learning curves, every run with its measure values, and the gaps.
 *
 * Only a database or study that cannot be read raises. A study with failed, pending or diverged
 * runs, missing values or no finished run at all still gives a report, which states what is missing.
 */
import { basename } from 'node:path';
import { finishedStatuses, type MeasureRecord, type RunStatus, type Store, type StudyRunRecord } from '../../db/store.js';
import { analyzeStudy, defaultBootstrapSettings, type StudyAnalysis } from '../analysis/index.js';
import { engineVersion, measureOptionsKey, type RunSettings } from '../studies/plan.js';
import { analyzeStoredStudy, loadStoredStudy, studyRunTable, type StoredStudy } from '../studies/results.js';
import { LabError } from '../util/errors.js';
import { buildCurves } from './curves.js';
import { buildDefinitions } from './definitions.js';
import { findGaps } from './gaps.js';
import { reportFormatVersion } from './model.js';
import type { CountedValue, LibraryVersion, ReportCondition, ReportEnvironment, ReportMeasureValue, ReportRun, ReportStudy, StudyReport } from './model.js';

export interface BuildReportOptions {
  /** Study id; may be omitted when the database contains one study. */
  studyId?: string;
  /** Time stamped on the report; now by default. A fixed time makes the output reproducible. */
  generatedAt?: Date;
}

const allStatuses: readonly RunStatus[] = ['pending', 'running', 'fit', 'did_not_fit', 'diverged', 'failed', 'interrupted'];

function describeStudy(stored: StoredStudy): ReportStudy {
  const { spec, record, runs } = stored;
  const conditions: ReportCondition[] = [
    { name: 'baseline', kind: 'baseline', description: null, changes: null, planned_runs: 0, finished_runs: 0 },
    ...spec.perturbations.map((perturbation) => ({
      name: perturbation.name,
      kind: perturbation.kind,
      description: perturbation.description ?? null,
      changes: perturbation.changes as Record<string, unknown>,
      planned_runs: 0,
      finished_runs: 0,
    })),
  ];
  for (const condition of conditions) {
    const own = runs.filter((run) => run.condition === condition.name);
    condition.planned_runs = own.length;
    condition.finished_runs = own.filter((run) => finishedStatuses.includes(run.status)).length;
  }
  return {
    id: record.id,
    name: record.name,
    description: spec.description ?? null,
    spec_hash: record.specHash,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    spec,
    conditions,
    sizes: [...spec.trainSizes].sort((a, b) => a - b),
    seeds: [...spec.seeds],
    measures: [...spec.measures.ids],
    target: spec.analysis.target,
    threshold: spec.analysis.threshold,
    measure_options_key: measureOptionsKey(spec),
  };
}

function parseVersions(run: StudyRunRecord): Record<string, string> | null {
  if (run.versionsJson === null) return null;
  try {
    return JSON.parse(run.versionsJson) as Record<string, string>;
  } catch {
    return { unreadable: run.versionsJson };
  }
}

function countValues(values: readonly (string | null)[]): CountedValue[] {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, runs]) => ({ value, runs })).sort((a, b) => b.runs - a.runs || a.value.localeCompare(b.value));
}

function describeEnvironment(store: Store, records: readonly StudyRunRecord[], runs: readonly ReportRun[]): ReportEnvironment {
  const status_counts = Object.fromEntries(allStatuses.map((status) => [status, 0])) as Record<RunStatus, number>;
  for (const run of runs) status_counts[run.status] += 1;

  const versionCounts = new Map<string, LibraryVersion>();
  for (const run of runs) {
    for (const [library, version] of Object.entries(run.versions ?? {})) {
      const key = `${library}\u0000${version}`;
      const entry = versionCounts.get(key) ?? { library, version, runs: 0 };
      entry.runs += 1;
      versionCounts.set(key, entry);
    }
  }
  const started = runs.map((run) => run.started_at).filter((time): time is string => time !== null).sort();
  const finished = runs.map((run) => run.finished_at).filter((time): time is string => time !== null).sort();
  return {
    database: basename(store.path),
    backends: countValues(runs.map((run) => run.backend)),
    devices: countValues(runs.map((run) => run.device)),
    versions: [...versionCounts.values()].sort((a, b) => a.library.localeCompare(b.library) || b.runs - a.runs),
    status_counts,
    total_runs: runs.length,
    first_started_at: started[0] ?? null,
    last_finished_at: finished.at(-1) ?? null,
    total_duration_ms: runs.reduce((total, run) => total + (run.duration_ms ?? 0), 0),
    engine_versions: engineVersions(records),
    current_engine_version: engineVersion,
  };
}

/** Returns the engine versions recorded in the runs' settings, ascending. */
function engineVersions(runs: readonly StudyRunRecord[]): number[] {
  const versions = new Set<number>();
  for (const run of runs) {
    try {
      const version = (JSON.parse(run.settingsJson) as Partial<RunSettings>).engineVersion;
      if (typeof version === 'number') versions.add(version);
    } catch {
      // Settings that cannot be parsed give no version; the run's other columns are still reported.
    }
  }
  return [...versions].sort((a, b) => a - b);
}

/** States why a run that is not finished has no measure value. */
function unfinishedReason(run: StudyRunRecord): string {
  switch (run.status) {
    case 'failed':
      return `the run failed: ${run.errorMessage ?? 'no reason was stored'}`;
    case 'running':
      return 'the run was still training when the report was made';
    case 'interrupted':
      return 'the run was interrupted before it finished';
    default:
      return 'the run has not been trained yet';
  }
}

function measureValues(run: StudyRunRecord, measures: readonly string[], stored: Map<string, MeasureRecord> | undefined, optionsKey: string): Record<string, ReportMeasureValue> {
  const finished = finishedStatuses.includes(run.status);
  const values: Record<string, ReportMeasureValue> = {};
  for (const id of measures) {
    const record = stored?.get(id);
    if (!finished) values[id] = { raw: null, adjusted: null, missing_reason: unfinishedReason(run) };
    else if (record === undefined) values[id] = { raw: null, adjusted: null, missing_reason: `no value is stored for this run under the measure options ${optionsKey}` };
    else if (record.raw === null || record.adjusted === null) values[id] = { raw: null, adjusted: null, missing_reason: record.missingReason ?? 'no reason was stored' };
    else values[id] = { raw: record.raw, adjusted: record.adjusted, missing_reason: null };
  }
  return values;
}

function describeRuns(store: Store, stored: StoredStudy): ReportRun[] {
  const optionsKey = measureOptionsKey(stored.spec);
  const measures = store.measuresFor(
    stored.runs.filter((run) => finishedStatuses.includes(run.status)).map((run) => run.id),
    optionsKey,
  );
  return stored.runs.map((run) => ({
    id: run.id,
    condition: run.condition,
    kind: run.kind,
    m: run.trainSize,
    seed: run.seed,
    status: run.status,
    attempts: run.attempts,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: run.durationMs,
    backend: run.backend,
    device: run.device,
    versions: parseVersions(run),
    epochs: run.epochs,
    diverged_epoch: run.divergedEpoch,
    train_error: run.trainError,
    test_error: run.testError,
    train_loss: run.trainLoss,
    test_loss: run.testLoss,
    noisy_label_count: run.noisyLabelCount,
    error_message: run.errorMessage,
    measures: measureValues(run, stored.spec.measures.ids, measures.get(run.id), optionsKey),
  }));
}

/** Runs the analysis, turning the LabErrors of a study that cannot be analysed into a reason. */
function analyze(store: Store, stored: StoredStudy): { analysis: StudyAnalysis | null; errorAnalysis: StudyAnalysis | null; reason: string | null } {
  try {
    const analysis = analyzeStoredStudy(store, stored);
    if (analysis.target === 'test_error') return { analysis, errorAnalysis: analysis, reason: null };
    // The test-error curve needs the test error as a quantity, which a study targeting the gap lacks.
    const { table } = studyRunTable(store, stored);
    const errorAnalysis = analyzeStudy(table, { target: 'test_error', threshold: analysis.threshold });
    return { analysis, errorAnalysis, reason: null };
  } catch (error) {
    if (!(error instanceof LabError) || error.kind === 'storage') throw error;
    return { analysis: null, errorAnalysis: null, reason: error.message.replace(/[.;\s]+$/, '') };
  }
}

/**
 * Builds the report of one stored study. Raises a LabError when the study is not in the
 * database or the database cannot be read; every other problem becomes a stated gap.
 */
export function buildStudyReport(store: Store, options: BuildReportOptions = {}): StudyReport {
  const stored = loadStoredStudy(store, options.studyId);
  const study = describeStudy(stored);
  const runs = describeRuns(store, stored);
  const { analysis, errorAnalysis, reason } = analyze(store, stored);
  const noAnalysisReason = reason ?? 'the analysis could not be computed';
  return {
    format_version: reportFormatVersion,
    generated_at: (options.generatedAt ?? new Date()).toISOString(),
    study,
    environment: describeEnvironment(store, stored.runs, runs),
    definitions: buildDefinitions(study.measures, study.target, study.threshold, analysis?.bootstrap ?? defaultBootstrapSettings),
    analysis,
    analysis_missing_reason: reason,
    curves: buildCurves(study.measures, study.target, analysis, errorAnalysis, noAnalysisReason),
    runs,
    gaps: findGaps(study, runs, analysis, reason),
  };
}
