/**
 * Expands a study spec into its runs: one per (condition, training-set size, seed). Each run
 * carries every setting that changes its result, and its id is the hash of those settings, so a
 * run already stored (by this study or another) is never trained again.
 */
import type { ModelSettings } from '../models/build.js';
import type { TrainingSettings } from '../training/train.js';
import { LabError } from '../util/errors.js';
import { hashSettings } from '../util/hash.js';
import type { ConditionKind } from '../../db/store.js';
import { describeIssues, studySpecSchema, type DataSettings, type Perturbation, type StudySpec } from './spec.js';

/**
 * Version of the training and data code that affects results. Raise it when a change alters what
 * an existing run would produce, so that stored runs are not mistaken for the new ones.
 */
export const engineVersion = 1;

export interface ConditionSettings {
  data: DataSettings;
  model: ModelSettings;
  training: TrainingSettings;
}

export interface Condition {
  name: string;
  kind: ConditionKind;
  settings: ConditionSettings;
}

/** Everything that determines a run's trained network and its errors. */
export interface RunSettings extends ConditionSettings {
  engineVersion: number;
  trainSize: number;
  seed: number;
}

export interface PlannedStudyRun {
  runId: string;
  condition: string;
  kind: ConditionKind;
  trainSize: number;
  seed: number;
  settings: RunSettings;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges `changes` into `base` recursively; arrays and scalars in `changes` replace those of `base`,
 * and so does an object of another `kind` (a learning-rate schedule of another kind).
 */
function deepMerge(base: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const current = merged[key];
    const sameKind = isPlainObject(current) && isPlainObject(value) && (value.kind === undefined || value.kind === current.kind);
    merged[key] = sameKind ? deepMerge(current, value as Record<string, unknown>) : value;
  }
  return merged;
}

/**
 * Settings added after the first engine version, with the value that reproduces what runs did
 * before they existed. A run's identity leaves out each of them that is at this value, so the
 * ids of stored runs stay valid; any other value enters the identity and makes a new run.
 */
const addedSettingDefaults: { part: 'data' | 'model' | 'training'; key: string; value: unknown; modelKind?: string }[] = [
  { part: 'data', key: 'pixelShuffle', value: 'none' },
  { part: 'model', key: 'kernelSize', value: 3, modelKind: 'cnn' },
  { part: 'model', key: 'padding', value: 'same', modelKind: 'cnn' },
  { part: 'model', key: 'pooling', value: 'max', modelKind: 'cnn' },
  { part: 'training', key: 'schedule', value: { kind: 'constant' } },
  { part: 'training', key: 'weightDecay', value: 0 },
  { part: 'training', key: 'weightDecayMode', value: 'l2' },
];

/** Returns the settings that identify a run (or a bound): `settings` without the added settings at their defaults. */
export function identitySettings<T extends { data?: object; model?: object; training?: object }>(settings: T): T {
  const identity: Record<string, unknown> = { ...settings };
  for (const { part, key, value, modelKind } of addedSettingDefaults) {
    const section = identity[part] as Record<string, unknown> | undefined;
    if (section === undefined || !(key in section)) continue;
    if (modelKind !== undefined && section.kind !== modelKind) continue;
    if (JSON.stringify(section[key]) !== JSON.stringify(value)) continue;
    const { [key]: _default, ...rest } = section;
    identity[part] = rest;
  }
  return identity as T;
}

/** Applies a perturbation's changes to the baseline and validates the result like the baseline. */
function perturbedSettings(spec: StudySpec, perturbation: Perturbation, index: number): ConditionSettings {
  const { changes } = perturbation;
  // A model of another kind replaces the baseline model instead of being merged into it.
  const model =
    changes.model === undefined
      ? spec.model
      : changes.model.kind !== undefined && changes.model.kind !== spec.model.kind
        ? changes.model
        : deepMerge(spec.model, changes.model);
  const candidate = {
    name: spec.name,
    data: deepMerge(spec.data as Record<string, unknown>, changes.data ?? {}),
    model,
    training: deepMerge(spec.training as Record<string, unknown>, changes.training ?? {}),
    trainSizes: spec.trainSizes,
    seeds: spec.seeds,
  };
  const result = studySpecSchema.safeParse(candidate);
  if (!result.success) {
    const problems = describeIssues(result.error.issues, candidate, `perturbations[${index}] (${perturbation.name}) gives`);
    throw new LabError('invalid-input', `the study spec is invalid:\n  - ${problems.join('\n  - ')}`, { field: `perturbations[${index}].changes` });
  }
  return { data: result.data.data, model: result.data.model, training: result.data.training };
}

/** The baseline and every perturbation of a study, with their merged settings. */
export function studyConditions(spec: StudySpec): Condition[] {
  const baseline: Condition = { name: 'baseline', kind: 'baseline', settings: { data: spec.data, model: spec.model, training: spec.training } };
  return [baseline, ...spec.perturbations.map((perturbation, index) => ({ name: perturbation.name, kind: perturbation.kind, settings: perturbedSettings(spec, perturbation, index) }))];
}

/** Every run of a study, condition by condition, then by size and seed. */
export function planStudy(spec: StudySpec): PlannedStudyRun[] {
  const sizes = [...spec.trainSizes].sort((a, b) => a - b);
  const runs: PlannedStudyRun[] = [];
  for (const condition of studyConditions(spec)) {
    for (const trainSize of sizes) {
      for (const seed of spec.seeds) {
        const settings: RunSettings = { engineVersion, ...condition.settings, trainSize, seed };
        runs.push({ runId: hashSettings(identitySettings(settings)), condition: condition.name, kind: condition.kind, trainSize, seed, settings });
      }
    }
  }
  return runs;
}

/** The key under which a study's measure values are stored: the options that change them. */
export function measureOptionsKey(spec: StudySpec): string {
  return `noise=${spec.measures.noise}`;
}

/** A study's id: its name in lower case with runs of other characters replaced by "-". */
export function studyId(spec: StudySpec): string {
  return spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'study';
}
