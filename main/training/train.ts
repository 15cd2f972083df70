/**
 * Trains one network until it fits its training set, with a seeded shuffle and one
 * synchronisation per epoch (the stopping rule needs the training accuracy and loss).
 *
 * Stopping rule, checked after every epoch on the whole training set in inference mode: the run
 * has fit when the training accuracy reaches `stopAtTrainAccuracy` (1 means 100%) or, where set,
 * the training cross-entropy falls below `stopAtTrainLoss`. A run that reaches `maxEpochs` first
 * did not fit; a run whose loss becomes NaN or infinite diverged, and the epoch is recorded.
 */
import * as tf from '@tensorflow/tfjs';
import { LabError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { TaskKind } from '../data/tasks.js';

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

/** Mean loss and accuracy of `model` in inference mode over all examples, in batches, with one sync. */
export async function evaluate(model: tf.LayersModel, x: tf.Tensor, y: Int32Array | tf.Tensor, task: TaskKind, outputCount: number): Promise<Evaluation> {
  const count = x.shape[0]!;
  const labels = y instanceof tf.Tensor ? y : tf.tensor1d(y, 'int32');
  const totals = tf.tidy(() => {
    let lossSum: tf.Tensor = tf.scalar(0);
    let correct: tf.Tensor = tf.scalar(0, 'int32');
    for (let start = 0; start < count; start += evaluationBatchSize) {
      const size = Math.min(evaluationBatchSize, count - start);
      const xb = x.slice(start, size);
      const yb = labels.slice(start, size);
      const logits = model.predict(xb) as tf.Tensor;
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

/** Trains `model` in place on `data` with the run's `seed` driving the shuffle. */
export async function train(model: tf.LayersModel, data: TrainingData, settings: TrainingSettings, seed: number, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const count = data.x.shape[0]!;
  const batchSize = Math.min(settings.batchSize, count);
  const optimizer = makeOptimizer(settings);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const labels = tf.tensor1d(data.y, 'int32');
  const shuffle = new Rng(seed, 'shuffle');
  const curve: EpochRecord[] = [];
  let last: Evaluation = { loss: Number.NaN, accuracy: 0 };

  try {
    for (let epoch = 1; epoch <= settings.maxEpochs; epoch++) {
      const started = performance.now();
      const order = shuffle.permutation(count);
      for (let start = 0; start < count; start += batchSize) {
        if (hooks.isCancelled?.()) throw new LabError('cancelled', 'Training was cancelled');
        const end = Math.min(start + batchSize, count);
        tf.tidy(() => {
          const batch = tf.tensor1d(order.subarray(start, end), 'int32');
          const xb = tf.gather(data.x, batch);
          const yb = tf.gather(labels, batch);
          optimizer.minimize(() => crossEntropy(model.apply(xb, { training: true }) as tf.Tensor, yb, data.task, data.outputCount), false, variables);
        });
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
