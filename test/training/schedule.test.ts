// Learning-rate schedules, weight decay, and the exponential schedule that replaces weight decay
// on a scale-invariant network (Li and Arora 2020).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../main/models/build.js';
import { initBackend } from '../../main/tf/backend.js';
import { equivalentGrowthRoot, learningRateAt } from '../../main/training/schedule.js';
import { train, type TrainingSettings } from '../../main/training/train.js';
import { LabError } from '../../main/util/errors.js';

before(async () => {
  await initBackend('cpu');
});

const base: TrainingSettings = { optimizer: 'sgd', learningRate: 0.1, momentum: 0, batchSize: 16, maxEpochs: 3, stopAtTrainAccuracy: 1.01, stopAtTrainLoss: null };

function toyData(count: number): { x: tf.Tensor; y: Int32Array } {
  const x = tf.randomUniform([count, 4, 4, 1], 0, 1, 'float32', 11);
  const y = Int32Array.from({ length: count }, (_, i) => (i * 7) % 2);
  return { x, y };
}

/** Learning rates that `train` used, one per step. */
async function recordedRates(settings: TrainingSettings, count: number): Promise<number[]> {
  const model = buildModel({ kind: 'fcn', hiddenWidths: [8], weightVariance: 2, biasStd: 0.1 }, [4, 4, 1], 1, 0);
  const data = toyData(count);
  const rates: number[] = [];
  try {
    await train(model, { ...data, task: 'binary', outputCount: 1 }, settings, 0, { onStep: (step, rate) => rates.push(rate) });
    return rates;
  } finally {
    data.x.dispose();
    model.dispose();
  }
}

