// The CIFAR-10 binary reader on files written in the official layout, its format checks, folder
// discovery, and the binary task (vehicles against animals).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cifarRecordBytes, cifarTestFile, cifarTrainFiles, encodeCifarBatch, parseCifarBatch, readCifarBatch } from '../../main/data/cifar10.js';
import { discoverDatasets, loadDataset } from '../../main/data/datasets.js';
import { binaryLabelOf, buildTaskData } from '../../main/data/tasks.js';
import { LabError } from '../../main/util/errors.js';
import { tempDir } from '../helpers/temp.js';

/** `count` NHWC images whose pixel (row, column, channel) encodes the image index and position. */
function syntheticImages(count: number, offset: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = (i + offset) % 10;
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) images[i * 3072 + 3 * p + c] = (i + offset + 7 * p + 85 * c) % 256;
  }
  return { images, labels };
}

/** Writes the six batch files with `perFile` records each into `folder`. */
function writeCifarFolder(folder: string, perFile: number): void {
  mkdirSync(folder, { recursive: true });
  [...cifarTrainFiles, cifarTestFile].forEach((name, fileIndex) => {
    const { images, labels } = syntheticImages(perFile, fileIndex * perFile);
    writeFileSync(join(folder, name), encodeCifarBatch(images, labels));
  });
}

test('record layout converts to NHWC', () => {
  // One record by hand: label 7, red plane all 10, green plane the pixel index mod 256, blue 200.
  const record = new Uint8Array(cifarRecordBytes);
  record[0] = 7;
  for (let p = 0; p < 1024; p++) {
    record[1 + p] = 10;
    record[1 + 1024 + p] = p % 256;
    record[1 + 2048 + p] = 200;
  }
  const set = parseCifarBatch(record, 'one.bin');
  assert.equal(set.count, 1);
  assert.deepEqual([...set.labels], [7]);
  assert.deepEqual(set.imageShape, [32, 32, 3]);
  // Pixel (row 2, column 5) is plane index 69: NHWC offset 3 * 69.
  assert.deepEqual([...set.images.subarray(3 * 69, 3 * 69 + 3)], [10, 69, 200]);
});

test('encode and parse round trip', () => {
  const { images, labels } = syntheticImages(3, 0);
  const set = parseCifarBatch(encodeCifarBatch(images, labels), 'round.bin');
  assert.deepEqual(set.images, images);
  assert.deepEqual(set.labels, labels);
});

test('truncated file is rejected with its name', () => {
  const folder = tempDir();
  const path = join(folder, 'data_batch_1.bin');
  const { images, labels } = syntheticImages(2, 0);
  writeFileSync(path, encodeCifarBatch(images, labels).subarray(0, 2 * cifarRecordBytes - 100));
  assert.throws(() => readCifarBatch(path), (error: unknown) => {
    assert.ok(error instanceof LabError);
    assert.equal(error.kind, 'invalid-file');
    assert.ok(error.message.includes(path), error.message);
    assert.match(error.message, /not a multiple of the 3073-byte/);
    assert.match(error.message, /cifar-10-binary\.tar\.gz/);
    return true;
  });
});

test('oversized file is rejected', () => {
  const { images, labels } = syntheticImages(2, 0);
  const bytes = new Uint8Array(2 * cifarRecordBytes + 5);
  bytes.set(encodeCifarBatch(images, labels));
  assert.throws(() => parseCifarBatch(bytes, 'long.bin'), /long\.bin has 6151 bytes.*2 records and 5 bytes left over/);
});

test('empty file and bad label are rejected', () => {
  assert.throws(() => parseCifarBatch(new Uint8Array(0), 'empty.bin'), /empty\.bin is empty/);
  const { images, labels } = syntheticImages(2, 0);
  const bytes = encodeCifarBatch(images, labels);
  bytes[cifarRecordBytes] = 10;
  assert.throws(() => parseCifarBatch(bytes, 'labels.bin'), /labels\.bin: record 1 \(byte 3073\) has label 10, outside 0\.\.9/);
});

test('missing file is reported', () => {
  const folder = tempDir();
  writeCifarFolder(folder, 2);
  const complete = loadDataset('cifar10', { folder });
  assert.equal(complete.train.count, 10);
  const other = join(tempDir(), 'partial');
  writeCifarFolder(other, 2);
  writeFileSync(join(other, 'data_batch_3.bin'), new Uint8Array(0));
  assert.throws(() => loadDataset('cifar10', { folder: other }), /data_batch_3\.bin is empty/);
  assert.throws(() => loadDataset('cifar10', { folder: tempDir() }), /does not have the six CIFAR-10 binary batches/);
});

test('folder loads train batches in order and the test batch', () => {
  const folder = join(tempDir(), 'cifar-10-batches-bin');
  writeCifarFolder(folder, 4);
  const dataset = loadDataset('cifar10', { folder });
  assert.equal(dataset.train.count, 20);
  assert.equal(dataset.test.count, 4);
  assert.deepEqual([...dataset.train.labels.subarray(0, 6)], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...dataset.test.labels], [0, 1, 2, 3]);
  // The first pixel of training image 5 (file 2, record 1) encodes image index 5.
  assert.equal(dataset.train.images[5 * 3072], 5);
});

test('discovery finds a CIFAR-10 folder and its archive folder', () => {
  const root = tempDir();
  writeCifarFolder(join(root, 'cifar10', 'cifar-10-batches-bin'), 2);
  const found = discoverDatasets([root]).filter((entry) => entry.name === 'cifar10');
  assert.equal(found.length, 1);
  assert.equal(found[0]!.trainCount, 10);
  assert.equal(found[0]!.testCount, 2);
  const direct = tempDir();
  writeCifarFolder(direct, 3);
  assert.deepEqual(
    discoverDatasets([direct]).filter((entry) => entry.name === 'cifar10').map((entry) => [entry.trainCount, entry.testCount]),
    [[15, 3]],
  );
});

test('binary task puts vehicles against animals', () => {
  assert.deepEqual(
    Array.from({ length: 10 }, (_, classIndex) => binaryLabelOf('cifar10', classIndex)),
    [0, 0, 1, 1, 1, 1, 1, 1, 0, 0],
  );
  const folder = tempDir();
  writeCifarFolder(folder, 10);
  const dataset = loadDataset('cifar10', { folder });
  const data = buildTaskData(dataset, { task: 'binary', trainSize: 30, dataSeed: 1, labelNoise: 0 });
  assert.deepEqual(data.inputShape, [32, 32, 3]);
  assert.equal(data.outputCount, 1);
  for (let row = 0; row < 30; row++) {
    assert.equal(data.train.y[row], binaryLabelOf('cifar10', dataset.train.labels[data.trainIndices[row]!]!));
  }
  assert.ok(Math.abs(data.train.x[0]! - dataset.train.images[data.trainIndices[0]! * 3072]! / 255) < 1e-7);
});
