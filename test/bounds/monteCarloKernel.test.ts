import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createInlineExecutor } from '../../main/bounds/executors.js';
import { computeFcKernel } from '../../main/bounds/fcKernel.js';
import { computeMarginalLikelihoodBound } from '../../main/bounds/marginalLikelihood.js';
import { computeMonteCarloKernel, initializerVariance, readInitializerVariances, truncatedNormalFactor } from '../../main/bounds/monteCarloKernel.js';
import { LabError } from '../../main/util/errors.js';
import { readEpInputs, readEpLabels, readKernelInputs } from './fixtures.js';

/** Builds a ReLU FCN on inputs of `inputShape` (flattened first), weights N(0, sigmaW2 / fan_in), biases N(0, sigmaB2), seeded. */
function buildFcn(inputShape: number[], width: number, depth: number, sigmaW2: number, sigmaB2: number, seed: number): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape }));
  let fanIn = inputShape.reduce((product, size) => product * size, 1);
  for (let layer = 0; layer <= depth; layer++) {
    const last = layer === depth;
    model.add(
      tf.layers.dense({
        units: last ? 1 : width,
        activation: last ? 'linear' : 'relu',
        kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(sigmaW2 / fanIn), seed: seed * 1000 + layer }),
        biasInitializer: tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(sigmaB2), seed: seed * 1000 + 500 + layer }),
      }),
    );
    fanIn = width;
  }
  return model;
}

test('initializer variances of common initialisers', () => {
  const fanIn = 50;
  const fanOut = 10;
  assert.equal(initializerVariance({ className: 'RandomNormal', config: { mean: 0, stddev: 0.1 } }, fanIn, fanOut, 'kernel'), 0.1 ** 2);
  assert.ok(Math.abs(truncatedNormalFactor - 0.7737413035499232) < 1e-15);
  const heNormal = initializerVariance({ className: 'VarianceScaling', config: { scale: 2, mode: 'fanIn', distribution: 'normal' } }, fanIn, fanOut, 'kernel');
  assert.ok(Math.abs(heNormal * fanIn - 2 * 0.7737413035499232) < 1e-14, `heNormal gives sigma_w^2 = ${heNormal * fanIn}`);
  const glorotUniform = initializerVariance({ className: 'VarianceScaling', config: { scale: 1, mode: 'fanAvg', distribution: 'uniform' } }, fanIn, fanOut, 'kernel');
  assert.ok(Math.abs(glorotUniform - 2 / (fanIn + fanOut)) < 1e-15);
  assert.ok(Math.abs(initializerVariance({ className: 'RandomUniform', config: { minval: -0.3, maxval: 0.3 } }, fanIn, fanOut, 'kernel') - 0.03) < 1e-15);
  assert.equal(initializerVariance({ className: 'Zeros', config: {} }, fanIn, fanOut, 'bias'), 0);
  assert.throws(() => initializerVariance({ className: 'Ones', config: {} }, fanIn, fanOut, 'bias'), (error: unknown) => error instanceof LabError && error.kind === 'unsupported');
  assert.throws(() => initializerVariance({ className: 'RandomNormal', config: { mean: 1, stddev: 0.1 } }, fanIn, fanOut, 'kernel'), /has mean 1/);
});

test('initializer variances read from dense layers', () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [20], units: 8, kernelInitializer: 'heNormal' }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.randomNormal({ stddev: 0.25 }), biasInitializer: tf.initializers.randomNormal({ stddev: 0.1 }) }),
    ],
  });
  try {
    const first = readInitializerVariances(model.layers[0]!);
    assert.ok(Math.abs(first.sigmaW2 - 1.5474826070998464) < 1e-12, `heNormal sigma_w^2 = ${first.sigmaW2}`);
    assert.equal(first.sigmaB2, 0);
    assert.equal(first.fanIn, 20);
    const last = readInitializerVariances(model.layers[1]!);
    assert.ok(Math.abs(last.sigmaW2 - 0.25 ** 2 * 8) < 1e-15);
    assert.ok(Math.abs(last.sigmaB2 - 0.01) < 1e-15);
  } finally {
    model.dispose();
  }
});

test('monte carlo kernel matches analytic fc kernel', async () => {
  // Width 2048, depth 2, (2, 0.01), fmnist8 rows 0-5. The reference cross-check found 1.1% with
  // 100 draws. This test takes 20 draws to stay near 10 s, because TensorFlow.js draws the 4.6
  // million weights of each network in JavaScript, so the tolerance is 4%.
  const rows = readKernelInputs().fmnist8.slice(0, 6);
  const m = rows.length;
  const inputSize = rows[0]!.length;
  const executor = createInlineExecutor();
  const analytic = await computeFcKernel(rows.flat(), m, inputSize, { kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: 0.01 }, executor);
  const tensorsBefore = tf.memory().numTensors;
  const result = await computeMonteCarloKernel(Float32Array.from(rows.flat()), [14, 14, 1], { kind: 'monte-carlo', buildModel: (seed) => buildFcn([14, 14, 1], 2048, 2, 2, 0.01, seed), draws: 20, batches: 1 }, { executor });
  assert.equal(tf.memory().numTensors, tensorsBefore, 'the draws leaked tensors');
  assert.equal(result.draws, 20);
  assert.equal(result.featureWidth, 2048);
  assert.ok(Math.abs(result.variances.sigmaW2 - 2) < 1e-12);
  assert.ok(Math.abs(result.variances.sigmaB2 - 0.01) < 1e-12);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const expected = analytic[i * m + j]!;
      const actual = result.kernel[i * m + j]!;
      assert.ok(Math.abs(actual / expected - 1) <= 0.04, `K[${i}][${j}] = ${actual}, analytic ${expected}`);
    }
  }
});

test('monte carlo bound reports draws and standard error', async () => {
  const m = 32;
  const x = readEpInputs().subarray(0, m * 196);
  const labels = readEpLabels().subarray(0, m);
  const analytic = await computeMarginalLikelihoodBound({ x, inputShape: [196], labels, kernel: { kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: 0.01 } });
  const tensorsBefore = tf.memory().numTensors;
  const result = await computeMarginalLikelihoodBound({
    x,
    inputShape: [14, 14, 1],
    labels,
    kernel: {
      kind: 'monte-carlo',
      buildModel: (seed) => buildFcn([14, 14, 1], 512, 2, 2, 0.01, seed),
      draws: 40,
      batches: 4,
    },
  });
  assert.equal(tf.memory().numTensors, tensorsBefore, 'the draws leaked tensors');
  assert.equal(result.kernelKind, 'monte-carlo');
  assert.equal(result.draws, 40);
  const standardError = result.logPStandardError ?? Number.NaN;
  assert.ok(standardError > 0, `standard error ${standardError}`);
  assert.ok(standardError < 1, `standard error ${standardError}`);
  assert.ok(Math.abs(result.sigmaW2 - 2) < 1e-12);
  // Width 512 and 40 draws: ln P(S) within 1 nat of the analytic kernel's (about 5 standard errors).
  assert.ok(Math.abs(result.logP - analytic.logP) <= 1, `Monte-Carlo ln P(S) ${result.logP}, analytic ${analytic.logP}`);
});
