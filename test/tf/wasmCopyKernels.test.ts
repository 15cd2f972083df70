// GatherV2 and Slice on wasm (the row copies of main/tf/wasmCopyKernels.ts) against the cpu
// backend: bit for bit, since both only move values.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initWasmWithFixes, liveCounts, normalValues, runOn, sizeOf } from './backends.js';
import type { ComparedBackend } from './backends.js';

type Values = Float32Array | Int32Array | Uint8Array;

/** Values of `shape` in `dtype`, drawn from `name`: normals, rounded normals or their signs. */
function valuesFor(dtype: 'float32' | 'int32' | 'bool', shape: number[], name: string): Values {
  const normals = normalValues(sizeOf(shape), name);
  if (dtype === 'float32') return normals;
  if (dtype === 'int32') return Int32Array.from(normals, (value) => Math.round(value * 1000));
  return Uint8Array.from(normals, (value) => (value > 0 ? 1 : 0));
}

interface GatherCase {
  name: string;
  dtype: 'float32' | 'int32' | 'bool';
  xShape: number[];
  indices: number[];
  indicesShape: number[];
  axis: number;
  batchDims?: number;
}

const gatherCases: GatherCase[] = [
  { name: 'a batch of images', dtype: 'float32', xShape: [50, 28, 28, 1], indices: [7, 0, 49, 3, 3, 12], indicesShape: [6], axis: 0 },
  { name: 'rows of a matrix, repeated', dtype: 'float32', xShape: [9, 13], indices: [8, 8, 0, 4], indicesShape: [4], axis: 0 },
  { name: 'labels', dtype: 'int32', xShape: [40], indices: [39, 0, 17, 5], indicesShape: [4], axis: 0 },
  { name: 'booleans', dtype: 'bool', xShape: [11, 3], indices: [10, 2, 2], indicesShape: [3], axis: 0 },
  { name: '2-D indices', dtype: 'float32', xShape: [10, 4, 2], indices: [1, 9, 0, 5, 5, 3], indicesShape: [2, 3], axis: 0 },
  { name: 'negative axis of a vector', dtype: 'float32', xShape: [6], indices: [5, 1], indicesShape: [2], axis: -1 },
  { name: 'no indices', dtype: 'float32', xShape: [5, 3], indices: [], indicesShape: [0], axis: 0 },
  { name: 'empty rows', dtype: 'float32', xShape: [4, 0], indices: [3, 1], indicesShape: [2], axis: 0 },
  // Slices shorter than a row. TensorFlow.js's own kernel got the batch-dimension case wrong.
  { name: 'axis 1', dtype: 'float32', xShape: [5, 7, 2], indices: [6, 0, 3], indicesShape: [3], axis: 1 },
  { name: 'batch dimensions', dtype: 'float32', xShape: [3, 5, 2], indices: [4, 0, 1, 1, 2, 3], indicesShape: [3, 2], axis: 1, batchDims: 1 },
  { name: 'last axis of integers', dtype: 'int32', xShape: [2, 3, 4], indices: [3, 3, 0], indicesShape: [3], axis: 2 },
];

function gatherOn(backend: ComparedBackend, gatherCase: GatherCase): Promise<{ shape: number[]; values: Values }> {
  return runOn(backend, () => {
    const x = tf.tensor(valuesFor(gatherCase.dtype, gatherCase.xShape, gatherCase.name), gatherCase.xShape, gatherCase.dtype);
    const indices = tf.tensor(gatherCase.indices, gatherCase.indicesShape, 'int32');
    const out = tf.gather(x, indices, gatherCase.axis, gatherCase.batchDims);
    return { shape: out.shape, values: out.dataSync() as Values };
  });
}

interface SliceCase {
  name: string;
  dtype: 'float32' | 'int32' | 'bool';
  xShape: number[];
  begin: number[];
  size: number[];
}

