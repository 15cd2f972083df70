/**
 * Bad input everywhere, through the command line as a user meets it: each case is rejected with a
 * one-line-per-problem message that names the file or field and the fix, without a stack trace,
 * and leaves the database exactly as it was.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Store } from '../../db/store.js';
import { assetsDir } from '../../main/data/datasets.js';
import { encodeIdx } from '../../main/data/idx.js';
import { encodeNpy } from '../../main/data/npy.js';
import { repoRoot } from '../helpers/paths.js';
import { tinySpec, writeSpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';

const cli = join(repoRoot, 'bin', 'fragility-lab.js');
const folder = tempDir();
const dbPath = join(folder, 'lab.sqlite');

function fingerprint(): string {
  assert.equal(existsSync(`${dbPath}-wal`), false, 'the database has an open write-ahead log');
  return createHash('sha256').update(readFileSync(dbPath)).digest('hex');
}

before(() => {
  // A database with one stored study and its planned runs.
  const store = Store.open(dbPath);
  store.saveStudy({ id: 'kept', name: 'kept', specJson: JSON.stringify(tinySpec({ name: 'kept' })), specHash: 'h' }, [
    { runId: 'a'.repeat(64), settingsJson: '{}', condition: 'baseline', kind: 'baseline', trainSize: 64, seed: 0 },
  ]);
  store.close();
});

function runCli(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: folder, encoding: 'utf8', env: { ...process.env, FRAGILITY_LAB_BACKEND: 'cpu' } });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

function expectRejected(args: string[], pattern: RegExp): string {
  const before = fingerprint();
  const result = runCli(args);
  assert.notEqual(result.status, 0, 'the command succeeded');
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'a stack trace was printed');
  assert.equal(fingerprint(), before, 'the database changed');
  return result.stderr;
}

function specFile(name: string, content: unknown): string {
  return writeSpec(folder, content as never, name);
}

test('spec with a wrong type is rejected', () => {
  const path = specFile('wrong-type.json', tinySpec({ training: { learningRate: 'fast' as never } }));
  expectRejected(['run', path, '--db', dbPath], /wrong-type\.json is invalid:\n {2}- training\.learningRate is "fast"; it must be a number/);
});

test('spec with an out-of-range value is rejected', () => {
  const path = specFile('range.json', tinySpec({ data: { labelNoise: 2 } }));
  expectRejected(['run', path, '--db', dbPath], /data\.labelNoise is 2; it must be <= 1/);
});

test('spec with an unknown key is rejected', () => {
  const path = specFile('unknown.json', { ...tinySpec(), epochs: 10 });
  expectRejected(['run', path, '--db', dbPath], /\(the spec\) has unknown key "epochs"; remove it or check the spelling/);
});

test('spec with a huge array is rejected', () => {
  const path = specFile('huge.json', tinySpec({ seeds: Array.from({ length: 100_000 }, (_, index) => index) }));
  expectRejected(['run', path, '--db', dbPath], /seeds is \[0,1,2,.*\.\.\.; it must have at most 1000 items/);
});

test('spec nested too deep is rejected', () => {
  let nested: unknown = 0;
  for (let level = 0; level < 40; level++) nested = [nested];
  const path = specFile('deep.json', { ...tinySpec(), description: nested });
  expectRejected(['run', path, '--db', dbPath], /nested more than 12 levels deep/);
});

test('spec that is not JSON is rejected', () => {
  const path = join(folder, 'broken.json');
  writeFileSync(path, '{ "name": "x", ');
  expectRejected(['run', path, '--db', dbPath], /broken\.json is not valid JSON/);
});

test('missing spec file is reported', () => {
  expectRejected(['run', join(folder, 'nope.json'), '--db', dbPath], /Cannot read study spec .*nope\.json: no such file/);
});

/** A copy of the embedded data set where one file is replaced by `bytes`. */
function dataFolderWith(name: string, file: string, bytes: Uint8Array): string {
  const dataFolder = join(folder, name);
  mkdirSync(dataFolder, { recursive: true });
  for (const stem of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    copyFileSync(join(assetsDir(), 'fashion-mnist', stem), join(dataFolder, stem));
  }
  writeFileSync(join(dataFolder, file), bytes);
  return dataFolder;
}

