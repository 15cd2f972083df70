/**
 * Reads a stored study back as a run table and analyses it: the bridge between the store and the
 * fragility analysis that the CLI, the lab server and the reports share.
 */
import { finishedStatuses, type Store, type StudyRecord, type StudyRunRecord } from '../../db/store.js';
import { analyzeStudy, type RunRow, type RunTable, type SettingValue, type StudyAnalysis } from '../analysis/index.js';
import { LabError } from '../util/errors.js';
import { measureOptionsKey, type RunSettings } from './plan.js';
import { validateStudySpec, type StudySpec } from './spec.js';

export interface StoredStudy {
  record: StudyRecord;
  spec: StudySpec;
  runs: StudyRunRecord[];
}

/** Loads a study by id; without an id, the only study in the database (or an error listing them). */
export function loadStoredStudy(store: Store, id?: string): StoredStudy {
  const studies = store.listStudies();
  let record: StudyRecord | undefined;
  if (id === undefined) {
    if (studies.length !== 1) {
      const names = studies.map((study) => study.id).join(', ');
      throw new LabError(
        studies.length === 0 ? 'not-found' : 'invalid-input',
        studies.length === 0 ? `${store.path} has no study yet; run one with "fragility-lab run STUDY.json --db ${store.path}"` : `${store.path} has ${studies.length} studies (${names}); choose one with --study`,
        { field: 'study' },
      );
    }
    record = studies[0];
  } else {
    record = store.getStudy(id);
    if (record === undefined) {
      throw new LabError('not-found', `Study "${id}" is not in ${store.path}; the studies there are ${studies.map((study) => study.id).join(', ') || 'none'}`, { field: 'study' });
    }
  }
  const spec = validateStudySpec(JSON.parse(record!.specJson), `the stored spec of study ${record!.id}`);
  return { record: record!, spec, runs: store.studyRuns(record!.id) };
}

/** Flattens nested settings into dotted keys: {training: {learningRate: 0.1}} -> {'training.learningRate': 0.1}. */
function flatten(value: unknown, prefix: string, out: Record<string, SettingValue>): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    out[prefix] = JSON.stringify(value);
  } else if (typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) flatten(member, prefix === '' ? key : `${prefix}.${key}`, out);
  } else if (typeof value === 'number' || typeof value === 'string') {
    out[prefix] = value;
  } else {
    out[prefix] = String(value);
  }
}

/** The settings that differ between the study's conditions, named by dotted path: the ranking axes. */
function varyingSettings(runs: readonly StudyRunRecord[]): { axes: string[]; settingsOf: Map<string, Record<string, SettingValue>> } {
  const settingsOf = new Map<string, Record<string, SettingValue>>();
  for (const run of runs) {
    const { data, model, training } = JSON.parse(run.settingsJson) as RunSettings;
    const flat: Record<string, SettingValue> = {};
    flatten({ data, model, training }, '', flat);
    settingsOf.set(run.id, flat);
  }
  const keys = new Set([...settingsOf.values()].flatMap((flat) => Object.keys(flat)));
  const axes = [...keys].filter((key) => new Set([...settingsOf.values()].map((flat) => String(flat[key]))).size > 1).sort();
  return { axes, settingsOf };
}

/** The finished runs of a study as a run table of size-adjusted measure values. */
export function studyRunTable(store: Store, study: StoredStudy): { table: RunTable; axes: string[] } {
  const finished = study.runs.filter((run) => finishedStatuses.includes(run.status));
  const measures = store.measuresFor(
    finished.map((run) => run.id),
    measureOptionsKey(study.spec),
  );
  const { axes, settingsOf } = varyingSettings(finished);
  const rows: RunRow[] = finished.map((run) => {
    const values = measures.get(run.id) ?? new Map();
    const settings = settingsOf.get(run.id) ?? {};
    const axisValues: Record<string, SettingValue> = {};
    for (const axis of axes) if (settings[axis] !== undefined) axisValues[axis] = settings[axis]!;
    return {
      condition: run.condition,
      kind: run.kind,
      m: run.trainSize,
      seed: run.seed,
      testError: run.testError,
      trainError: run.trainError,
      measures: Object.fromEntries(study.spec.measures.ids.map((id) => [id, values.get(id)?.adjusted ?? null])),
      settings: axisValues,
    };
  });
  return { table: { measures: [...study.spec.measures.ids], runs: rows }, axes };
}

/** Analyses a stored study with its own threshold and target. */
export function analyzeStoredStudy(store: Store, study: StoredStudy): StudyAnalysis {
  const { table, axes } = studyRunTable(store, study);
  if (table.runs.length === 0) {
    throw new LabError('not-found', `Study "${study.record.id}" has no finished run yet; run it with "fragility-lab run"`);
  }
  return analyzeStudy(table, {
    target: study.spec.analysis.target,
    threshold: study.spec.analysis.threshold,
    ...(axes.length > 0 ? { axes } : {}),
  });
}