test('step schedule drops every N epochs', async () => {
  // 40 examples in batches of 16: 3 steps per epoch, 4 epochs.
  const rates = await recordedRates({ ...base, maxEpochs: 4, schedule: { kind: 'step', everyEpochs: 2, factor: 0.5 } }, 40);
  assert.equal(rates.length, 12);
  assert.deepEqual(rates.slice(0, 6), [0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
  assert.deepEqual(rates.slice(6), [0.05, 0.05, 0.05, 0.05, 0.05, 0.05]);
});

test('exponential schedule changes every step', async () => {
  const rates = await recordedRates({ ...base, optimizer: 'adam', learningRate: 0.01, maxEpochs: 2, schedule: { kind: 'exponential', factorPerEpoch: 0.5 } }, 32);
  assert.equal(rates.length, 4);
  rates.forEach((rate, step) => assert.ok(Math.abs(rate - 0.01 * 0.5 ** (step / 2)) < 1e-15, `step ${step}: ${rate}`));
});

test('constant schedule keeps the rate', () => {
  for (const step of [0, 5, 1000]) assert.equal(learningRateAt({ learningRate: 0.3, schedule: { kind: 'constant' }, momentum: 0, weightDecay: 0 }, step, 10), 0.3);
});

test('equivalent schedule grows by alpha^-2 per step', () => {
  const input = { learningRate: 0.1, schedule: { kind: 'exponential-equivalent' as const }, momentum: 0.9, weightDecay: 5e-4 };
  const alpha = equivalentGrowthRoot(0.1, 0.9, 5e-4);
  // alpha solves alpha^2 - (1 + gamma - eta lambda) alpha + gamma = 0.
  assert.ok(Math.abs(alpha * alpha - (1 + 0.9 - 0.1 * 5e-4) * alpha + 0.9) < 1e-14);
  assert.ok(alpha < 1, `alpha ${alpha}`);
  assert.ok(alpha > 0.99, `alpha ${alpha}`);
  assert.ok(Math.abs(learningRateAt(input, 0, 10) - 0.1 / alpha) < 1e-15);
  assert.ok(Math.abs(learningRateAt(input, 7, 10) / learningRateAt(input, 6, 10) - alpha ** -2) < 1e-12);
  assert.equal(equivalentGrowthRoot(0.1, 0, 0.5), 1 - 0.1 * 0.5);
  assert.throws(() => equivalentGrowthRoot(1, 0.9, 0.5), LabError);
});

test('decoupled and L2 weight decay agree for plain SGD', async () => {
  const weights: Float32Array[] = [];
  for (const mode of ['l2', 'decoupled'] as const) {
    const model = buildModel({ kind: 'fcn', hiddenWidths: [8], weightVariance: 2, biasStd: 0.1 }, [4, 4, 1], 1, 3);
    const data = toyData(32);
    await train(model, { ...data, task: 'binary', outputCount: 1 }, { ...base, maxEpochs: 2, weightDecay: 0.05, weightDecayMode: mode }, 0);
    weights.push((await model.getLayer('dense_1').weights[0]!.read().data()) as Float32Array);
    data.x.dispose();
    model.dispose();
  }
  const largest = weights[0]!.reduce((most, value, i) => Math.max(most, Math.abs(value - weights[1]![i]!)), 0);
  assert.ok(largest < 1e-6, `weights differ by ${largest}`);
});

test('weight decay shrinks the weights', async () => {
  const norms: number[] = [];
  for (const weightDecay of [0, 0.5]) {
    const model = buildModel({ kind: 'fcn', hiddenWidths: [8], weightVariance: 2, biasStd: 0.1 }, [4, 4, 1], 1, 3);
    const data = toyData(32);
    await train(model, { ...data, task: 'binary', outputCount: 1 }, { ...base, weightDecay }, 0);
    norms.push(tf.tidy(() => tf.norm(model.getLayer('dense_1').weights[0]!.read()).dataSync()[0]!));
    data.x.dispose();
    model.dispose();
  }
  assert.ok(norms[1]! < norms[0]!, `norm with decay ${norms[1]} vs without ${norms[0]}`);
});

test('exponential schedule equals weight decay on a scale-invariant network', async () => {
  const settings = { kind: 'scale-invariant-fcn' as const, hiddenWidths: [16, 16], weightVariance: 2, batchNormEpsilon: 1e-8, batchNormMomentum: 0.9, batchNormPosition: 'before-activation' as const };
  const training: TrainingSettings = { ...base, learningRate: 0.05, momentum: 0.9, maxEpochs: 3, weightDecay: 0.05 };
  const data = toyData(48);
  const runs: { outputs: Float32Array; norm: number }[] = [];
  for (const schedule of [{ kind: 'constant' as const }, { kind: 'exponential-equivalent' as const }]) {
    const model = buildModel(settings, [4, 4, 1], 1, 5);
    await train(model, { ...data, task: 'binary', outputCount: 1 }, { ...training, schedule }, 0);
    const outputs = tf.tidy(() => (model.apply(data.x, { training: true }) as tf.Tensor).dataSync() as Float32Array);
    const norm = tf.tidy(() => tf.norm(model.getLayer('dense_1').weights[0]!.read()).dataSync()[0]!);
    runs.push({ outputs, norm });
    model.dispose();
  }
  data.x.dispose();
  // 48 examples in batches of 16 for 3 epochs: t = 9 steps, so w~_9 = alpha^-9 w_9.
  const alpha = equivalentGrowthRoot(0.05, 0.9, 0.05);
  const [withDecay, exponential] = runs as [(typeof runs)[number], (typeof runs)[number]];
  assert.ok(Math.abs(exponential.norm / withDecay.norm - alpha ** -9) < 1e-4 * alpha ** -9, `norm ratio ${exponential.norm / withDecay.norm}, expected ${alpha ** -9}`);
  const largest = withDecay.outputs.reduce((most, value, i) => Math.max(most, Math.abs(value - exponential.outputs[i]!) / Math.max(1, Math.abs(value))), 0);
  assert.ok(largest < 1e-4, `outputs differ by ${largest}`);
});
