// The fused update of SGD and momentum (main/tf/nativeUpdate.ts) against the optimizers' own
// applyGradients on wasm: the same weights and accumulations, bit for bit.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { defaultLinalgAddon } from '../../main/bounds/nativeLinalg.js';
import { applyFusedGradients, registerNativeUpdate, scaledAddKernelName } from '../../main/tf/nativeUpdate.js';
import { train, type TrainingSettings } from '../../main/training/train.js';
import { initWasmWithFixes, nativeAddonSkip, normalValues } from './backends.js';

const load = defaultLinalgAddon();
const nativeSkip = nativeAddonSkip('scaledAdd');

before(async () => {
  await initWasmWithFixes();
});

/** Returns the float32 bits of every tensor, for exact comparison. */
function bitsOf(tensors: readonly tf.Tensor[]): number[][] {
  return tensors.map((tensor) => Array.from(new Uint32Array((tensor.dataSync() as Float32Array).slice().buffer)));
}

/**
 * Runs five steps of `makeOptimizer` on two fresh weights with fixed gradients, fused or with the
 * optimizer's own update. Returns the weights and the optimizer's saved state.
 */
async function fiveSteps(makeOptimizer: () => tf.Optimizer, fused: boolean): Promise<{ weights: number[][]; state: number[][]; applied: boolean[] }> {
  const weights = [tf.variable(tf.tensor(normalValues(300, 'update', 'w1'), [20, 15])), tf.variable(tf.tensor(normalValues(15, 'update', 'b1'), [15]))];
  const optimizer = makeOptimizer();
  const applied: boolean[] = [];
  for (let step = 0; step < 5; step++) {
    tf.tidy(() => {
      const gradients = weights.map((weight, index) => ({ name: weight.name, tensor: tf.tensor(normalValues(weight.size, 'update', 'g', step, index), weight.shape) }));
      const fusedApplied = fused && applyFusedGradients(optimizer, gradients);
      applied.push(fusedApplied);
      if (!fusedApplied) optimizer.applyGradients(gradients);
    });
  }
  const saved = await optimizer.getWeights();
  const result = { weights: bitsOf(weights), state: bitsOf(saved.map((entry) => tf.cast(entry.tensor, 'float32'))), applied };
  optimizer.dispose();
  tf.dispose(weights);
  return result;
}

const optimizers: { name: string; make: () => tf.Optimizer; fused: boolean }[] = [
  { name: 'SGD', make: () => tf.train.sgd(0.05), fused: true },
  { name: 'momentum', make: () => tf.train.momentum(0.05, 0.9), fused: true },
  { name: 'Nesterov momentum', make: () => tf.train.momentum(0.05, 0.9, true), fused: false },
  { name: 'Adam', make: () => tf.train.adam(0.001), fused: false },
];

for (const optimizer of optimizers) {
  test(`fused update equals tfjs: ${optimizer.name}`, { skip: nativeSkip }, async () => {
    const fused = await fiveSteps(optimizer.make, true);
    const own = await fiveSteps(optimizer.make, false);
    assert.deepEqual(fused.applied, new Array<boolean>(5).fill(optimizer.fused));
    assert.deepEqual(fused.weights, own.weights);
    assert.deepEqual(fused.state, own.state);
  });
}

test('fused update needs the kernel', { skip: nativeSkip }, async () => {
  tf.unregisterKernel(scaledAddKernelName, 'wasm');
  try {
    const result = await fiveSteps(() => tf.train.sgd(0.05), true);
    assert.deepEqual(result.applied, new Array<boolean>(5).fill(false));
  } finally {
    registerNativeUpdate();
  }
});

test('scaled add rejects mismatched shapes', { skip: nativeSkip }, () => {
  assert.throws(
    () => tf.tidy(() => tf.engine().runKernel(scaledAddKernelName, { x: tf.zeros([3, 2]), y: tf.zeros([2, 3]) }, { alpha: 1 })),
    /FragilityLabScaledAdd needs two float32 tensors of one shape, but got float32 \[3, 2\] and float32 \[2, 3\]/,
  );
});

test('training with fused update is unchanged', { skip: nativeSkip }, async () => {
  const x = tf.tensor(normalValues(64 * 12, 'train', 'x'), [64, 12]);
  const y = Int32Array.from({ length: 64 }, (_, index) => (index * 7) % 2);
  const settings: TrainingSettings = { optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, batchSize: 16, maxEpochs: 4, stopAtTrainAccuracy: 2, stopAtTrainLoss: null };
  const trainOnce = async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [12], activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) })] });
    const result = await train(model, { x, y, task: 'binary', outputCount: 1 }, settings, 3);
    const weights = bitsOf(model.getWeights());
    model.dispose();
    return { weights, curve: result.curve.map((record) => [record.trainLoss, record.trainAccuracy]) };
  };
  const fused = await trainOnce();
  tf.unregisterKernel(scaledAddKernelName, 'wasm');
  let own: Awaited<ReturnType<typeof trainOnce>>;
  try {
    own = await trainOnce();
  } finally {
    registerNativeUpdate();
  }
  assert.deepEqual(fused.weights, own.weights);
  assert.deepEqual(fused.curve, own.curve);
  x.dispose();
});

test('scaledAdd rejects bad arguments', { skip: nativeSkip }, () => {
  const memory = new ArrayBuffer(4096);
  const call = (...args: unknown[]) => () => (load.addon!.scaledAdd as (...values: unknown[]) => void)(...args);
  assert.throws(call(memory, 0, 1024, 2048, 0.5, 600), /y spans bytes 2048 to 4448, past the end of the 4096-byte memory/);
  assert.throws(call(memory, 6, 1024, 2048, 0.5, 10), /outOffset is 6; it must be a multiple of 4/);
  assert.throws(call(memory, 0, 1024, 2048, 'half', 10), /alpha must be a number/);
  assert.throws(call(memory, 0, 1024, 2048, 0.5), /scaledAdd/);
  assert.throws(call(new Uint8Array(memory, 2), 0, 1024, 2048, 0.5, 10), /memory starts at an address that is not a multiple of 4 bytes/);
});
