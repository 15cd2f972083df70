/**
 * Trains one network until it fits its training set, with a seeded shuffle and one
 * synchronisation per epoch (the stopping rule needs the training accuracy and loss).
 *
 * Stopping rule, checked after every epoch on the whole training set in inference mode: the run
 * has fit when the training accuracy reaches `stopAtTrainAccuracy` (1 means 100%) or, where set,
 * the training cross-entropy falls below `stopAtTrainLoss`. A run that reaches `maxEpochs` first
 * did not fit; a run whose loss becomes NaN or infinite diverged, and the epoch is recorded.
 *
 * The learning rate is set before every step from the schedule (schedule.ts). Weight decay with
 * rate lambda acts on every trainable weight (kernels, biases, BatchNorm gamma and beta), as
 * PyTorch's `weight_decay` does: 'l2' adds lambda / 2 ||w||^2 to the minimised loss (so lambda w to
 * the gradient, before momentum or Adam's scaling); 'decoupled' shrinks each weight after the
 * optimizer's step, w <- w - eta_t lambda w (Loshchilov and Hutter 2019, "Decoupled weight decay
 * regularization"). The two are the same for plain SGD. The training loss reported per epoch is
 * the cross-entropy alone.
 */
import * as tf from '@tensorflow/tfjs';
import { applyFusedGradients } from '../tf/nativeUpdate.js';
import { LabError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { TaskKind } from '../data/tasks.js';
import { appliesWeightDecay, initialMomentumScale, learningRateAt, type LearningRateSchedule } from './schedule.js';

export interface TrainingSettings {
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  /** Momentum of SGD (0 for plain SGD); ignored by Adam. */
  momentum: number;
  batchSize: number;
  maxEpochs: number;
  /** Fit when the training accuracy reaches this fraction. */
  stopAtTrainAccuracy: number;
  /** Fit when the training cross-entropy falls below this value; null to use accuracy only. */
  stopAtTrainLoss: number | null;
  /** Learning-rate schedule, applied per step (default constant). */
  schedule?: LearningRateSchedule;
  /** lambda of the weight decay (default 0). */
  weightDecay?: number;
  /** 'l2' (in the loss, default) or 'decoupled' (after each step). */
  weightDecayMode?: 'l2' | 'decoupled';
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  durationMs: number;
}

export type TrainingOutcome = 'fit' | 'did_not_fit' | 'diverged';

export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
}

export interface TrainingResult {
  outcome: TrainingOutcome;
  /** Epochs trained (for a diverged run, the epoch in which the loss stopped being finite). */
  epochs: number;
  curve: EpochRecord[];
  train: Evaluation;
}

export interface TrainingData {
  /** [m, H, W, C] float32 */
  x: tf.Tensor;
  y: Int32Array;
  task: TaskKind;
  outputCount: number;
}

export interface TrainingHooks {
  /** Called after every epoch with its record; may be async (e.g. to yield to IPC). */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Checked between batches; training stops with a `cancelled` error when it returns true. */
  isCancelled?: () => boolean;
  /** Called before every optimizer step with the step index (from 0) and its learning rate. */
  onStep?: (step: number, learningRate: number) => void;
}

/** The cross-entropy the lab trains with: sigmoid on one logit (binary) or softmax (multiclass). */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, task: TaskKind, outputCount: number): tf.Scalar {
  return tf.tidy(() => {
    if (task === 'binary') {
      return tf.losses.sigmoidCrossEntropy(labels.reshape([-1, 1]).toFloat(), logits, undefined, undefined, tf.Reduction.MEAN) as tf.Scalar;
    }
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels.toInt(), outputCount), logits, undefined, undefined, tf.Reduction.MEAN) as tf.Scalar;
  });
}

/** Number of correct predictions: logit > 0 means class 1 (binary), else the argmax. */
export function countCorrect(logits: tf.Tensor, labels: tf.Tensor, task: TaskKind): tf.Scalar {
  return tf.tidy(() => {
    const predicted = task === 'binary' ? logits.reshape([-1]).greater(0).toInt() : logits.argMax(-1).toInt();
    return predicted.equal(labels.toInt()).sum() as tf.Scalar;
  });
}

