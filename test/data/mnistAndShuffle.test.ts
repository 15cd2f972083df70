// MNIST in IDX end to end (written by the test, as no copy is installed here) and pixel shuffling.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { discoverDatasets, loadDataset, type LoadedDataset } from '../../main/data/datasets.js';
import { encodeIdx } from '../../main/data/idx.js';
import { pixelOrderFor } from '../../main/data/pixelShuffle.js';
import { buildTaskData } from '../../main/data/tasks.js';
import { tempDir } from '../helpers/temp.js';

/** Writes an MNIST-style folder: `count` training and test images whose pixel p is (p + i) mod 256. */
function writeMnistFolder(folder: string, count: number): void {
  mkdirSync(folder, { recursive: true });
  const images = new Uint8Array(count * 784).map((_, index) => (index % 784) + Math.floor(index / 784));
  const labels = new Uint8Array(count).map((_, index) => index % 10);
  for (const [stem, shape, data] of [
    ['train-images-idx3-ubyte', [count, 28, 28], images],
    ['train-labels-idx1-ubyte', [count], labels],
    ['t10k-images-idx3-ubyte', [count, 28, 28], images],
    ['t10k-labels-idx1-ubyte', [count], labels],
  ] as const) {
    writeFileSync(join(folder, stem), encodeIdx([...shape], data));
  }
}

function isPermutation(order: Int32Array, size: number): boolean {
  const seen = new Uint8Array(size);
  for (const value of order) {
    if (value < 0 || value >= size || seen[value] === 1) return false;
    seen[value] = 1;
  }
  return order.length === size;
}

test('MNIST folder loads and is discovered as mnist', () => {
  const root = tempDir();
  const folder = join(root, 'mnist');
  writeMnistFolder(folder, 40);
  const dataset = loadDataset('mnist', { folder });
  assert.equal(dataset.name, 'mnist');
  assert.equal(dataset.train.count, 40);
  assert.deepEqual(dataset.train.imageShape, [28, 28, 1]);
  const found = discoverDatasets([root]).filter((entry) => entry.name === 'mnist');
  assert.deepEqual(found.map((entry) => [entry.trainCount, entry.testCount]), [[40, 40]]);
  const data = buildTaskData(dataset, { task: 'binary', trainSize: 20, dataSeed: 0, labelNoise: 0 });
  assert.equal(data.train.count, 20);
  assert.ok(data.train.y.every((label, row) => label === (dataset.train.labels[data.trainIndices[row]!]! >= 5 ? 1 : 0)));
});

test('pixel orders are seeded permutations', () => {
  const fixed = pixelOrderFor('fixed', 784, 3, 'train');
  assert.ok(isPermutation(fixed(0)!, 784));
  assert.deepEqual(fixed(0), fixed(17));
  assert.deepEqual(pixelOrderFor('fixed', 784, 3, 'test')(5), fixed(0), 'train and test share the fixed permutation');
  assert.notDeepEqual(pixelOrderFor('fixed', 784, 4, 'train')(0), fixed(0));

  const perImage = pixelOrderFor('per-image', 784, 3, 'train');
  assert.ok(isPermutation(perImage(0)!, 784));
  assert.notDeepEqual(perImage(0), perImage(1));
  assert.deepEqual(perImage(9), pixelOrderFor('per-image', 784, 3, 'train')(9), 'the same image gets the same permutation');
  assert.notDeepEqual(pixelOrderFor('per-image', 784, 3, 'test')(9), perImage(9));
  assert.equal(pixelOrderFor('none', 784, 3, 'train')(0), null);
});

/** Sorted pixel values of row `row` of a flat [count, pixels] array. */
function sortedRow(x: Float32Array, row: number, pixels: number): number[] {
  return Array.from(x.subarray(row * pixels, (row + 1) * pixels)).sort((a, b) => a - b);
}

test('shuffled images keep their pixel values and labels', () => {
  const folder = join(tempDir(), 'mnist');
  writeMnistFolder(folder, 30);
  const dataset: LoadedDataset = loadDataset('mnist', { folder });
  const settings = { task: 'multiclass' as const, trainSize: 12, dataSeed: 2, labelNoise: 0 };
  const plain = buildTaskData(dataset, settings);
  for (const pixelShuffle of ['fixed', 'per-image'] as const) {
    const shuffled = buildTaskData(dataset, { ...settings, pixelShuffle });
    assert.deepEqual(shuffled.train.y, plain.train.y, pixelShuffle);
    assert.deepEqual(shuffled.trainIndices, plain.trainIndices);
    assert.notDeepEqual(shuffled.train.x, plain.train.x);
    for (const row of [0, 5, 11]) assert.deepEqual(sortedRow(shuffled.train.x, row, 784), sortedRow(plain.train.x, row, 784));
    assert.deepEqual(sortedRow(shuffled.test.x, 3, 784), sortedRow(plain.test.x, 3, 784));
  }
  // The fixed shuffle moves pixel order[p] of every image to position p.
  const fixed = buildTaskData(dataset, { ...settings, pixelShuffle: 'fixed' });
  const order = pixelOrderFor('fixed', 784, 2, 'train')(0)!;
  for (const row of [0, 7]) for (const position of [0, 100, 783]) assert.equal(fixed.train.x[row * 784 + position], plain.train.x[row * 784 + order[position]!]);
});

test('shuffled subsets stay nested', () => {
  const folder = join(tempDir(), 'mnist');
  writeMnistFolder(folder, 30);
  const dataset = loadDataset('mnist', { folder });
  const small = buildTaskData(dataset, { task: 'binary', trainSize: 5, dataSeed: 4, labelNoise: 0, pixelShuffle: 'per-image' });
  const large = buildTaskData(dataset, { task: 'binary', trainSize: 20, dataSeed: 4, labelNoise: 0, pixelShuffle: 'per-image' });
  assert.deepEqual(large.train.x.subarray(0, 5 * 784), small.train.x);
});
