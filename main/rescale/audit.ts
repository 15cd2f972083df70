/**
 * The scale-invariance audit of a stored run. Its trained network is loaded from the weights
 * table and rescaled by c (apply.ts). The audit checks that the outputs on the run's test set are
 * unchanged and measures the network again on its training set, beside what the definitions
 * predict (predict.ts).
 * A measure that changes under a rescaling that leaves the function unchanged measures the
 * parameterisation, not the function.
 */
import * as tf from '@tensorflow/tfjs';
import { Store } from '../../db/store.js';
import { loadDataset } from '../data/datasets.js';
import { buildTaskData, type TaskData } from '../data/tasks.js';
import { computeMeasures } from '../measures/compute.js';
import { postTrainingMeasureIds } from '../measures/registry.js';
import type { MeasureReport, MeasureValue } from '../measures/types.js';
import { Unavailable } from '../measures/unavailable.js';
import { extractFoldedNetwork } from '../measures/weights.js';
import { buildModel } from '../models/build.js';
import { deserializeLayersModel } from '../models/layersModel.js';
import type { RunSettings } from '../studies/plan.js';
import { loadStoredStudy } from '../studies/results.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { applyRescale, type RescaledLayer } from './apply.js';
import { layerFactors, predictMeasures } from './predict.js';

const log = createLogger('rescale');

export interface RescaleInput {
  dbPath: string;
  /** The run id, or a unique prefix of it (8 hexadecimal digits at least). */
  runId: string;
  /** c > 0. */
  factor: number;
  /** Measures to compare; default: those the run's study asked for. */
  measureIds?: readonly string[];
  /** Largest relative logit difference that counts as unchanged (default 1e-5). */
  tolerance?: number;
}

export interface RescaleMeasureRow {
  id: string;
  before: number | null;
  after: number | null;
  /** after / before, or null when either is missing or before is 0. */
  ratio: number | null;
  predicted: number | null;
  /** predicted / before. */
  predictedRatio: number | null;
  /** The rule the prediction follows from the definitions, or the reason there is none. */
  rule: string;
  missingReason: string | null;
}

export interface RescaleReport {
  runId: string;
  factor: number;
  /** Training examples the measures used. */
  m: number;
  testCount: number;
  /**
   * max_i |b_i - a_i| / max(|a_i|, rms(a)) over the test logits a (before) and b (after): a logit
   * smaller than the root mean square of all logits is compared at that scale, so that float32
   * rounding near zero does not count as a change.
   */
  maxRelativeLogitDifference: number;
  maxAbsoluteLogitDifference: number;
  /** Largest relative change of a normalised unit that BatchNorm's epsilon explains. */
  epsilonRelativeChange: number;
  tolerance: number;
  outputsUnchanged: boolean;
  rescaled: RescaledLayer[];
  skipped: { batchNorm: string; reason: string }[];
  /** Per weight layer after folding: the predicted factor s_i and fro_i (and spec_i when computed) before and after. */
  layers: RescaleLayerRow[];
  measures: RescaleMeasureRow[];
}

export interface RescaleLayerRow {
  name: string;
  /** s_i: c when the layer's scale survives folding, else 1; fro_i and spec_i scale by s_i^2. */
  predictedScale: number;
  froBefore: number;
  froAfter: number | null;
  specBefore: number | null;
  specAfter: number | null;
}

export const defaultTolerance = 1e-5;

/** Finds a run by its id or a unique prefix. */
function resolveRunId(store: Store, requested: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(requested)) {
    throw new LabError('invalid-input', `--run is "${requested}"; give a run id (8 to 64 hexadecimal digits, as "fragility-lab table" and the app show them)`, { field: 'runId' });
  }
  if (requested.length === 64) return requested;
  const matches = new Set<string>();
  for (const study of store.listStudies()) for (const run of store.studyRuns(study.id)) if (run.id.startsWith(requested)) matches.add(run.id);
  if (matches.size === 1) return [...matches][0]!;
  if (matches.size === 0) throw new LabError('not-found', `No run id in ${store.path} starts with ${requested}`, { field: 'runId' });
  throw new LabError('invalid-input', `${matches.size} runs in ${store.path} start with ${requested}; give more digits`, { field: 'runId' });
}

/** Rebuilds a run's training and test arrays as the worker built them. */
function taskDataOf(settings: RunSettings): TaskData {
  const dataset = loadDataset(settings.data.dataset, settings.data.source);
  return buildTaskData(dataset, {
    task: settings.data.task,
    trainSize: settings.trainSize,
    dataSeed: settings.seed,
    labelNoise: settings.data.labelNoise,
    pixelShuffle: settings.data.pixelShuffle ?? 'none',
    ...(settings.data.testSize === undefined ? {} : { testSize: settings.data.testSize }),
  });
}

/** Logits of `model` on `x` in inference mode, [n * outputs]. */
async function logitsOf(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const output = model.predict(x, { batchSize: 256 }) as tf.Tensor;
  try {
    return (await output.data()) as Float32Array;
  } finally {
    output.dispose();
  }
}

/** Computes the largest absolute and relative logit differences (see `RescaleReport`). */
export function compareLogits(before: Float32Array, after: Float32Array): { absolute: number; relative: number } {
  let squares = 0;
  for (const value of before) squares += value * value;
  const rms = Math.sqrt(squares / Math.max(1, before.length));
  let absolute = 0;
  let relative = 0;
  for (let i = 0; i < before.length; i++) {
    const difference = Math.abs(after[i]! - before[i]!);
    absolute = Math.max(absolute, difference);
    const scale = Math.max(Math.abs(before[i]!), rms);
    if (scale > 0) relative = Math.max(relative, difference / scale);
    else if (difference > 0) relative = Infinity;
  }
  return { absolute, relative };
}

