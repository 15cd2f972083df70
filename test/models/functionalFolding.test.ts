// BatchNorm folding of functional models (ResNets): the folded model computes the unfolded one's
// outputs, BatchNorm after an Add stays in place, and the measures and the Monte-Carlo NNGP kernel
// run on every architecture.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createInlineExecutor } from '../../main/bounds/executors.js';
import { computeMonteCarloKernel } from '../../main/bounds/monteCarloKernel.js';
import { computeMeasures } from '../../main/measures/compute.js';
import { layerGraph } from '../../main/measures/fold.js';
import { buildFoldedModel } from '../../main/measures/foldedModel.js';
import { isMissing } from '../../main/measures/types.js';
import { extractFoldedNetwork, type FoldedNetwork } from '../../main/measures/weights.js';
import { buildModel, type ModelSettings } from '../../main/models/build.js';
import { initBackend } from '../../main/tf/backend.js';

before(async () => {
  await initBackend('cpu');
});

/** Gives every BatchNorm random statistics and affine parameters, so that folding has work to do. */
function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((variable, i) => {
    const role = variable.originalName.split('/').pop()!;
    if (!['gamma', 'beta', 'moving_mean', 'moving_variance'].includes(role)) return;
    const positive = role === 'gamma' || role === 'moving_variance';
    const value = tf.randomUniform(variable.shape as number[], positive ? 0.5 : -1, positive ? 2 : 1, 'float32', seed + i);
    variable.write(value);
    value.dispose();
  });
}

function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(a)).dataSync()[0]!);
}

const narrowResNet: ModelSettings = { kind: 'resnet18', baseWidth: 4, weightVariance: 2, biasStd: 0, batchNormEpsilon: 1e-5, batchNormMomentum: 0.9 };

test('folded ResNet computes the same outputs', async () => {
  const model = buildModel(narrowResNet, [8, 8, 3], 2, 0);
  randomizeBatchNorms(model, 3);
  const network = extractFoldedNetwork(model) as FoldedNetwork;
  const folded = await buildFoldedModel(network);
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 4);
  try {
    // 17 convolutions in the main path, 3 projection shortcuts: every BatchNorm follows a convolution.
    assert.equal(network.plan.folds.size, 20);
    assert.deepEqual(network.plan.leftInPlace, []);
    assert.equal(network.weightLayers.length, 21);
    assert.equal(folded.layers.filter((layer) => layer.getClassName() === 'BatchNormalization').length, 0);
    const before = model.predict(x) as tf.Tensor;
    const after = folded.predict(x) as tf.Tensor;
    const difference = maxRelativeDifference(before, after);
    tf.dispose([before, after]);
    assert.ok(difference < 1e-5, `folded outputs differ by ${difference} (relative to the largest logit)`);
  } finally {
    x.dispose();
    folded.dispose();
    model.dispose();
  }
});

test('BatchNorm after an Add stays in place', async () => {
  const input = tf.input({ shape: [6, 6, 2] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', useBias: false, name: 'conv' }).apply(input) as tf.SymbolicTensor;
  const convBn = tf.layers.batchNormalization({ name: 'bn_conv' }).apply(conv) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([convBn, input]) as tf.SymbolicTensor;
  const sumBn = tf.layers.batchNormalization({ name: 'bn_sum' }).apply(sum) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(sumBn) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 3, name: 'logits' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  randomizeBatchNorms(model, 8);
  const network = extractFoldedNetwork(model) as FoldedNetwork;
  const folded = await buildFoldedModel(network);
  const x = tf.randomUniform([5, 6, 6, 2], -1, 1, 'float32', 2);
  try {
    assert.deepEqual([...network.plan.folds], [['bn_conv', 'conv']]);
    assert.deepEqual(network.plan.leftInPlace, ['bn_sum']);
    const before = model.predict(x) as tf.Tensor;
    const after = folded.predict(x) as tf.Tensor;
    assert.ok(maxRelativeDifference(before, after) < 1e-5);
    tf.dispose([before, after]);
  } finally {
    x.dispose();
    folded.dispose();
    model.dispose();
  }
});

test('shared layer is reported as unsupported', () => {
  const input = tf.input({ shape: [4] });
  const shared = tf.layers.dense({ units: 4, name: 'shared' });
  const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(twice) as tf.SymbolicTensor });
  try {
    const graph = layerGraph(model);
    assert.ok(!Array.isArray(graph));
    assert.match(graph.reason, /shared layer/);
  } finally {
    model.dispose();
  }
});

