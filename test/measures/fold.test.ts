// BatchNorm folding: the folded network computes the same function, and only foldable layers fold.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { foldBatchNormIntoKernel, layerGraph, planBatchNormFolding } from '../../main/measures/fold.js';
import type { LayerNode } from '../../main/measures/fold.js';
import { buildFoldedModel } from '../../main/measures/foldedModel.js';
import { computePathNorm } from '../../main/measures/pathNorm.js';
import { extractFoldedNetwork } from '../../main/measures/weights.js';
import type { FoldedNetwork } from '../../main/measures/weights.js';
import { initBackend } from '../../main/tf/backend.js';
import { assertClose } from './fixtureCases.js';

before(async () => {
  await initBackend('cpu');
});

/** Sets every weight of the model to seeded random values, moving variances positive. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((variable, i) => {
    const positive = variable.originalName.endsWith('moving_variance');
    const value = tf.randomUniform(variable.shape as number[], positive ? 0.5 : -1, positive ? 2 : 1, 'float32', seed + i);
    variable.write(value);
    value.dispose();
  });
}

function maxDifference(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor))).dataSync()[0]!);
}

test('fold of one channel', () => {
  const kernel = Float64Array.from([1, 2, 3, 4]); // [in 2, out 2]
  const folded = foldBatchNormIntoKernel(kernel, Float64Array.from([1, -1]), {
    name: 'bn',
    gamma: Float64Array.from([2, 1]),
    beta: Float64Array.from([0.5, 0]),
    movingMean: Float64Array.from([3, 1]),
    movingVariance: Float64Array.from([3.999, 0.999]),
    epsilon: 0.001,
  });
  assert.deepEqual(Array.from(folded.kernel), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(folded.bias), [0.5 + 1 * (1 - 3), -1 - 1]);
});

test('folded network computes the same function', async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, padding: 'same', useBias: false, name: 'conv' }),
      tf.layers.batchNormalization({ name: 'bn_conv', center: false }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, name: 'hidden' }),
      tf.layers.batchNormalization({ name: 'bn_hidden' }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.batchNormalization({ name: 'bn_after_relu' }),
      tf.layers.dense({ units: 4, activation: 'relu', name: 'relu_dense' }),
      tf.layers.batchNormalization({ name: 'bn_after_relu_dense' }),
      tf.layers.dense({ units: 3, name: 'logits' }),
    ],
  });
  randomizeWeights(model, 11);
  const network = extractFoldedNetwork(model) as FoldedNetwork;
  assert.deepEqual([...network.plan.folds], [['bn_conv', 'conv'], ['bn_hidden', 'hidden']]);
  assert.deepEqual(network.plan.leftInPlace, ['bn_after_relu', 'bn_after_relu_dense']);
  assert.ok(network.weightLayers[0]!.bias !== null, 'a folded layer without bias gets one');
  const folded = await buildFoldedModel(network);
  const x = tf.randomUniform([8, 6, 6, 2], -1, 1, 'float32', 3);
  try {
    assert.deepEqual(folded.layers.map((layer) => layer.name).filter((name) => name.startsWith('bn')), ['bn_after_relu', 'bn_after_relu_dense']);
    assert.ok(maxDifference(model, folded, x) < 1e-5, 'folded outputs equal the original outputs');
  } finally {
    x.dispose();
    folded.dispose();
    model.dispose();
  }
});

test('BatchNorm on another axis stays in place', () => {
  const model = tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 1, name: 'conv' }), tf.layers.batchNormalization({ axis: 1, name: 'bn_rows' }), tf.layers.flatten(), tf.layers.dense({ units: 2 })],
  });
  try {
    const plan = planBatchNormFolding(layerGraph(model) as LayerNode[]);
    assert.deepEqual([...plan.folds], []);
    assert.deepEqual(plan.leftInPlace, ['bn_rows']);
  } finally {
    model.dispose();
  }
});

test('path norm enumerates every path', async () => {
  // A 3-4-2 ReLU network with biases: the sum over input paths of the product of squared weights,
  // plus the paths that start at a bias, equals the squared network's output on ones.
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', name: 'hidden' }), tf.layers.dense({ units: 2, name: 'out' })] });
  randomizeWeights(model, 5);
  const network = extractFoldedNetwork(model) as FoldedNetwork;
  const [hidden, out] = network.weightLayers as [FoldedNetwork['weightLayers'][number], FoldedNetwork['weightLayers'][number]];
  let expected = 0;
  for (let k = 0; k < 2; k++) {
    expected += out.bias![k]! ** 2;
    for (let j = 0; j < 4; j++) {
      let incoming = hidden.bias![j]! ** 2;
      for (let i = 0; i < 3; i++) incoming += hidden.kernel[i * 4 + j]! ** 2;
      expected += incoming * out.kernel[j * 2 + k]! ** 2;
    }
  }
  assertClose((await computePathNorm(network)) as number, expected, { relative: 1e-6 }, 'path norm');
  model.dispose();
});