interface StoredRun {
  runId: string;
  settings: RunSettings;
  weights: { modelJson: string; weightData: Uint8Array };
  epochs: number | null;
  measureIds: string[];
  noise: 'stated' | 'reference';
}

function readStoredRun(input: RescaleInput): StoredRun {
  const store = Store.open(input.dbPath, { readonly: true });
  try {
    const runId = resolveRunId(store, input.runId);
    const run = store.getRun(runId);
    if (run === undefined) throw new LabError('not-found', `Run ${runId} does not exist in ${store.path}`, { field: 'runId' });
    const weights = store.weights(runId);
    if (weights === undefined) {
      throw new LabError('not-found', `Run ${runId.slice(0, 12)} has no stored weights (its status is ${run.status}; diverged, failed and unfinished runs keep none); choose a finished run`, { field: 'runId' });
    }
    const link = store.runLinks(runId)[0];
    const spec = link === undefined ? undefined : loadStoredStudy(store, link.studyId).spec;
    const studyIds = spec?.measures.ids ?? postTrainingMeasureIds.filter((id) => id !== 'epochs_to_fit');
    const measureIds = (input.measureIds ?? studyIds).filter((id) => id !== 'marginal_likelihood_bound');
    return { runId, settings: JSON.parse(run.settingsJson) as RunSettings, weights, epochs: run.epochs, measureIds, noise: spec?.measures.noise ?? 'stated' };
  } finally {
    store.close();
  }
}

/** The reason a measure is missing before or after rescaling, or null. */
function missingReasonOf(before: MeasureValue, after: MeasureValue): string | null {
  if ('missing' in before) return before.missing;
  if ('missing' in after) return after.missing;
  return null;
}

function rows(before: MeasureReport, after: MeasureReport, predictions: ReturnType<typeof predictMeasures>): RescaleMeasureRow[] {
  return Object.keys(before.values).map((id) => {
    const a = before.values[id]!;
    const b = after.values[id] ?? { missing: 'not computed' };
    const valueBefore = 'missing' in a ? null : a.raw;
    const valueAfter = 'missing' in b ? null : b.raw;
    const prediction = predictions[id] ?? { value: null, rule: 'no prediction' };
    const ratio = (numerator: number | null) => (numerator === null || valueBefore === null || valueBefore === 0 ? null : numerator / valueBefore);
    return {
      id,
      before: valueBefore,
      after: valueAfter,
      ratio: ratio(valueAfter),
      predicted: prediction.value,
      predictedRatio: ratio(prediction.value),
      rule: prediction.rule,
      missingReason: missingReasonOf(a, b),
    };
  });
}

/** Runs the audit on a stored run; the caller has initialised the TensorFlow.js backend. */
export async function rescaleStoredRun(input: RescaleInput): Promise<RescaleReport> {
  const tolerance = input.tolerance ?? defaultTolerance;
  if (!(tolerance >= 0)) throw new LabError('invalid-input', `tolerance is ${tolerance}; it must be >= 0`, { field: 'tolerance' });
  const stored = readStoredRun(input);
  const { settings } = stored;
  log.info(`rescaling run ${stored.runId.slice(0, 12)} by ${input.factor}`);

  const data = taskDataOf(settings);
  const model = await deserializeLayersModel(stored.weights);
  const rescaledModel = await deserializeLayersModel(stored.weights);
  const initModel = buildModel(settings.model, data.inputShape, data.outputCount, settings.seed);
  const x = tf.tensor4d(data.train.x, [data.train.count, ...data.inputShape]);
  const xTest = tf.tensor4d(data.test.x, [data.test.count, ...data.inputShape]);
  try {
    const applied = applyRescale(rescaledModel, input.factor);
    const difference = compareLogits(await logitsOf(model, xTest), await logitsOf(rescaledModel, xTest));

    const measureInput = { x, y: data.train.y, task: settings.data.task, ids: stored.measureIds, options: { noise: stored.noise, seed: settings.seed }, initModel };
    const epochs = stored.epochs === null ? {} : { epochsToFit: stored.epochs };
    const before = await computeMeasures({ model, ...measureInput, ...epochs });
    const after = await computeMeasures({ model: rescaledModel, ...measureInput, ...epochs });

    const network = extractFoldedNetwork(model);
    const initial = extractFoldedNetwork(initModel);
    const unfolded = new Set(applied.layers.filter((layer) => !layer.folded).map((layer) => layer.name));
    const factors =
      network instanceof Unavailable
        ? { scale: [], innerWithInitial: null, initialFro: null }
        : layerFactors(network, initial instanceof Unavailable ? null : initial, unfolded, input.factor);

    return {
      runId: stored.runId,
      factor: input.factor,
      m: before.m,
      testCount: data.test.count,
      maxRelativeLogitDifference: difference.relative,
      maxAbsoluteLogitDifference: difference.absolute,
      epsilonRelativeChange: applied.epsilonRelativeChange,
      tolerance,
      outputsUnchanged: difference.relative <= tolerance,
      rescaled: applied.layers,
      skipped: applied.skipped,
      layers: (before.layers ?? []).map((layer, i) => ({
        name: layer.name,
        predictedScale: factors.scale[i] ?? 1,
        froBefore: layer.fro,
        froAfter: after.layers?.[i]?.fro ?? null,
        specBefore: layer.spec,
        specAfter: after.layers?.[i]?.spec ?? null,
      })),
      measures: rows(before, after, predictMeasures(before, factors, input.factor)),
    };
  } finally {
    model.dispose();
    rescaledModel.dispose();
    initModel.dispose();
    x.dispose();
    xTest.dispose();
  }
}