test('data file with a wrong magic number is rejected', () => {
  const bytes = encodeIdx([10, 28, 28], new Uint8Array(7840));
  bytes[2] = 0x42;
  const dataFolder = dataFolderWith('bad-magic', 'train-images-idx3-ubyte.gz', gzipSync(bytes));
  const path = specFile('bad-magic.json', tinySpec({ data: { source: { folder: dataFolder } } }));
  expectRejected(['run', path, '--db', dbPath], /train-images-idx3-ubyte\.gz is not a valid IDX file: magic number 0x00004203/);
});

test('truncated data file is rejected', () => {
  const bytes = encodeIdx([10_000, 28, 28], new Uint8Array(784 * 10_000)).slice(0, 5000);
  const dataFolder = dataFolderWith('truncated', 'train-images-idx3-ubyte.gz', gzipSync(bytes));
  const path = specFile('truncated.json', tinySpec({ data: { source: { folder: dataFolder } } }));
  expectRejected(['run', path, '--db', dbPath], /train-images-idx3-ubyte\.gz is not a valid IDX file: truncated/);
});

test('data file with oversized dimensions is rejected', () => {
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x00000803);
  view.setUint32(4, 60_000);
  view.setUint32(8, 60_000);
  view.setUint32(12, 60_000);
  const dataFolder = dataFolderWith('oversized', 'train-images-idx3-ubyte.gz', gzipSync(header));
  const path = specFile('oversized.json', tinySpec({ data: { source: { folder: dataFolder } } }));
  expectRejected(['run', path, '--db', dbPath], /dimensions 60000 x 60000 x 60000 give \d+ values, more than the \d+ supported/);
});

test('image file of floats with NaN pixels is rejected', () => {
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x00000d03);
  view.setUint32(4, 10_000);
  view.setUint32(8, 28);
  view.setUint32(12, 28);
  const pixels = new Uint8Array(4 * 10_000 * 784);
  new DataView(pixels.buffer).setFloat32(0, Number.NaN);
  const dataFolder = dataFolderWith('nan-pixels', 'train-images-idx3-ubyte.gz', gzipSync(Buffer.concat([header, pixels])));
  const path = specFile('nan.json', tinySpec({ data: { source: { folder: dataFolder } } }));
  expectRejected(['run', path, '--db', dbPath], /train-images-idx3-ubyte\.gz has shape 10000 x 28 x 28; an image file must be unsigned bytes/);
});

test('label file of another length is rejected', () => {
  const dataFolder = dataFolderWith('short-labels', 'train-labels-idx1-ubyte.gz', gzipSync(encodeIdx([9_000], new Uint8Array(9_000))));
  const path = specFile('short-labels.json', tinySpec({ data: { source: { folder: dataFolder } } }));
  expectRejected(['run', path, '--db', dbPath], /train-labels-idx1-ubyte\.gz has 9000 labels but .*train-images-idx3-ubyte\.gz has 10000 images/);
});

test('training-set size beyond the data is rejected', () => {
  const path = specFile('too-large.json', tinySpec({ trainSizes: [64, 50_000] }));
  expectRejected(['run', path, '--db', dbPath], /trainSizes has 50000, more than the 10000 training images .*use data\.source "installed"/);
});

test('database that is not SQLite is rejected and kept', () => {
  const notes = join(folder, 'notes.txt');
  writeFileSync(notes, 'my notes');
  const result = runCli(['table', '--db', notes]);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /notes\.txt is not a SQLite database; it was left untouched/);
  assert.equal(readFileSync(notes, 'utf8'), 'my notes');
});

