// MaxPoolGrad and AvgPoolGrad on wasm, against the cpu backend and, where tfjs's own avg-pool
// gradient is wrong, against the gradient of the same pooling written as a depthwise convolution.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertRelativelyClose, initWasmWithFixes, liveCounts, normalValues, runOn, sizeOf } from './backends.js';
import type { ComparedBackend } from './backends.js';

type Shape4 = [number, number, number, number];

interface PoolCase {
  name: string;
  /** [batch, inHeight, inWidth, channels] */
  xShape: Shape4;
  filterSize: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
}

const tolerance = 1e-4;

const cases: PoolCase[] = [
  { name: '2x2 stride 2 valid, even size', xShape: [3, 8, 6, 4], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
  { name: '2x2 stride 2 valid, odd size', xShape: [2, 7, 9, 3], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
  { name: '2x2 stride 2 same, odd size', xShape: [2, 7, 5, 3], filterSize: [2, 2], strides: [2, 2], pad: 'same' },
  { name: '3x3 stride 2 same, overlapping', xShape: [2, 9, 8, 2], filterSize: [3, 3], strides: [2, 2], pad: 'same' },
  { name: '3x3 stride 1 same', xShape: [2, 6, 6, 3], filterSize: [3, 3], strides: [1, 1], pad: 'same' },
  { name: '2x3 strides 1 and 2 valid', xShape: [2, 6, 9, 2], filterSize: [2, 3], strides: [1, 2], pad: 'valid' },
  { name: '2x2 stride 3 valid, gaps', xShape: [1, 11, 10, 2], filterSize: [2, 2], strides: [3, 3], pad: 'valid' },
];

/**
 * Inputs with many ties and negative maxima: values rounded to halves, and every fifth value
 * zero as after a ReLU, so the rule for equal maxima is exercised.
 */
function inputWithTies(poolCase: PoolCase): Float32Array {
  const values = normalValues(sizeOf(poolCase.xShape), poolCase.name, 'x');
  return values.map((value, index) => (index % 5 === 0 ? 0 : Math.round(value * 2) / 2));
}

/** d/dx of sum(pool(x) * weights) on `backend`. */
function poolGradient(backend: ComparedBackend, poolCase: PoolCase, kind: 'max' | 'avg', xValues: Float32Array): Promise<Float32Array> {
  return runOn(backend, () => {
    const x = tf.tensor4d(xValues, poolCase.xShape);
    const pool = (input: tf.Tensor4D): tf.Tensor4D =>
      kind === 'max' ? tf.maxPool(input, poolCase.filterSize, poolCase.strides, poolCase.pad) : tf.avgPool(input, poolCase.filterSize, poolCase.strides, poolCase.pad);
    const outShape = pool(x).shape;
    const weights = tf.tensor(normalValues(sizeOf(outShape), poolCase.name, 'dy'), outShape);
    return tf.grad((input: tf.Tensor) => pool(input as tf.Tensor4D).mul(weights).sum())(x).dataSync() as Float32Array;
  });
}

/**
 * Avg pooling written as a depthwise convolution with a filter of ones, divided by the number of
 * pixels inside the image, on cpu: its output and its gradient (d/dx of sum(output * weights)),
 * which tf.grad computes without any pooling kernel.
 */
function avgPoolByConvolution(poolCase: PoolCase, xValues: Float32Array): Promise<{ output: Float32Array; gradient: Float32Array }> {
  return runOn('cpu', () => {
    const x = tf.tensor4d(xValues, poolCase.xShape);
    const channels = poolCase.xShape[3];
    const ones = tf.ones([...poolCase.filterSize, channels, 1]) as tf.Tensor4D;
    const counts = tf.depthwiseConv2d(tf.onesLike(x), ones, poolCase.strides, poolCase.pad);
    const pool = (input: tf.Tensor4D) => tf.depthwiseConv2d(input, ones, poolCase.strides, poolCase.pad).div(counts);
    const weights = tf.tensor(normalValues(sizeOf(counts.shape), poolCase.name, 'dy'), counts.shape);
    return {
      output: pool(x).dataSync() as Float32Array,
      gradient: tf.grad((input: tf.Tensor) => pool(input as tf.Tensor4D).mul(weights).sum())(x).dataSync() as Float32Array,
    };
  });
}

before(async () => {
  await initWasmWithFixes();
});

test('max-pool gradient on wasm matches cpu', async (t) => {
  for (const poolCase of cases) {
    await t.test(poolCase.name, async () => {
      const xValues = inputWithTies(poolCase);
      const expected = await poolGradient('cpu', poolCase, 'max', xValues);
      const actual = await poolGradient('wasm', poolCase, 'max', xValues);
      assertRelativelyClose(actual, expected, tolerance, 'max-pool gradient');
    });
  }
});

test('max-pool gradient skips windows of NaN or -Infinity', async () => {
  // Rows: a window of NaN, a window of -Infinity, and a window with a NaN beside a finite maximum.
  const poolCase: PoolCase = { name: 'non-finite', xShape: [1, 6, 2, 1], filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
  const xValues = new Float32Array([NaN, NaN, NaN, NaN, -Infinity, -Infinity, -Infinity, -Infinity, NaN, -3, -2, NaN]);
  const expected = await poolGradient('cpu', poolCase, 'max', xValues);
  const actual = await poolGradient('wasm', poolCase, 'max', xValues);
  assert.deepEqual(Array.from(actual), Array.from(expected));
});

test('avg-pool gradient on wasm matches cpu without padding', async (t) => {
  for (const poolCase of cases.filter((candidate) => candidate.pad === 'valid')) {
    await t.test(poolCase.name, async () => {
      const xValues = inputWithTies(poolCase);
      const expected = await poolGradient('cpu', poolCase, 'avg', xValues);
      const actual = await poolGradient('wasm', poolCase, 'avg', xValues);
      assertRelativelyClose(actual, expected, tolerance, 'avg-pool gradient');
    });
  }
});

test('avg-pool gradient on wasm matches its forward pass', async (t) => {
  const paddedCases: PoolCase[] = [
    ...cases,
    { name: '3x3 stride 2, numeric padding 1', xShape: [2, 7, 8, 2], filterSize: [3, 3], strides: [2, 2], pad: 1 },
  ];
  for (const poolCase of paddedCases) {
    await t.test(poolCase.name, async () => {
      const xValues = inputWithTies(poolCase);
      const expected = await avgPoolByConvolution(poolCase, xValues);
      const output = await runOn('wasm', () => tf.avgPool(tf.tensor4d(xValues, poolCase.xShape), poolCase.filterSize, poolCase.strides, poolCase.pad).dataSync() as Float32Array);
      assertRelativelyClose(output, expected.output, tolerance, 'avg-pool output');
      const gradient = await poolGradient('wasm', poolCase, 'avg', xValues);
      assertRelativelyClose(gradient, expected.gradient, tolerance, 'avg-pool gradient');
    });
  }
});

test('pooling gradient step frees its temporaries', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor4d(normalValues(2 * 7 * 7 * 3, 'leak', 'x'), [2, 7, 7, 3]);
  const gradientOf = tf.grad((input: tf.Tensor) => tf.maxPool(input as tf.Tensor4D, 2, 2, 'same').sum().add(tf.avgPool(input as tf.Tensor4D, 3, 2, 'same').sum()));
  try {
    tf.dispose(gradientOf(x));
    const before = liveCounts();
    tf.dispose(gradientOf(x));
    assert.deepEqual(liveCounts(), before);
  } finally {
    x.dispose();
  }
});
