import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { assetsDir, discoverDatasets, loadDataset } from '../../main/data/datasets.js';
import { encodeIdx } from '../../main/data/idx.js';
import { binaryLabel, buildTaskData } from '../../main/data/tasks.js';
import { tempDir } from '../helpers/temp.js';

const systemFolder = '/usr/share/datasets/fashion-mnist';

test('embedded subset has 10,000 training and 2,000 test images', () => {
  const dataset = loadDataset('fashion-mnist', 'embedded');
  assert.equal(dataset.train.count, 10_000);
  assert.equal(dataset.test.count, 2_000);
  assert.deepEqual(dataset.train.imageShape, [28, 28, 1]);
  assert.ok(existsSync(join(assetsDir(), 'fashion-mnist', 'LICENSE')));
});

test('embedded subset equals the start of the full data set', { skip: !existsSync(systemFolder) && 'Debian dataset-fashion-mnist is not installed' }, () => {
  const embedded = loadDataset('fashion-mnist', 'embedded');
  const full = loadDataset('fashion-mnist', { folder: systemFolder });
  assert.equal(full.train.count, 60_000);
  assert.equal(full.test.count, 10_000);
  assert.deepEqual(embedded.train.images.subarray(0, 784 * 50), full.train.images.subarray(0, 784 * 50));
  assert.deepEqual(embedded.test.labels, full.test.labels.subarray(0, 2_000));
});

test('discovery finds the embedded subset and the installed data set', () => {
  const found = discoverDatasets();
  assert.ok(found.some((dataset) => dataset.embedded && dataset.trainCount === 10_000));
  if (existsSync(systemFolder)) assert.ok(found.some((dataset) => dataset.folder === systemFolder && dataset.trainCount === 60_000));
});

test('discovery finds a folder the user names', () => {
  const folder = join(tempDir(), 'my-mnist-copy');
  mkdirSync(folder);
  for (const name of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    copyFileSync(join(assetsDir(), 'fashion-mnist', name), join(folder, name));
  }
  assert.ok(discoverDatasets([folder]).some((dataset) => dataset.folder === folder));
});

test('label file of another length is rejected', () => {
  const folder = tempDir();
  const images = new Uint8Array(5 * 4 * 4);
  writeFileSync(join(folder, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx([5, 4, 4], images)));
  writeFileSync(join(folder, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([4], new Uint8Array(4))));
  writeFileSync(join(folder, 't10k-images-idx3-ubyte'), encodeIdx([2, 4, 4], new Uint8Array(32)));
  writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), encodeIdx([2], new Uint8Array(2)));
  assert.throws(() => loadDataset('fashion-mnist', { folder }), /train-labels-idx1-ubyte\.gz has 4 labels but .*train-images-idx3-ubyte\.gz has 5 images/);
});

test('missing folder names the files it needs', () => {
  assert.throws(() => loadDataset('mnist', { folder: '/nonexistent/mnist' }), /does not have the four IDX files/);
});

test('binary task maps classes 0-4 to 0 and 5-9 to 1', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(binaryLabel), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  const dataset = loadDataset('fashion-mnist', 'embedded');
  const data = buildTaskData(dataset, { task: 'binary', trainSize: 300, dataSeed: 3, labelNoise: 0 });
  assert.equal(data.outputCount, 1);
  data.trainIndices.forEach((source, row) => assert.equal(data.train.y[row], binaryLabel(dataset.train.labels[source]!)));
  assert.ok(data.train.x.every((value) => value >= 0 && value <= 1));
});

test('subsets are nested and seeded', () => {
  const dataset = loadDataset('fashion-mnist', 'embedded');
  const small = buildTaskData(dataset, { task: 'multiclass', trainSize: 100, dataSeed: 7, labelNoise: 0 });
  const large = buildTaskData(dataset, { task: 'multiclass', trainSize: 1000, dataSeed: 7, labelNoise: 0 });
  const other = buildTaskData(dataset, { task: 'multiclass', trainSize: 100, dataSeed: 8, labelNoise: 0 });
  assert.deepEqual(small.trainIndices, large.trainIndices.subarray(0, 100));
  assert.notDeepEqual(small.trainIndices, other.trainIndices);
  assert.equal(small.outputCount, 10);
});

test('label noise changes about the expected fraction', () => {
  const dataset = loadDataset('fashion-mnist', 'embedded');
  const clean = buildTaskData(dataset, { task: 'multiclass', trainSize: 2000, dataSeed: 1, labelNoise: 0 });
  const noisy = buildTaskData(dataset, { task: 'multiclass', trainSize: 2000, dataSeed: 1, labelNoise: 0.2 });
  const changed = clean.train.y.filter((label, index) => label !== noisy.train.y[index]).length;
  assert.equal(changed, noisy.noisyLabelCount);
  // 400 labels are redrawn uniformly from 10 classes, so about 360 change.
  assert.ok(changed > 300 && changed <= 400, `changed ${changed}`);
  const binaryNoisy = buildTaskData(dataset, { task: 'binary', trainSize: 2000, dataSeed: 1, labelNoise: 0.2 });
  assert.ok(binaryNoisy.noisyLabelCount > 150 && binaryNoisy.noisyLabelCount < 250, `binary changed ${binaryNoisy.noisyLabelCount}`);
});

test('training-set size beyond the data set is rejected with the fix', () => {
  const dataset = loadDataset('fashion-mnist', 'embedded');
  assert.throws(() => buildTaskData(dataset, { task: 'binary', trainSize: 20_000, dataSeed: 0, labelNoise: 0 }), /trainSize 20000 exceeds the 10000 training images.*use data.source "installed"/);
});