const sliceCases: SliceCase[] = [
  { name: 'a batch of images', dtype: 'float32', xShape: [40, 28, 28, 1], begin: [32, 0, 0, 0], size: [8, -1, -1, -1] },
  { name: 'one row', dtype: 'float32', xShape: [100, 784], begin: [64, 0], size: [1, 784] },
  { name: 'inside one row', dtype: 'int32', xShape: [6, 10], begin: [2, 3], size: [1, 5] },
  { name: 'labels', dtype: 'int32', xShape: [50], begin: [17], size: [20] },
  { name: 'booleans', dtype: 'bool', xShape: [9, 4], begin: [3, 0], size: [4, 4] },
  { name: 'empty', dtype: 'float32', xShape: [5, 3], begin: [2, 0], size: [0, 3] },
  // Not contiguous: the original kernel's case.
  { name: 'columns', dtype: 'float32', xShape: [7, 6, 3], begin: [1, 2, 0], size: [4, 3, 2] },
];

function sliceOn(backend: ComparedBackend, sliceCase: SliceCase): Promise<{ shape: number[]; values: Values }> {
  return runOn(backend, () => {
    const x = tf.tensor(valuesFor(sliceCase.dtype, sliceCase.xShape, sliceCase.name), sliceCase.xShape, sliceCase.dtype);
    const out = tf.slice(x, sliceCase.begin, sliceCase.size);
    return { shape: out.shape, values: out.dataSync() as Values };
  });
}

before(async () => {
  await initWasmWithFixes();
});

/** Asserts that `compute` gives the same shape and values on wasm as on cpu. */
async function assertSameAsCpu(compute: (backend: ComparedBackend) => Promise<{ shape: number[]; values: Values }>): Promise<void> {
  const expected = await compute('cpu');
  const actual = await compute('wasm');
  assert.deepEqual(actual.shape, expected.shape);
  assert.deepEqual(Array.from(actual.values), Array.from(expected.values));
}

for (const gatherCase of gatherCases) {
  test(`GatherV2 on wasm equals cpu: ${gatherCase.name}`, () => assertSameAsCpu((backend) => gatherOn(backend, gatherCase)));
}

for (const sliceCase of sliceCases) {
  test(`Slice on wasm equals cpu: ${sliceCase.name}`, () => assertSameAsCpu((backend) => sliceOn(backend, sliceCase)));
}

test('GatherV2 on wasm rejects out-of-range indices', async () => {
  await tf.setBackend('wasm');
  for (const index of [5, -1]) {
    assert.throws(
      () => tf.tidy(() => tf.gather(tf.zeros([5, 3]), tf.tensor1d([0, index], 'int32'))),
      (error: Error) => error.message.includes(`the index value ${index} is not in [0, 4]`),
    );
  }
});

test('wasm row copies leak nothing', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor(normalValues(30 * 8, 'leaks'), [30, 8]);
  const indices = tf.tensor1d([3, 29, 0], 'int32');
  const before = liveCounts();
  for (let i = 0; i < 5; i++) {
    tf.gather(x, indices).dispose();
    tf.slice(x, [4, 0], [10, 8]).dispose();
  }
  assert.deepEqual(liveCounts(), before);
  tf.dispose([x, indices]);
});

test('Identity on wasm shares the buffer', async () => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as { refCount(dataId: object): number };
  const x = tf.tensor(normalValues(12, 'identity'), [3, 4]);
  const copy = tf.clone(x);
  assert.equal(backend.refCount(x.dataId), 2);
  x.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), Array.from(normalValues(12, 'identity')));
  assert.equal(backend.refCount(copy.dataId), 1);
  copy.dispose();
  assert.equal(backend.refCount(copy.dataId), 0);
});

test('shared Identity keeps gradients right', async () => {
  // The engine keeps a clone of each input that a gradient needs, through Identity.
  const gradient = async (backend: ComparedBackend) =>
    runOn(backend, () => {
      const w = tf.tensor(normalValues(20, 'grad', 'w'), [4, 5]);
      const x = tf.tensor(normalValues(12, 'grad', 'x'), [3, 4]);
      return tf.grad((weights: tf.Tensor) => tf.relu(tf.matMul(x, weights)).square().sum())(w).dataSync() as Float32Array;
    });
  const expected = await gradient('cpu');
  const actual = await gradient('wasm');
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-5 * (1 + Math.abs(expected[i]!)), `entry ${i}: ${actual[i]} against ${expected[i]}`);
});
