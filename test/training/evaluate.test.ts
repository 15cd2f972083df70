// Evaluation in inference mode: the batch size given to `predict`, and that batching leaves the
// loss and accuracy unchanged.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../main/models/build.js';
import { initBackend } from '../../main/tf/backend.js';
import { countCorrect, crossEntropy, evaluate, predictBatchSize } from '../../main/training/train.js';

before(async () => {
  await initBackend('cpu');
});

test('FCN evaluates in batches of 2,048', () => {
  const model = buildModel({ kind: 'fcn', hiddenWidths: [1024, 1024], weightVariance: 2, biasStd: 0.1 }, [28, 28, 1], 1, 0);
  assert.equal(predictBatchSize(model), 2048);
  model.dispose();
});

test('wide CNN evaluates in smaller batches', () => {
  // About 313,000 floats of layer outputs per 28 x 28 example: 1.25 MB, so about 200 per 256 MB.
  const model = buildModel({ kind: 'cnn', filters: [256, 256], denseWidths: [], weightVariance: 2, biasStd: 0.1 }, [28, 28, 1], 1, 0);
  const batchSize = predictBatchSize(model);
  assert.ok(batchSize >= 32, `batch size ${batchSize}`);
  assert.ok(batchSize < 2048, `batch size ${batchSize}`);
  model.dispose();
});

test('batched evaluation equals one pass', async () => {
  const model = buildModel({ kind: 'fcn', hiddenWidths: [16], weightVariance: 2, biasStd: 0.1 }, [4, 4, 1], 1, 0);
  const count = 3000;
  const x = tf.randomUniform([count, 4, 4, 1], 0, 1, 'float32', 5);
  const y = Int32Array.from({ length: count }, (_, index) => (index * 7) % 2);
  const labels = tf.tensor1d(y, 'int32');
  const logits = model.apply(x) as tf.Tensor;
  const expectedLoss = crossEntropy(logits, labels, 'binary', 1);
  const expectedCorrect = countCorrect(logits, labels, 'binary');

  const result = await evaluate(model, x, y, 'binary', 1);
  assert.ok(Math.abs(result.loss - expectedLoss.dataSync()[0]!) < 1e-5, `loss ${result.loss} against ${expectedLoss.dataSync()[0]}`);
  // The accuracy comes back as a float32 fraction, so compare the count of correct examples.
  assert.equal(Math.round(result.accuracy * count), expectedCorrect.dataSync()[0]);
  tf.dispose([x, labels, logits, expectedLoss, expectedCorrect]);
  model.dispose();
});