const evaluationBatchSize = 2048;

/** Memory that the layer outputs of one `predict` batch may take in `evaluate`, in bytes. */
const evaluationMemoryBytes = 256 * 2 ** 20;

/**
 * Returns the batch size `evaluate` passes to `predict`: as many examples as fit the sum of their
 * layer outputs in `evaluationMemoryBytes`, from 32 (the layers API's default) to 2,048. An FCN
 * gets 2,048, so that its products are large enough to run fast; a ResNet on CIFAR-10 gets less.
 */
export function predictBatchSize(model: tf.LayersModel): number {
  let floatsPerExample = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
    for (const shape of shapes) floatsPerExample += shape.slice(1).reduce<number>((product, size) => product * (size ?? 1), 1);
  }
  const fitting = Math.floor(evaluationMemoryBytes / (Float32Array.BYTES_PER_ELEMENT * Math.max(1, floatsPerExample)));
  return Math.max(32, Math.min(evaluationBatchSize, fitting));
}

/** Mean loss and accuracy of `model` in inference mode over all examples, in batches, with one sync. */
export async function evaluate(model: tf.LayersModel, x: tf.Tensor, y: Int32Array | tf.Tensor, task: TaskKind, outputCount: number): Promise<Evaluation> {
  const count = x.shape[0]!;
  const labels = y instanceof tf.Tensor ? y : tf.tensor1d(y, 'int32');
  const batchSize = predictBatchSize(model);
  const totals = tf.tidy(() => {
    let lossSum: tf.Tensor = tf.scalar(0);
    let correct: tf.Tensor = tf.scalar(0, 'int32');
    for (let start = 0; start < count; start += evaluationBatchSize) {
      const size = Math.min(evaluationBatchSize, count - start);
      const xb = x.slice(start, size);
      const yb = labels.slice(start, size);
      const logits = model.predict(xb, { batchSize }) as tf.Tensor;
      lossSum = lossSum.add(crossEntropy(logits, yb, task, outputCount).mul(size));
      correct = correct.add(countCorrect(logits, yb, task));
    }
    return tf.stack([lossSum.div(count), correct.toFloat().div(count)]);
  });
  if (!(y instanceof tf.Tensor)) labels.dispose();
  const [loss, accuracy] = await totals.data();
  totals.dispose();
  return { loss: loss!, accuracy: accuracy! };
}

export function makeOptimizer(settings: TrainingSettings): tf.Optimizer {
  if (settings.optimizer === 'adam') return tf.train.adam(settings.learningRate);
  if (settings.momentum > 0) return tf.train.momentum(settings.learningRate, settings.momentum);
  return tf.train.sgd(settings.learningRate);
}

/**
 * Sets the learning rate of the next step. SGD and momentum keep it in a scalar that
 * `setLearningRate` replaces; Adam reads its `learningRate` field at every step (TF.js 4.22).
 */
function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  // Not `instanceof tf.SGDOptimizer`: TF.js's Optimizer overrides Symbol.hasInstance with a duck
  // type check that every optimizer passes.
  const state = optimizer as unknown as { learningRate: number; setLearningRate?: (rate: number) => void };
  if (state.learningRate === learningRate) return;
  if (typeof state.setLearningRate === 'function') state.setLearningRate(learningRate);
  else state.learningRate = learningRate;
}

/** Seeds the momentum buffers with `scale` x the current weights (the exponential-equivalent schedule). */
async function seedMomentum(optimizer: tf.Optimizer, variables: tf.Variable[], scale: number): Promise<void> {
  const buffers = variables.map((variable) => ({ name: `${variable.name}/momentum`, tensor: tf.mul(variable, scale) }));
  const iterations = { name: 'iter', tensor: tf.scalar(0, 'int32') };
  await optimizer.setWeights([iterations, ...buffers]);
  tf.dispose([iterations.tensor, ...buffers.map((buffer) => buffer.tensor)]);
}

