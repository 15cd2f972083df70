/**
 * Executes one run inside a lab worker: builds its data and network, trains, evaluates on the test
 * set, computes the study's measures on the training set, and stores everything in one
 * transaction. Only the worker process calls this; hosts never train.
 */
import * as tf from '@tensorflow/tfjs';
import type { MeasureRecord, RunResult, Store } from '../../db/store.js';
import { computeMarginalLikelihoodBound, missingReasonForTask } from '../bounds/marginalLikelihood.js';
import { loadDataset } from '../data/datasets.js';
import { buildTaskData, type TaskData } from '../data/tasks.js';
import { computeMeasures } from '../measures/compute.js';
import { sizeAdjust } from '../measures/registry.js';
import { isMissing, type MeasureValue } from '../measures/types.js';
import { buildModel } from '../models/build.js';
import { serializeLayersModel } from '../models/layersModel.js';
import type { BackendInfo } from '../tf/backend.js';
import { threadBudget } from '../tf/devices.js';
import { evaluate, train, type EpochRecord, type TrainingResult } from '../training/train.js';
import { LabError } from '../util/errors.js';
import { faultPoint } from '../util/faults.js';
import { hashSettings } from '../util/hash.js';
import { createLogger } from '../util/log.js';
import { identitySettings, type RunSettings } from './plan.js';

const log = createLogger('run');

export const boundMeasureId = 'marginal_likelihood_bound';

export interface RunAssignment {
  runId: string;
  claimant: string;
  settings: RunSettings;
  measureIds: readonly string[];
  noise: 'stated' | 'reference';
  optionsKey: string;
}

export type RunPhase = 'preparing' | 'training' | 'measuring' | 'saving';

export interface RunHooks {
  onPhase?: (phase: RunPhase) => void;
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  isCancelled?: () => boolean;
}

function toRecord(measureId: string, value: MeasureValue): MeasureRecord {
  if (isMissing(value)) return { measureId, raw: null, adjusted: null, missingReason: value.missing, details: null };
  return { measureId, raw: value.raw, adjusted: value.adjusted, missingReason: null, details: value.details ?? null };
}

function missingAll(ids: readonly string[], reason: string): MeasureRecord[] {
  return ids.map((measureId) => ({ measureId, raw: null, adjusted: null, missingReason: reason, details: null }));
}

/**
 * The marginal-likelihood bound of a run's data and prior, computed once per key and shared by
 * every run with the same data, architecture and initialisation (it ignores the training settings).
 */
async function boundRecord(store: Store, settings: RunSettings, data: TaskData): Promise<MeasureRecord> {
  const { data: dataSettings, model, trainSize, seed } = settings;
  const keySettings = identitySettings({ engineVersion: settings.engineVersion, data: dataSettings, model, trainSize, seed });
  const key = hashSettings(keySettings);
  let stored = store.getBound(key);
  if (stored === undefined) {
    const taskReason = missingReasonForTask(dataSettings.task);
    let record: Parameters<Store['saveBound']>[0];
    if (taskReason !== undefined) {
      record = { key, m: trainSize, logP: null, bound: null, missingReason: taskReason, kernelKind: null, draws: null, logPStandardError: null, epSweeps: null, durationMs: null };
    } else {
      try {
        const kernel =
          model.kind === 'fcn'
            ? { kind: 'fc' as const, depth: model.hiddenWidths.length, sigmaW2: model.weightVariance, sigmaB2: model.biasStd ** 2 }
            : { kind: 'monte-carlo' as const, buildModel: (drawSeed: number) => buildModel(model, data.inputShape, data.outputCount, drawSeed), seed: seed * 1_000_003 };
        const result = await computeMarginalLikelihoodBound({ x: data.train.x, inputShape: data.inputShape, labels: data.train.y, kernel, workers: threadBudget() });
        record = {
          key,
          m: result.m,
          logP: result.logP,
          bound: result.bound,
          missingReason: null,
          kernelKind: result.kernelKind,
          draws: result.draws ?? null,
          logPStandardError: result.logPStandardError ?? null,
          epSweeps: result.epSweeps,
          durationMs: result.durationMs,
        };
      } catch (error) {
        if (!(error instanceof LabError) || error.kind === 'internal') throw error;
        record = { key, m: trainSize, logP: null, bound: null, missingReason: error.message, kernelKind: null, draws: null, logPStandardError: null, epSweeps: null, durationMs: null };
      }
    }
    store.saveBound(record, JSON.stringify(keySettings));
    stored = store.getBound(key) ?? record;
  }
  if (stored.bound === null) return { measureId: boundMeasureId, raw: null, adjusted: null, missingReason: stored.missingReason ?? 'the bound was not computed', details: null };
  return {
    measureId: boundMeasureId,
    raw: stored.bound,
    adjusted: sizeAdjust(boundMeasureId, stored.bound, trainSize),
    missingReason: null,
    details: { log_p: stored.logP, kernel: stored.kernelKind, ep_sweeps: stored.epSweeps, draws: stored.draws, log_p_standard_error: stored.logPStandardError, duration_ms: stored.durationMs },
  };
}