// Arrays and models for `fragility-lab measure`, which reads no database.

const fixtureModel = join(repoRoot, '..', 'shared', 'fixtures', 'measures', 'fcn_binary', 'model');

function npy(name: string, array: Parameters<typeof encodeNpy>[0]): string {
  const path = join(folder, name);
  writeFileSync(path, encodeNpy(array));
  return path;
}

function measureRejected(args: string[], pattern: RegExp): void {
  const result = runCli(['measure', ...args]);
  assert.notEqual(result.status, 0, 'the command succeeded');
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'a stack trace was printed');
}

const goodX = () => npy('x.npy', { dtype: 'float32', shape: [4, 14, 14, 1], data: new Float32Array(4 * 196) });
const goodY = () => npy('y.npy', { dtype: 'int32', shape: [4], data: new Int32Array([0, 1, 0, 1]) });

test('npy with a bad header is rejected', () => {
  const path = join(folder, 'bad-header.npy');
  writeFileSync(path, Buffer.from('\x93NUMPY\x01\x00\x10\x00{"descr": oops}  \n'));
  measureRejected(['--model', fixtureModel, '--x', path, '--y', goodY()], /bad-header\.npy is not a valid \.npy file/);
});

test('npy of an unsupported dtype is rejected', () => {
  const bytes = encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) });
  const text = Buffer.from(bytes).toString('latin1').replace("'<f4'", "'<c8'");
  const path = join(folder, 'complex.npy');
  writeFileSync(path, Buffer.from(text, 'latin1'));
  measureRejected(['--model', fixtureModel, '--x', goodX(), '--y', path], /complex\.npy is not a valid \.npy file: dtype '<c8' is not supported/);
});

test('npy whose shape does not match the model is rejected', () => {
  const x = npy('x-wrong.npy', { dtype: 'float32', shape: [4, 28, 28, 1], data: new Float32Array(4 * 784) });
  measureRejected(['--model', fixtureModel, '--x', x, '--y', goodY()], /x-wrong\.npy has shape \[4, 28, 28, 1\] but the model takes inputs of shape \[null, 14, 14, 1\]/);
});

test('labels of another count are rejected', () => {
  const y = npy('y-short.npy', { dtype: 'int32', shape: [3], data: new Int32Array(3) });
  measureRejected(['--model', fixtureModel, '--x', goodX(), '--y', y], /y-short\.npy has shape \[3\]; y must hold one label per example of x, shape \[4\]/);
});

test('inputs with NaN are rejected', () => {
  const values = new Float32Array(4 * 196);
  values[5] = Number.NaN;
  const x = npy('x-nan.npy', { dtype: 'float32', shape: [4, 14, 14, 1], data: values });
  measureRejected(['--model', fixtureModel, '--x', x, '--y', goodY()], /x-nan\.npy contains NaN at flat index 5; inputs must be finite/);
});

test('model without its weights file is rejected', () => {
  const modelFolder = join(folder, 'no-weights');
  mkdirSync(modelFolder, { recursive: true });
  copyFileSync(join(fixtureModel, 'model.json'), join(modelFolder, 'model.json'));
  measureRejected(['--model', modelFolder, '--x', goodX(), '--y', goodY()], /weights\.bin/);
});

test('model with an unknown layer type is rejected', () => {
  const modelFolder = join(folder, 'unknown-layer');
  mkdirSync(modelFolder, { recursive: true });
  const modelJson = readFileSync(join(fixtureModel, 'model.json'), 'utf8').replace('"class_name":"Dense"', '"class_name":"FancyDense"');
  writeFileSync(join(modelFolder, 'model.json'), modelJson);
  copyFileSync(join(fixtureModel, 'weights.bin'), join(modelFolder, 'weights.bin'));
  measureRejected(['--model', modelFolder, '--x', goodX(), '--y', goodY()], /FancyDense/);
});