/** (lambda / 2) sum ||w||^2 over `variables`. */
function l2Penalty(variables: readonly tf.Variable[], weightDecay: number): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.addN(variables.map((variable) => tf.sum(tf.square(variable)))), weightDecay / 2) as tf.Scalar);
}

/** Trains `model` in place on `data` with the run's `seed` driving the shuffle. */
export async function train(model: tf.LayersModel, data: TrainingData, settings: TrainingSettings, seed: number, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const count = data.x.shape[0]!;
  const batchSize = Math.min(settings.batchSize, count);
  const stepsPerEpoch = Math.ceil(count / batchSize);
  const optimizer = makeOptimizer(settings);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const labels = tf.tensor1d(data.y, 'int32');
  const shuffle = new Rng(seed, 'shuffle');
  const curve: EpochRecord[] = [];
  let last: Evaluation = { loss: Number.NaN, accuracy: 0 };
  const scheduleInput = { learningRate: settings.learningRate, schedule: settings.schedule ?? { kind: 'constant' as const }, momentum: settings.optimizer === 'sgd' ? settings.momentum : 0, weightDecay: settings.weightDecay ?? 0 };
  const decayMode = appliesWeightDecay(scheduleInput) ? (settings.weightDecayMode ?? 'l2') : null;
  const weightDecay = scheduleInput.weightDecay;
  let step = 0;

  try {
    const momentumScale = initialMomentumScale(scheduleInput);
    if (momentumScale !== 0 && variables.length > 0) await seedMomentum(optimizer, variables, momentumScale);
    for (let epoch = 1; epoch <= settings.maxEpochs; epoch++) {
      const started = performance.now();
      const order = shuffle.permutation(count);
      for (let start = 0; start < count; start += batchSize) {
        if (hooks.isCancelled?.()) throw new LabError('cancelled', 'Training was cancelled');
        const end = Math.min(start + batchSize, count);
        const learningRate = learningRateAt(scheduleInput, step, stepsPerEpoch);
        hooks.onStep?.(step, learningRate);
        setLearningRate(optimizer, learningRate);
        tf.tidy(() => {
          const batch = tf.tensor1d(order.subarray(start, end), 'int32');
          const xb = tf.gather(data.x, batch);
          const yb = tf.gather(labels, batch);
          const { grads } = optimizer.computeGradients(() => {
            const loss = crossEntropy(model.apply(xb, { training: true }) as tf.Tensor, yb, data.task, data.outputCount);
            return decayMode === 'l2' && variables.length > 0 ? tf.add(loss, l2Penalty(variables, weightDecay)) : loss;
          }, variables);
          // Decoupled decay shrinks the weights before the step, at the point the gradients were
          // taken, as PyTorch's AdamW does. For plain SGD this equals the 'l2' update exactly.
          if (decayMode === 'decoupled') {
            for (const variable of variables) variable.assign(tf.mul(variable, 1 - learningRate * weightDecay));
          }
          const gradients = variables.map((variable) => ({ name: variable.name, tensor: grads[variable.name]! }));
          if (!applyFusedGradients(optimizer, gradients)) optimizer.applyGradients(gradients);
        });
        step++;
      }

      last = await evaluate(model, data.x, labels, data.task, data.outputCount);
      const record: EpochRecord = { epoch, trainLoss: last.loss, trainAccuracy: last.accuracy, durationMs: performance.now() - started };
      curve.push(record);
      await hooks.onEpoch?.(record);

      if (!Number.isFinite(last.loss)) return { outcome: 'diverged', epochs: epoch, curve, train: last };
      const fitByAccuracy = last.accuracy >= settings.stopAtTrainAccuracy;
      const fitByLoss = settings.stopAtTrainLoss !== null && last.loss < settings.stopAtTrainLoss;
      if (fitByAccuracy || fitByLoss) return { outcome: 'fit', epochs: epoch, curve, train: last };
    }
    return { outcome: 'did_not_fit', epochs: settings.maxEpochs, curve, train: last };
  } finally {
    labels.dispose();
    optimizer.dispose();
  }
}
