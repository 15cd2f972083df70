// Every measure, the sigma searches included, leaves the live tensor count as it found it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { computeMeasures } from '../../main/measures/compute.js';
import { buildFoldedModel } from '../../main/measures/foldedModel.js';
import { postTrainingMeasureIds } from '../../main/measures/registry.js';
import { extractFoldedNetwork } from '../../main/measures/weights.js';
import type { FoldedNetwork } from '../../main/measures/weights.js';
import { initBackend } from '../../main/tf/backend.js';
import { inputTensor, loadCaseModels, loadMeasureCase } from './fixtureCases.js';

test('computeMeasures frees every tensor it creates', async () => {
  await initBackend('wasm');
  // dense_bn folds a BatchNormalization, so the folded and squared copies are built and freed too.
  const measureCase = loadMeasureCase('dense_bn');
  const { model, initModel } = await loadCaseModels(measureCase);
  const x = inputTensor(measureCase);
  try {
    const tensorsBefore = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    const report = await computeMeasures({
      model,
      initModel,
      x,
      y: measureCase.y,
      task: 'multiclass',
      ids: postTrainingMeasureIds,
      options: { noise: 'stated', seed: 2 },
      epochsToFit: 30,
    });
    assert.equal(tf.memory().numTensors, tensorsBefore, 'live tensors after computing every measure');
    assert.equal(tf.memory().numBytes, bytesBefore, 'live tensor bytes after computing every measure');
    const present = Object.entries(report.values).filter(([, value]) => 'raw' in value).map(([id]) => id);
    assert.deepEqual(present, postTrainingMeasureIds, 'every measure is present');
  } finally {
    x.dispose();
    model.dispose();
    initModel.dispose();
  }
});

test('folded model is freed by dispose', async () => {
  await initBackend('wasm');
  const measureCase = loadMeasureCase('cnn_bn');
  const { model, initModel } = await loadCaseModels(measureCase);
  try {
    const tensorsBefore = tf.memory().numTensors;
    const folded = await buildFoldedModel(extractFoldedNetwork(model) as FoldedNetwork, { squareParameters: true });
    folded.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore);
  } finally {
    model.dispose();
    initModel.dispose();
  }
});
