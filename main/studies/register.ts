import type { Store } from '../../db/store.js';
import { canonicalJson, hashSettings } from '../util/hash.js';
import { planStudy, studyId, type PlannedStudyRun } from './plan.js';
import type { StudySpec } from './spec.js';

/** Stores a study's spec and links its planned runs; runs already stored are kept and reused. */
export function registerStudy(store: Store, spec: StudySpec): { studyId: string; plan: PlannedStudyRun[]; created: boolean; newRuns: number } {
  const plan = planStudy(spec);
  const id = studyId(spec);
  const saved = store.saveStudy(
    { id, name: spec.name, specJson: canonicalJson(spec), specHash: hashSettings(spec) },
    plan.map((run) => ({ runId: run.runId, settingsJson: canonicalJson(run.settings), condition: run.condition, kind: run.kind, trainSize: run.trainSize, seed: run.seed })),
  );
  return { studyId: id, plan, ...saved };
}
