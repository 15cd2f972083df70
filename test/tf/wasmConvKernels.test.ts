// The composed Conv2DBackpropFilter and Conv2DBackpropInput on wasm, against the cpu backend.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertRelativelyClose, initWasmWithFixes, liveCounts, normalValues, runOn, sizeOf } from './backends.js';
import type { ComparedBackend } from './backends.js';

type Shape4 = [number, number, number, number];
type Padding = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  name: string;
  /** [batch, inHeight, inWidth, inChannels] */
  xShape: Shape4;
  /** [filterHeight, filterWidth, inChannels, outChannels] */
  filterShape: Shape4;
  strides: [number, number];
  pad: Padding;
}

const tolerance = 1e-4;

const cases: ConvCase[] = [
  { name: 'stride 1 same, 3x3', xShape: [3, 7, 6, 3], filterShape: [3, 3, 3, 5], strides: [1, 1], pad: 'same' },
  { name: 'stride 1 valid, 2x3', xShape: [2, 6, 7, 2], filterShape: [2, 3, 2, 4], strides: [1, 1], pad: 'valid' },
  { name: 'stride 2 same, even size', xShape: [2, 8, 8, 3], filterShape: [3, 3, 3, 4], strides: [2, 2], pad: 'same' },
  { name: 'stride 2 same, odd size', xShape: [2, 7, 9, 2], filterShape: [3, 3, 2, 3], strides: [2, 2], pad: 'same' },
  { name: 'stride 2 same, asymmetric 4x4', xShape: [2, 9, 9, 2], filterShape: [4, 4, 2, 3], strides: [2, 2], pad: 'same' },
  { name: 'stride 2 valid, unread last row', xShape: [3, 8, 9, 2], filterShape: [3, 2, 2, 5], strides: [2, 2], pad: 'valid' },
  { name: 'strides 2 and 1, valid', xShape: [2, 9, 6, 3], filterShape: [3, 3, 3, 2], strides: [2, 1], pad: 'valid' },
  { name: 'stride 3 same', xShape: [2, 10, 11, 2], filterShape: [3, 3, 2, 3], strides: [3, 3], pad: 'same' },
  { name: 'one input channel, the first layer', xShape: [4, 12, 12, 1], filterShape: [3, 3, 1, 8], strides: [1, 1], pad: 'same' },
  { name: 'explicit padding', xShape: [2, 6, 7, 2], filterShape: [3, 3, 2, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: 'every window in the padding', xShape: [1, 1, 3, 2], filterShape: [1, 1, 2, 2], strides: [10, 1], pad: [[0, 0], [5, 0], [0, 0], [0, 0]] },
];

interface Gradients {
  dx: Float32Array;
  dw: Float32Array;
}

/** d/dx and d/dw of sum(conv2d(x, w) * weights), so that every output position carries its own gradient. */
function convGradients(backend: ComparedBackend, convCase: ConvCase): Promise<Gradients> {
  const xValues = normalValues(sizeOf(convCase.xShape), convCase.name, 'x');
  const wValues = normalValues(sizeOf(convCase.filterShape), convCase.name, 'w');
  return runOn(backend, () => {
    const x = tf.tensor4d(xValues, convCase.xShape);
    const w = tf.tensor4d(wValues, convCase.filterShape);
    const outShape = tf.conv2d(x, w, convCase.strides, convCase.pad).shape;
    const weights = tf.tensor(normalValues(sizeOf(outShape), convCase.name, 'dy'), outShape);
    const [dx, dw] = tf.grads((xIn: tf.Tensor, wIn: tf.Tensor) => tf.conv2d(xIn as tf.Tensor4D, wIn as tf.Tensor4D, convCase.strides, convCase.pad).mul(weights).sum())([x, w]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

before(async () => {
  await initWasmWithFixes();
});

test('wasm has a Conv2DBackpropFilter kernel', () => {
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined);
});

test('conv2d gradients on wasm match cpu', async (t) => {
  for (const convCase of cases) {
    await t.test(convCase.name, async () => {
      const expected = await convGradients('cpu', convCase);
      const actual = await convGradients('wasm', convCase);
      assertRelativelyClose(actual.dw, expected.dw, tolerance, 'filter gradient');
      assertRelativelyClose(actual.dx, expected.dx, tolerance, 'input gradient');
    });
  }
});

test('input gradient with padding wider than the filter', async () => {
  // The composed kernel would need a negative padding here, so it falls back to the built-in loop.
  const wideCase: ConvCase = { name: 'wide padding', xShape: [2, 5, 5, 2], filterShape: [2, 2, 2, 3], strides: [1, 1], pad: [[0, 0], [3, 0], [0, 3], [0, 0]] };
  const expected = await convGradients('cpu', wideCase);
  const actual = await convGradients('wasm', wideCase);
  assertRelativelyClose(actual.dx, expected.dx, tolerance, 'input gradient');
  assertRelativelyClose(actual.dw, expected.dw, tolerance, 'filter gradient');
});

test('filter gradient in NCHW layout', async () => {
  // The wasm Conv2D rejects NCHW, so the kernel is called directly, as tf.conv2DBackpropFilter would.
  const xShape: Shape4 = [2, 3, 8, 7];
  const dyShape: Shape4 = [2, 4, 4, 4];
  const xValues = normalValues(sizeOf(xShape), 'nchw', 'x');
  const dyValues = normalValues(sizeOf(dyShape), 'nchw', 'dy');
  const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
  const filterGradient = (backend: ComparedBackend) =>
    runOn(backend, () => {
      const inputs = { x: tf.tensor4d(xValues, xShape), dy: tf.tensor4d(dyValues, dyShape) };
      return (tf.engine().runKernel('Conv2DBackpropFilter', inputs, attrs) as tf.Tensor).dataSync() as Float32Array;
    });
  const expected = await filterGradient('cpu');
  const actual = await filterGradient('wasm');
  assertRelativelyClose(actual, expected, tolerance, 'filter gradient');
});

test('conv2d gradient step frees its temporaries', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor4d(normalValues(2 * 9 * 9 * 2, 'leak', 'x'), [2, 9, 9, 2]);
  const w = tf.tensor4d(normalValues(3 * 3 * 2 * 3, 'leak', 'w'), [3, 3, 2, 3]);
  const gradientsOf = tf.grads((xIn: tf.Tensor, wIn: tf.Tensor) => tf.conv2d(xIn as tf.Tensor4D, wIn as tf.Tensor4D, 2, 'same').square().sum());
  try {
    // The first call creates XNNPACK operators and tfjs's cached scalars; count from the second.
    tf.dispose(gradientsOf([x, w]));
    const before = liveCounts();
    tf.dispose(gradientsOf([x, w]));
    assert.deepEqual(liveCounts(), before);
  } finally {
    tf.dispose([x, w]);
  }
});
