// The paper-scale architectures: parameter counts of the published CIFAR networks, a ResNet-50
// training step on CIFAR-shaped input, and the smaller architectures' shapes.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, countParameters, type ModelSettings } from '../../main/models/build.js';
import { initBackend } from '../../main/tf/backend.js';

before(async () => {
  // The ResNet-50 step runs on wasm with the lab's convolution gradient kernels (wasm lacks
  // Conv2DBackpropFilter). The cpu backend took over ten minutes for the same step on 2 cores.
  await initBackend('wasm');
});

const resnetDefaults = { baseWidth: 64, weightVariance: 2, biasStd: 0, batchNormEpsilon: 1e-5, batchNormMomentum: 0.9 };

/** Parameters of a convolution without bias followed by BatchNorm (gamma and beta). */
function convBn(kernel: number, inChannels: number, outChannels: number): number {
  return kernel * kernel * inChannels * outChannels + 2 * outChannels;
}

/**
 * Counts the parameters of a CIFAR ResNet from its architecture: stem 3x3 conv (3 -> 64) with BatchNorm; stages of
 * widths 64, 128, 256, 512; basic blocks (two 3x3 convs) or bottlenecks (1x1 reduce, 3x3, 1x1 to
 * 4x the width), each conv with BatchNorm; a 1x1 projection with BatchNorm where the shape
 * changes; a Dense readout with bias.
 */
function expectedResNetCount(block: 'basic' | 'bottleneck', blocksPerStage: number[], classes: number): number {
  const expansion = block === 'basic' ? 1 : 4;
  let total = convBn(3, 3, 64);
  let channels = 64;
  blocksPerStage.forEach((blocks, stage) => {
    const width = 64 * 2 ** stage;
    for (let index = 0; index < blocks; index++) {
      const out = width * expansion;
      total += block === 'basic' ? convBn(3, channels, width) + convBn(3, width, width) : convBn(1, channels, width) + convBn(3, width, width) + convBn(1, width, out);
      const strided = stage > 0 && index === 0;
      if (strided || channels !== out) total += convBn(1, channels, out);
      channels = out;
    }
  });
  return total + channels * classes + classes;
}

test('ResNet-18 parameter count', () => {
  const model = buildModel({ kind: 'resnet18', ...resnetDefaults }, [32, 32, 3], 10, 0);
  try {
    // 1,856 (stem) + 147,968 + 525,568 + 2,099,712 + 8,393,728 (stages) + 5,130 (readout).
    assert.equal(expectedResNetCount('basic', [2, 2, 2, 2], 10), 11_173_962);
    assert.equal(countParameters(model), 11_173_962);
  } finally {
    model.dispose();
  }
});

test('ResNet-50 parameter count and training step', async () => {
  const model = buildModel({ kind: 'resnet50', ...resnetDefaults }, [32, 32, 3], 10, 0);
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1);
  try {
    assert.equal(expectedResNetCount('bottleneck', [3, 4, 6, 3], 10), 23_520_842);
    assert.equal(countParameters(model), 23_520_842);

    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10), model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
    const loss = (await value.data())[0]!;
    assert.ok(Number.isFinite(loss), `loss ${loss}`);
    assert.ok(loss > 0, `loss ${loss}`);
    assert.equal(Object.keys(grads).length, variables.length);
    const stemGradient = grads[variables[0]!.name]!;
    const gradientNorm = (await tf.norm(stemGradient).data())[0]!;
    assert.ok(Number.isFinite(gradientNorm), `stem kernel gradient norm ${gradientNorm}`);
    assert.ok(gradientNorm > 0, `stem kernel gradient norm ${gradientNorm}`);
    tf.dispose([value, ...Object.values(grads)]);
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('smaller architectures build with their output shapes', () => {
  const cases: { settings: ModelSettings; inputShape: number[] }[] = [
    { settings: { kind: 'resnet18', ...resnetDefaults, baseWidth: 4 }, inputShape: [8, 8, 3] },
    { settings: { kind: 'nin', blocks: [[8, 6, 4], [8, 8, 8]], kernelSizes: [5, 3], weightVariance: 2, biasStd: 0 }, inputShape: [12, 12, 3] },
    { settings: { kind: 'cnn', filters: [6, 6], denseWidths: [], kernelSize: 5, padding: 'valid', pooling: 'none', weightVariance: 2, biasStd: 0.1 }, inputShape: [12, 12, 1] },
    { settings: { kind: 'scale-invariant-fcn', hiddenWidths: [16, 16], weightVariance: 2, batchNormEpsilon: 1e-8, batchNormMomentum: 0.9, batchNormPosition: 'before-activation' }, inputShape: [6, 6, 1] },
  ];
  for (const { settings, inputShape } of cases) {
    const model = buildModel(settings, inputShape, 1, 3);
    const x = tf.randomUniform([2, ...inputShape]);
    const output = model.predict(x) as tf.Tensor;
    assert.deepEqual(output.shape, [2, 1], settings.kind);
    tf.dispose([x, output]);
    model.dispose();
  }
});

test('CNN-GP has no pooling and one readout', () => {
  const model = buildModel({ kind: 'cnn', filters: [6, 6], denseWidths: [], kernelSize: 5, padding: 'valid', pooling: 'none', weightVariance: 2, biasStd: 0.1 }, [12, 12, 1], 1, 0);
  try {
    assert.deepEqual(
      model.layers.map((layer) => layer.getClassName()),
      ['Conv2D', 'Conv2D', 'Flatten', 'Dense'],
    );
    // Two valid 5x5 convolutions shrink 12x12 to 4x4: the readout takes 4 * 4 * 6 features.
    assert.deepEqual(model.getLayer('logits').weights[0]!.shape, [96, 1]);
  } finally {
    model.dispose();
  }
});

test('same seed gives the same ResNet weights', async () => {
  const settings: ModelSettings = { kind: 'resnet18', ...resnetDefaults, baseWidth: 4 };
  const first = buildModel(settings, [8, 8, 3], 1, 7);
  const second = buildModel(settings, [8, 8, 3], 1, 7);
  try {
    const a = await first.getLayer('stage2_block1_shortcut_conv').weights[0]!.read().data();
    const b = await second.getLayer('stage2_block1_shortcut_conv').weights[0]!.read().data();
    assert.deepEqual(a, b);
  } finally {
    first.dispose();
    second.dispose();
  }
});