async function measureRun(
  assignment: RunAssignment,
  model: tf.LayersModel,
  x: tf.Tensor,
  data: TaskData,
  training: TrainingResult,
): Promise<MeasureRecord[]> {
  const { settings } = assignment;
  const postTrainingIds = assignment.measureIds.filter((id) => id !== boundMeasureId);
  const records: MeasureRecord[] = [];
  if (postTrainingIds.length > 0) {
    const initModel = buildModel(settings.model, data.inputShape, data.outputCount, settings.seed);
    try {
      const report = await computeMeasures({
        model,
        initModel,
        x,
        y: data.train.y,
        task: settings.data.task,
        ids: postTrainingIds,
        options: { noise: assignment.noise, seed: settings.seed },
        epochsToFit: training.epochs,
      });
      for (const id of postTrainingIds) records.push(toRecord(id, report.values[id] ?? { missing: 'not computed' }));
    } finally {
      initModel.dispose();
    }
  }
  return records;
}

/** Trains, measures and stores one run; returns the stored status. */
export async function executeRun(store: Store, backend: BackendInfo, assignment: RunAssignment, hooks: RunHooks = {}): Promise<RunResult['status']> {
  const { settings, runId } = assignment;
  const startedAt = new Date().toISOString();
  const started = performance.now();
  hooks.onPhase?.('preparing');

  const dataset = loadDataset(settings.data.dataset, settings.data.source);
  const data = buildTaskData(dataset, {
    task: settings.data.task,
    trainSize: settings.trainSize,
    dataSeed: settings.seed,
    labelNoise: settings.data.labelNoise,
    pixelShuffle: settings.data.pixelShuffle ?? 'none',
    ...(settings.data.testSize === undefined ? {} : { testSize: settings.data.testSize }),
  });
  const x = tf.tensor4d(data.train.x, [data.train.count, ...data.inputShape]);
  const xTest = tf.tensor4d(data.test.x, [data.test.count, ...data.inputShape]);
  const model = buildModel(settings.model, data.inputShape, data.outputCount, settings.seed);

  try {
    hooks.onPhase?.('training');
    faultPoint('out-of-memory');
    const training = await train(model, { x, y: data.train.y, task: settings.data.task, outputCount: data.outputCount }, settings.training, settings.seed, {
      onEpoch: async (record) => {
        faultPoint('training');
        await hooks.onEpoch?.(record);
      },
      ...(hooks.isCancelled === undefined ? {} : { isCancelled: hooks.isCancelled }),
    });

    faultPoint('measuring');
    hooks.onPhase?.('measuring');
    let measures: MeasureRecord[];
    let test = { loss: Number.NaN, accuracy: Number.NaN };
    let weights: RunResult['weights'];
    if (training.outcome === 'diverged') {
      const reason = `the run diverged: its training loss was ${training.train.loss} after epoch ${training.epochs}`;
      measures = missingAll(assignment.measureIds.filter((id) => id !== boundMeasureId), reason);
      log.warn(`run ${runId.slice(0, 12)} diverged at epoch ${training.epochs}`);
    } else {
      test = await evaluate(model, xTest, data.test.y, settings.data.task, data.outputCount);
      measures = await measureRun(assignment, model, x, data, training);
      const serialized = await serializeLayersModel(model);
      weights = { modelJson: serialized.modelJson, weightData: new Uint8Array(serialized.weightData) };
    }
    if (assignment.measureIds.includes(boundMeasureId)) measures.push(await boundRecord(store, settings, data));

    hooks.onPhase?.('saving');
    const result: RunResult = {
      status: training.outcome,
      backend: backend.name,
      device: backend.device,
      versions: backend.versions,
      startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: performance.now() - started,
      epochs: training.epochs,
      divergedEpoch: training.outcome === 'diverged' ? training.epochs : null,
      trainLoss: training.train.loss,
      trainError: 1 - training.train.accuracy,
      testLoss: test.loss,
      testError: Number.isNaN(test.accuracy) ? null : 1 - test.accuracy,
      noisyLabelCount: data.noisyLabelCount,
      curve: training.curve,
      optionsKey: assignment.optionsKey,
      measures,
      ...(weights === undefined ? {} : { weights }),
    };
    if (!store.saveRunResult(runId, assignment.claimant, result)) {
      log.warn(`run ${runId.slice(0, 12)} finished but another process holds it now; its result was not stored`);
    }
    return training.outcome;
  } finally {
    model.dispose();
    x.dispose();
    xTest.dispose();
  }
}
