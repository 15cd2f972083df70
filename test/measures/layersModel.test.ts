// Loading, saving and serializing TensorFlow.js layers-models, and the errors a user gets.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { deserializeLayersModel, loadLayersModelFromFolder, saveLayersModelToFolder, serializeLayersModel } from '../../main/models/layersModel.js';
import { initBackend } from '../../main/tf/backend.js';
import { LabError } from '../../main/util/errors.js';
import { measureCasesDir } from './fixtureCases.js';

let folder: string;
const cnnFolder = join(measureCasesDir(), 'cnn_bn', 'model');

before(async () => {
  await initBackend('cpu');
  folder = mkdtempSync(join(tmpdir(), 'fragility-lab-model-'));
});

after(() => rmSync(folder, { recursive: true, force: true }));

function weightValues(model: tf.LayersModel): number[][] {
  return model.weights.map((variable) => Array.from(variable.read().dataSync()));
}

/** Copies the cnn_bn model folder into a folder that a test may damage. */
function copyOfModel(name: string): string {
  const copy = join(folder, name);
  mkdirSync(copy);
  for (const file of ['model.json', 'weights.bin']) copyFileSync(join(cnnFolder, file), join(copy, file));
  return copy;
}

async function assertLabError(promise: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LabError, `expected a LabError, received ${String(error)}`);
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    return true;
  });
}

test('load a fixture model folder', async () => {
  const model = await loadLayersModelFromFolder(cnnFolder);
  try {
    assert.equal(model.getClassName(), 'Sequential');
    assert.deepEqual(model.inputs[0]!.shape, [null, 14, 14, 1]);
    assert.equal(model.weights.length, 13);
    const viaJsonPath = await loadLayersModelFromFolder(join(cnnFolder, 'model.json'));
    assert.deepEqual(weightValues(viaJsonPath), weightValues(model));
    viaJsonPath.dispose();
  } finally {
    model.dispose();
  }
});

test('save to a folder and load back', async () => {
  const model = await loadLayersModelFromFolder(cnnFolder);
  const target = join(folder, 'saved');
  try {
    await saveLayersModelToFolder(model, target);
    const saved = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
    assert.equal(saved.format, 'layers-model');
    assert.deepEqual(saved.weightsManifest.map((group) => group.paths), [['weights.bin']]);
    const loaded = await loadLayersModelFromFolder(target);
    assert.deepEqual(weightValues(loaded), weightValues(model));
    const x = tf.randomUniform([3, 14, 14, 1], 0, 1, 'float32', 5);
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor))).dataSync()[0]);
    assert.equal(difference, 0);
    x.dispose();
    loaded.dispose();
  } finally {
    model.dispose();
  }
});

test('serialize and deserialize in memory', async () => {
  const model = await loadLayersModelFromFolder(cnnFolder);
  try {
    const serialized = await serializeLayersModel(model);
    assert.equal(typeof serialized.modelJson, 'string');
    assert.equal(serialized.weightData.byteLength, readFileSync(join(cnnFolder, 'weights.bin')).byteLength);
    // A Node Buffer as SQLite drivers return it, with a non-zero byte offset into a larger allocation.
    const padded = Buffer.alloc(serialized.weightData.byteLength + 8);
    Buffer.from(serialized.weightData).copy(padded, 8);
    const restored = await deserializeLayersModel({ modelJson: serialized.modelJson, weightData: padded.subarray(8) });
    assert.deepEqual(weightValues(restored), weightValues(model));
    restored.dispose();
    await assertLabError(deserializeLayersModel({ modelJson: serialized.modelJson, weightData: serialized.weightData.slice(4) }), 'invalid-file', /stored model's weight data has \d+ bytes, but its manifest lists weights of \d+ bytes/);
  } finally {
    model.dispose();
  }
});

test('missing model.json names the folder', async () => {
  await assertLabError(loadLayersModelFromFolder(join(folder, 'nowhere')), 'not-found', /nowhere\/model.json \(ENOENT\); pass the folder that model.save wrote/);
});

test('missing weights file names the file', async () => {
  const copy = copyOfModel('no-weights');
  rmSync(join(copy, 'weights.bin'));
  await assertLabError(loadLayersModelFromFolder(copy), 'not-found', /Weight file .*no-weights\/weights.bin, listed in model.json, cannot be read \(ENOENT\); copy it beside model.json/);
});

test('truncated weights file names the sizes', async () => {
  const copy = copyOfModel('truncated');
  const bytes = readFileSync(join(copy, 'weights.bin'));
  writeFileSync(join(copy, 'weights.bin'), bytes.subarray(0, bytes.length - 4));
  await assertLabError(loadLayersModelFromFolder(copy), 'invalid-file', new RegExp(`has ${bytes.length - 4} bytes, but model.json lists weights of ${bytes.length} bytes; .*save the model again`));
});

test('unknown layer class names the class', async () => {
  const copy = copyOfModel('unknown-layer');
  const path = join(copy, 'model.json');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/"class_name":\s*"GlobalAveragePooling2D"/, '"class_name": "FancyPooling"'));
  await assertLabError(loadLayersModelFromFolder(copy), 'unsupported', /uses the layer class FancyPooling, which TensorFlow.js 4.22.0 does not provide/);
});

test('graph model is rejected', async () => {
  const copy = join(folder, 'graph');
  mkdirSync(copy);
  writeFileSync(join(copy, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }));
  await assertLabError(loadLayersModelFromFolder(copy), 'unsupported', /graph model; the measures need a layers model/);
});

test('invalid JSON is reported', async () => {
  const copy = join(folder, 'bad-json');
  mkdirSync(copy);
  writeFileSync(join(copy, 'model.json'), '{"modelTopology": ');
  await assertLabError(loadLayersModelFromFolder(copy), 'invalid-file', /model.json is not valid JSON/);
});