const architectures: { settings: ModelSettings; inputShape: number[] }[] = [
  { settings: narrowResNet, inputShape: [8, 8, 3] },
  { settings: { kind: 'resnet50', baseWidth: 2, weightVariance: 2, biasStd: 0, batchNormEpsilon: 1e-5, batchNormMomentum: 0.9 }, inputShape: [8, 8, 3] },
  { settings: { kind: 'nin', blocks: [[6, 6, 4], [6, 6, 6]], kernelSizes: [5, 3], weightVariance: 2, biasStd: 0.1 }, inputShape: [8, 8, 3] },
  { settings: { kind: 'cnn', filters: [4, 4], denseWidths: [], kernelSize: 3, padding: 'same', pooling: 'none', weightVariance: 2, biasStd: 0.1 }, inputShape: [8, 8, 1] },
  { settings: { kind: 'scale-invariant-fcn', hiddenWidths: [8, 8], weightVariance: 2, batchNormEpsilon: 1e-8, batchNormMomentum: 0.9, batchNormPosition: 'after-activation' }, inputShape: [8, 8, 1] },
];

test('every measure is defined on every architecture', async () => {
  const ids = ['params', 'param_norm', 'log_prod_of_spec', 'fro_over_spec', 'fro_dist', 'dist_spec_init', 'path_norm', 'inverse_margin', 'pacbayes_orig'];
  for (const { settings, inputShape } of architectures) {
    const model = buildModel(settings, inputShape, 1, 1);
    const initModel = buildModel(settings, inputShape, 1, 1);
    randomizeBatchNorms(model, 5);
    const x = tf.randomUniform([20, ...inputShape], 0, 1, 'float32', 6);
    const y = Int32Array.from({ length: 20 }, (_, i) => i % 2);
    try {
      const report = await computeMeasures({ model, initModel, x, y, task: 'binary', ids, options: { noise: 'stated', seed: 0, sigma: 0.01 } });
      for (const id of ids) {
        const value = report.values[id]!;
        // A random network can have a zero margin; the weight measures must all be present.
        if (id === 'inverse_margin') continue;
        assert.ok(!isMissing(value), `${settings.kind} ${id}: ${isMissing(value) ? value.missing : ''}`);
      }
    } finally {
      x.dispose();
      model.dispose();
      initModel.dispose();
    }
  }
});

test('Monte-Carlo NNGP kernel on every architecture', async () => {
  for (const { settings, inputShape } of architectures) {
    const m = 6;
    const x = new Float32Array(m * inputShape.reduce((product, size) => product * size, 1)).map((_, i) => ((i * 7919) % 101) / 101);
    const result = await computeMonteCarloKernel(x, inputShape, { kind: 'monte-carlo', buildModel: (seed) => buildModel(settings, inputShape, 1, seed), draws: 3, batches: 1 }, { executor: createInlineExecutor() });
    assert.equal(result.draws, 3);
    assert.equal(result.kernel.length, m * m);
    for (let i = 0; i < m; i++) assert.ok(result.kernel[i * m + i]! > 0, `${settings.kind}: K(x_${i}, x_${i}) = ${result.kernel[i * m + i]}`);
    assert.ok(result.kernel.every(Number.isFinite), `${settings.kind}: the kernel is finite`);
  }
});
