// The lab's small CNN trained on wasm (with the kernel fixes) and on cpu from the same initial
// weights and the same batches: the weights must stay together, and a step must free what it makes.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../main/data/datasets.js';
import { buildTaskData } from '../../main/data/tasks.js';
import type { TaskData } from '../../main/data/tasks.js';
import type { CnnSettings } from '../../main/models/build.js';
import { buildModel } from '../../main/models/build.js';
import type { TrainingSettings } from '../../main/training/train.js';
import { crossEntropy, makeOptimizer } from '../../main/training/train.js';
import { assertRelativelyClose, initWasmWithFixes, liveCounts, relativeError } from './backends.js';
import type { ComparedBackend } from './backends.js';

const modelSettings: CnnSettings = { kind: 'cnn', filters: [8, 16], denseWidths: [16], weightVariance: 2, biasStd: 0.1 };
const trainingSettings: TrainingSettings = {
  optimizer: 'sgd',
  learningRate: 0.05,
  momentum: 0.9,
  batchSize: 8,
  maxEpochs: 1,
  stopAtTrainAccuracy: 1,
  stopAtTrainLoss: null,
};
const stepCount = 5;
const modelSeed = 3;
const tolerance = 1e-4;

let data: TaskData;

before(async () => {
  await initWasmWithFixes();
  data = buildTaskData(loadDataset('fashion-mnist', 'embedded'), { task: 'multiclass', trainSize: trainingSettings.batchSize * stepCount, dataSeed: 1, labelNoise: 0 });
});

/** Runs one SGD step of the lab's training loop on batch `index` (consecutive examples, no shuffle). */
function trainingStep(model: tf.LayersModel, optimizer: tf.Optimizer, variables: tf.Variable[], index: number): void {
  const batchSize = trainingSettings.batchSize;
  const pixels = data.inputShape[0] * data.inputShape[1] * data.inputShape[2];
  tf.tidy(() => {
    const xb = tf.tensor4d(data.train.x.subarray(index * batchSize * pixels, (index + 1) * batchSize * pixels), [batchSize, ...data.inputShape]);
    const yb = tf.tensor1d(data.train.y.subarray(index * batchSize, (index + 1) * batchSize), 'int32');
    optimizer.minimize(() => crossEntropy(model.apply(xb, { training: true }) as tf.Tensor, yb, 'multiclass', data.outputCount), false, variables);
  });
}

interface TrainedWeights {
  names: string[];
  initial: Float32Array[];
  trained: Float32Array[];
}

async function trainOn(backend: ComparedBackend): Promise<TrainedWeights> {
  await tf.setBackend(backend);
  const model = buildModel(modelSettings, data.inputShape, data.outputCount, modelSeed);
  const optimizer = makeOptimizer(trainingSettings);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const copyWeights = (): Float32Array[] => variables.map((variable) => (variable.dataSync() as Float32Array).slice());
  try {
    const initial = copyWeights();
    for (let step = 0; step < stepCount; step++) trainingStep(model, optimizer, variables, step);
    return { names: model.trainableWeights.map((weight) => weight.originalName), initial, trained: copyWeights() };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

test('small CNN trains alike on wasm and cpu', async () => {
  const expected = await trainOn('cpu');
  const actual = await trainOn('wasm');
  assert.deepEqual(actual.names, expected.names, 'trainable weights');
  expected.names.forEach((name, index) => {
    assert.deepEqual(actual.initial[index], expected.initial[index], `${name}: initial values`);
    assert.ok(relativeError(expected.trained[index]!, expected.initial[index]!) > 1e-3, `${name}: training changed the weights`);
    assertRelativelyClose(actual.trained[index]!, expected.trained[index]!, tolerance, `${name} after ${stepCount} steps`);
  });
});

test('CNN training step frees every tensor', async () => {
  await tf.setBackend('wasm');
  const model = buildModel(modelSettings, data.inputShape, data.outputCount, modelSeed);
  const optimizer = makeOptimizer(trainingSettings);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  try {
    // The first step creates the momentum accumulators, which live as long as the optimizer.
    trainingStep(model, optimizer, variables, 0);
    const before = liveCounts();
    trainingStep(model, optimizer, variables, 1);
    assert.deepEqual(liveCounts(), before);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});
