// The scale-invariant FCN: BatchNorm without affine parameters trains in TF.js 4.22, the readout is
// frozen, and the trained function does not change when a hidden kernel is multiplied by c.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, countParameters, type ScaleInvariantFcnSettings } from '../../main/models/build.js';
import { deserializeLayersModel, serializeLayersModel } from '../../main/models/layersModel.js';
import { initBackend } from '../../main/tf/backend.js';
import { train } from '../../main/training/train.js';

before(async () => {
  await initBackend('wasm');
});

const settings = (position: ScaleInvariantFcnSettings['batchNormPosition']): ScaleInvariantFcnSettings => ({
  kind: 'scale-invariant-fcn',
  hiddenWidths: [24, 24],
  weightVariance: 2,
  batchNormEpsilon: 1e-8,
  batchNormMomentum: 0.9,
  batchNormPosition: position,
});

/** 96 examples of 8x8 inputs in [0, 1] whose label is whether the left half is brighter. */
function toyData(): { x: tf.Tensor; y: Int32Array } {
  const x = tf.randomUniform([96, 8, 8, 1], 0, 1, 'float32', 5);
  const left = tf.tidy(() => tf.sum(tf.slice(x, [0, 0, 0, 0], [96, 8, 4, 1]), [1, 2, 3]));
  const right = tf.tidy(() => tf.sum(tf.slice(x, [0, 0, 4, 0], [96, 8, 4, 1]), [1, 2, 3]));
  const y = Int32Array.from(tf.tidy(() => tf.greater(left, right).toInt()).dataSync());
  tf.dispose([left, right]);
  return { x, y };
}

function scaleKernel(model: tf.LayersModel, layerName: string, factor: number): void {
  const variable = model.getLayer(layerName).weights[0]!;
  const scaled = tf.tidy(() => tf.mul(variable.read(), factor));
  variable.write(scaled);
  scaled.dispose();
}

function largestRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.maximum(tf.abs(a), 1e-3))).dataSync()[0]!);
}

test('affine-free BatchNorm trains and freezes the readout', async () => {
  const model = buildModel(settings('before-activation'), [8, 8, 1], 1, 0);
  const data = toyData();
  try {
    const readoutBefore = await model.getLayer('logits').weights[0]!.read().data();
    // Trainable: the two hidden kernels only; the BatchNorm layers have no gamma or beta.
    assert.equal(countParameters(model), 64 * 24 + 24 * 24);
    assert.deepEqual(
      model.getLayer('bn_1').weights.map((variable) => variable.originalName.split('/').pop()),
      ['moving_mean', 'moving_variance'],
    );
    const result = await train(model, { x: data.x, y: data.y, task: 'binary', outputCount: 1 }, { optimizer: 'sgd', learningRate: 0.5, momentum: 0.9, batchSize: 32, maxEpochs: 6, stopAtTrainAccuracy: 1, stopAtTrainLoss: null }, 0);
    assert.ok(result.train.accuracy > 0.8, `training accuracy ${result.train.accuracy}`);
    assert.deepEqual(await model.getLayer('logits').weights[0]!.read().data(), readoutBefore);
    const movingVariance = await model.getLayer('bn_1').weights[1]!.read().data();
    assert.ok(movingVariance.some((value) => Math.abs(value - 1) > 1e-3), 'the moving variance was updated');
  } finally {
    data.x.dispose();
    model.dispose();
  }
});

test('trained function is scale invariant', async () => {
  for (const position of ['before-activation', 'after-activation'] as const) {
    const model = buildModel(settings(position), [8, 8, 1], 1, 1);
    const data = toyData();
    await train(model, { x: data.x, y: data.y, task: 'binary', outputCount: 1 }, { optimizer: 'sgd', learningRate: 0.2, momentum: 0.9, batchSize: 32, maxEpochs: 3, stopAtTrainAccuracy: 1, stopAtTrainLoss: null }, 1);
    // With batch statistics (training mode), scaling any hidden kernel leaves the outputs unchanged.
    const outputsBefore = model.apply(data.x, { training: true }) as tf.Tensor;
    scaleKernel(model, 'dense_1', 7);
    scaleKernel(model, 'dense_2', 0.25);
    const outputsAfter = model.apply(data.x, { training: true }) as tf.Tensor;
    const difference = largestRelativeDifference(outputsBefore, outputsAfter);
    assert.ok(difference < 1e-4, `${position}: outputs changed by ${difference} (relative)`);
    tf.dispose([outputsBefore, outputsAfter, data.x]);
    model.dispose();
  }
});

test('stored network loads as a plain BatchNormalization', async () => {
  const model = buildModel(settings('after-activation'), [8, 8, 1], 1, 2);
  const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 9);
  const loaded = await deserializeLayersModel(await serializeLayersModel(model));
  try {
    const config = loaded.getLayer('bn_1').getConfig() as { center?: boolean; scale?: boolean };
    assert.equal(loaded.getLayer('bn_1').getClassName(), 'BatchNormalization');
    assert.equal(config.center, false);
    assert.equal(config.scale, false);
    assert.equal(loaded.getLayer('logits').trainable, false);
    assert.ok(largestRelativeDifference(model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor) < 1e-6);
  } finally {
    x.dispose();
    model.dispose();
    loaded.dispose();
  }
});
